"""The motion engine: speech in, FaceMotion out, streaming with a fixed look-ahead.

Pipeline (each stage its own module): resample to 16 kHz -> feature frames every 10 ms
(audio_features) -> lips (lips: ONNX viseme model + blendshape table + coarticulation) and
prosody-driven head motion, blinks, gaze and emotion (head_motion, blink_gaze, emotion_style),
all at 100 ticks a second -> frames at any rate by interpolating ticks.

Every stage carries its state across chunks exactly, so `motion_from_audio` (offline) and any
chunking through `push` give identical frames. Look-ahead: the lip model sees 50 ms of future
frames, a frame's window reaches 12.5 ms past its centre and a video frame interpolates up to the
next tick (10 ms): LOOK_AHEAD_MS = 72.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .audio_features import N_FEATURES, FeatureStream, check_audio
from .blink_gaze import BlinkGaze
from .controls import Controls
from .emotion_style import EmotionMixer
from .errors import ConfigError
from .facemotion import Emotion, FaceMotion, Gaze, HeadPose
from .head_motion import HeadMotion
from .iir import TICK_RATE, IIRFilter, critically_damped
from .lips import (
    CONTEXT,
    CONTEXT_PAST,
    LOOK_AHEAD,
    MOUTH_INDEX,
    LipState,
    bilabial_seal,
    context_windows,
    lip_model,
)
from .names import ARKIT_INDEX, ARKIT_NAMES, EMOTIONS, EYE_LOOK_DEGREES, VISEME_NAMES
from .resample import Resampler
from .voice_gate import VoiceGate

LOOK_AHEAD_MS = LOOK_AHEAD * 1000.0 / TICK_RATE + 12.5 + 1000.0 / TICK_RATE
CONTROL_SMOOTH_S = 0.3

# Columns of a tick row.
NB, NV, NE = len(ARKIT_NAMES), len(VISEME_NAMES), len(EMOTIONS)
C_HEAD = NB  # yaw pitch roll x y scale
C_GAZE = C_HEAD + 6  # left yaw, left pitch, right yaw, right pitch
C_VIS = C_GAZE + 4
C_EMO = C_VIS + NV
ROW = C_EMO + NE
_I = ARKIT_INDEX
_GAZE_YAW_FULL, _GAZE_PITCH_FULL = EYE_LOOK_DEGREES  # degrees that map to eyeLook* = 1
# An emotion's shapes that part the lips (surprise's dropped jaw, disgust's raised upper lip) give
# way where the lips seal for a bilabial (lips.bilabial_seal): "m", "b" and "p" close whatever the
# mood.
_LIP_PARTING = [
    _I[n]
    for n in ("jawOpen", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight")
]
# Brows rise on emphasis (times the emotion's brow gain); the basis moves them 0.08 face heights at
# browInnerUp 1, so 0.225 is about 2 mm on an adult face.
BROW_EMPHASIS_INNER, BROW_EMPHASIS_OUTER = 0.225, 0.2


class MotionEngine:
    """Streaming audio -> FaceMotion. push() returns every frame whose look-ahead is satisfied."""

    look_ahead_ms: float = LOOK_AHEAD_MS

    def __init__(
        self,
        fps: float = 25.0,
        controls: Controls | None = None,
        sample_rate: int = 16000,
        voice_gate: bool = True,
    ) -> None:
        """voice_gate: rest the mouth where the audio holds no voice (runtime/voice_gate.py; about
        37 ms of CPU per second of audio, so offline bakes leave it off unless asked)."""
        if not (isinstance(fps, (int, float)) and 1.0 <= float(fps) <= 1000.0):
            raise ConfigError(f"fps must be a number between 1 and 1000, got {fps!r}")
        self.fps = float(fps)
        self.sample_rate = sample_rate
        self.resampler = Resampler(sample_rate)
        self.features = FeatureStream()
        self.model = lip_model()
        self.voice = VoiceGate() if voice_gate else None
        self.controls = controls or Controls()
        self.head = HeadMotion(self.controls.seed)
        self.eyes = BlinkGaze(self.controls.seed)
        self.emotion = EmotionMixer()
        self.look_ahead_ms = LOOK_AHEAD_MS
        self._ctl_filter = IIRFilter(*critically_damped(CONTROL_SMOOTH_S / 2.0), (4,))
        self.reset()

    # -- public API -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the start of a stream (same seed, same controls, clock at 0)."""
        c = self.controls
        self.resampler.reset()
        self.features.reset()
        if self.voice is not None:
            self.voice.reset()
        self.head.reseed(c.seed)
        self.head.reset_state()
        self.eyes.reseed(c.seed)
        self.eyes.reset_state()
        self.lips = LipState()
        self.emotion.reset(EmotionMixer.target(c.emotion, c.emotion_intensity))
        # the control smoother rests at the initial controls (no fade-in)
        self._ctl_filter.rest(self._control_vector(c))
        self.hist = np.zeros((CONTEXT_PAST, N_FEATURES), np.float32)  # feature frames from tick - PAST
        self.pros = np.zeros((0, 3), np.float64)  # level, snr, pitch of frames from `tick`
        self.tick = 0  # next tick to compute
        self.rows = np.zeros((0, ROW))  # computed ticks from `row0`
        self.row0 = 0
        self.frame = 0  # next frame to emit
        self.n_in = 0  # input samples received (at sample_rate)
        self.finished = False

    def set_controls(self, controls: Controls) -> None:
        """Takes effect from the next tick; every value glides there (about 0.3 s)."""
        if not isinstance(controls, Controls):
            raise ConfigError(f"controls must be a facecast Controls record, got {type(controls).__name__}")
        if controls.seed != self.controls.seed:
            self.head.reseed(controls.seed)
            self.eyes.reseed(controls.seed)
        self.controls = controls

    def push(self, audio: np.ndarray) -> list[FaceMotion]:
        if self.finished:
            raise ConfigError("this stream was flushed; call reset() before pushing more audio")
        x = check_audio(audio)
        self.n_in += x.size
        audio16k = self.resampler.push(x)
        if self.voice is not None:
            self.voice.push(audio16k)
        feats = self.features.push(audio16k)
        self._advance(feats, final=False)
        return self._emit(final=False)

    def flush(self) -> list[FaceMotion]:
        """End of stream: the remaining frames, up to the end of the audio."""
        if self.finished:
            return []
        tail = self.resampler.flush()  # the last ~1 ms the resampler's filter held back
        if self.voice is not None:
            self.voice.push(tail)
            self.voice.finish()
        feats = self.features.push(tail, final=True)
        self._advance(feats, final=True)
        self.finished = True
        return self._emit(final=True)

    # -- internals --------------------------------------------------------------------------
    @staticmethod
    def _control_vector(c: Controls) -> np.ndarray:
        gy, gp = c.gaze if c.gaze is not None else (0.0, 0.0)
        return np.array([gy, gp, c.distance, c.intensity], np.float64)

    def _advance(self, f, final: bool) -> None:
        hist = np.concatenate([self.hist, f.feats])
        pros = np.concatenate([self.pros, np.stack([f.level, f.snr, f.pitch], axis=1).astype(np.float64)])
        if final:  # the model saw zero frames past the end of every training utterance
            pad = LOOK_AHEAD + 2
            hist = np.concatenate([hist, np.zeros((pad, N_FEATURES), np.float32)])
            pros = np.concatenate([pros, np.tile([[-80.0, 0.0, 0.0]], (pad, 1))])
        n = hist.shape[0] - CONTEXT + 1
        if n <= 0:
            self.hist, self.pros = hist, pros
            return
        rows = self._ticks(context_windows(hist, n), pros[:n])
        self.hist, self.pros = hist[n:], pros[n:]
        self.rows = np.concatenate([self.rows, rows])
        self.tick += n

    def _ticks(self, windows: np.ndarray, pros: np.ndarray) -> np.ndarray:
        n = windows.shape[0]
        out = np.zeros((n, ROW))
        post = self.model(windows).astype(np.float64)
        # silence gate: far below the speech peak or at the noise floor, the mouth rests closed
        gate = np.clip((pros[:, 0] + 50.0) / 10.0, 0.0, 1.0) * np.clip((pros[:, 1] - 6.0) / 6.0, 0.0, 1.0)
        if self.voice is not None:  # ... and where no voice is heard (instrumental music)
            gate = gate * self.voice.gate(self.tick, n)
        post *= gate[:, None]
        post[:, 0] += 1.0 - gate
        vis, mouth = self.lips.step(post, pros[:, 0])
        ctl = self._ctl_filter(np.tile(self._control_vector(self.controls), (n, 1)))
        c = self.controls
        w = self.emotion.step(EmotionMixer.target(c.emotion, c.emotion_intensity), n)
        style = EmotionMixer.style(w)
        head, emph, act = self.head.step(pros[:, 0], pros[:, 1], pros[:, 2], style)
        blink, look = self.eyes.step(act, style[:, 6])

        bs = out[:, :NB]
        bs[:, MOUTH_INDEX] = mouth
        offsets = EmotionMixer.offsets(w)
        offsets[:, _LIP_PARTING] *= (1.0 - bilabial_seal(vis))[:, None]
        bs += offsets
        brow = emph * style[:, 5]
        bs[:, _I["browInnerUp"]] += BROW_EMPHASIS_INNER * brow
        bs[:, _I["browOuterUpLeft"]] += BROW_EMPHASIS_OUTER * brow
        bs[:, _I["browOuterUpRight"]] += BROW_EMPHASIS_OUTER * brow
        # head: intensity 0 -> still
        k = ctl[:, 3:4]
        out[:, C_HEAD : C_HEAD + 5] = head * k
        out[:, C_HEAD + 5] = ctl[:, 2]
        # gaze relative to the head: the eyes hold target + saccade offset while the head moves
        gyaw = np.clip(ctl[:, 0] + look[:, 0] - out[:, C_HEAD], -35, 35)
        gpitch = np.clip(ctl[:, 1] + look[:, 1] - out[:, C_HEAD + 1], -30, 30)
        out[:, C_GAZE] = out[:, C_GAZE + 2] = gyaw
        out[:, C_GAZE + 1] = out[:, C_GAZE + 3] = gpitch
        right, left = np.clip(gyaw / _GAZE_YAW_FULL, 0, 1), np.clip(-gyaw / _GAZE_YAW_FULL, 0, 1)
        up, down = np.clip(gpitch / _GAZE_PITCH_FULL, 0, 1), np.clip(-gpitch / _GAZE_PITCH_FULL, 0, 1)
        bs[:, _I["eyeLookOutLeft"]] = right
        bs[:, _I["eyeLookInRight"]] = right
        bs[:, _I["eyeLookInLeft"]] = left
        bs[:, _I["eyeLookOutRight"]] = left
        bs[:, _I["eyeLookUpLeft"]] = bs[:, _I["eyeLookUpRight"]] = up
        bs[:, _I["eyeLookDownLeft"]] = bs[:, _I["eyeLookDownRight"]] = down
        lid = np.clip(blink + 0.25 * down, 0, 1)
        bs[:, _I["eyeBlinkLeft"]] = np.maximum(bs[:, _I["eyeBlinkLeft"]], lid)
        bs[:, _I["eyeBlinkRight"]] = np.maximum(bs[:, _I["eyeBlinkRight"]], lid)
        for side in ("Left", "Right"):
            bs[:, _I["eyeWide" + side]] *= 1.0 - blink
        np.clip(bs, 0.0, 1.0, out=bs)
        out[:, C_VIS : C_VIS + NV] = np.clip(vis, 0.0, 1.0)
        out[:, C_EMO:] = w
        return out

    def _emit(self, final: bool) -> list[FaceMotion]:
        """Frames whose ticks are computed, interpolated between the two ticks around each."""
        n_rows = self.rows.shape[0]
        last_tick = self.row0 + n_rows - 1
        k_hi = int((last_tick + 2) * self.fps / TICK_RATE) + 2
        if final:
            k_hi = min(k_hi, int(np.ceil(self.n_in / self.sample_rate * self.fps - 1e-9)))
        ks = np.arange(self.frame, max(k_hi, self.frame))
        pos = ks * TICK_RATE / self.fps
        i0 = np.floor(pos).astype(np.int64)
        ready = (i0 <= last_tick) if final else (i0 + 1 <= last_tick)
        ks, pos, i0 = ks[ready], pos[ready], i0[ready]
        if final:
            ks = ks[ks / self.fps < self.n_in / self.sample_rate]
            pos, i0 = pos[: ks.size], i0[: ks.size]
        frames: list[FaceMotion] = []
        if ks.size:
            frac = (pos - i0)[:, None]
            j0 = i0 - self.row0
            rows = self.rows[j0] * (1.0 - frac) + self.rows[np.minimum(j0 + 1, n_rows - 1)] * frac
            frames = _to_motions(ks / self.fps, rows)
            self.frame = int(ks[-1]) + 1
        keep = min(int(np.floor(self.frame * TICK_RATE / self.fps)) - self.row0, n_rows)
        if keep > 0:
            self.rows = self.rows[keep:]
            self.row0 += keep
        return frames


def _to_motions(ts: np.ndarray, rows: np.ndarray) -> list[FaceMotion]:
    bs = rows[:, :NB].astype(np.float32)
    vis = rows[:, C_VIS : C_VIS + NV].astype(np.float32)
    head = rows[:, C_HEAD : C_HEAD + 6].tolist()
    gaze = rows[:, C_GAZE : C_GAZE + 4].tolist()
    emo = rows[:, C_EMO:]
    k = np.argmax(emo[:, 1:], axis=1) + 1
    strength = emo[np.arange(len(k)), k]
    neutral = strength < 0.02
    labels = np.where(neutral, 0, k).tolist()
    level = np.minimum(1.0, np.where(neutral, emo[:, 0], strength)).tolist()
    return [
        FaceMotion(
            t=float(t),
            blendshapes=bs[j],
            visemes=vis[j],
            head=HeadPose(*head[j]),
            gaze=Gaze(*gaze[j]),
            emotion=Emotion(EMOTIONS[labels[j]], level[j]),
        )
        for j, t in enumerate(ts.tolist())
    ]


def motion_from_audio(
    audio: np.ndarray,
    fps: float = 25.0,
    controls: Controls | None = None,
    sample_rate: int = 16000,
    voice_gate: bool = True,
) -> list[FaceMotion]:
    """Offline: every frame of a whole clip (identical to streaming the same audio)."""
    chunks = _slices(audio, sample_rate)
    return list(stream_motion(chunks, fps, controls, sample_rate, voice_gate=voice_gate))


def _slices(audio: np.ndarray, sample_rate: int, seconds: float = 10.0) -> Iterator[np.ndarray]:
    """Fixed slices keep memory flat for hours of audio; the result does not depend on them."""
    a = np.asarray(audio)
    step = max(1, int(seconds * sample_rate))
    if a.ndim == 2 and a.shape[0] <= 16 < a.shape[1]:
        a = a.T
    for i in range(0, max(a.shape[0], 1), step):
        yield a[i : i + step]


def stream_motion(
    chunks: Iterable[np.ndarray],
    fps: float = 25.0,
    controls: Controls | None = None,
    sample_rate: int = 16000,
    voice_gate: bool = True,
) -> Iterator[FaceMotion]:
    """The Python API: FaceMotion frames from an audio iterator, as soon as each is ready."""
    engine = MotionEngine(fps=fps, controls=controls, sample_rate=sample_rate, voice_gate=voice_gate)
    for chunk in chunks:
        yield from engine.push(chunk)
    yield from engine.flush()
