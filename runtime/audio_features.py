"""Streaming audio features for the motion engine: 100 feature frames a second.

Every stage keeps explicit state and works sample by sample in effect, so feeding the audio in one
piece or in chunks of any size gives bit-identical features (the engine's streaming == offline
guarantee rests on this). Per frame (10 ms hop, 25 ms window centred on the frame time):

- 40 log-mel bands in dB relative to a slowly decaying loudness peak (gain invariant),
- frame energy relative to that peak and to a tracked noise floor (speech vs. silence/noise),
- pitch (Hz, 0 when unvoiced) and voicing strength from the autocorrelation, for prosody.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio_io import to_mono_float
from .errors import AudioError

RATE = 16000
HOP = 160  # 10 ms
WIN = 400  # 25 ms
NFFT = 512  # the autocorrelation wraps past 7 ms lag, but a Hann-windowed frame has little there
N_MELS = 40
N_FEATURES = N_MELS + 2  # mels, energy re peak, energy re noise floor
FRAME_RATE = RATE / HOP
LOOK_AHEAD_SAMPLES = WIN // 2  # a frame needs 12.5 ms of audio after its centre

# Loudness trackers, in dB per frame.
PEAK_DECAY = 0.01  # 1 dB/s: a pause does not make the next word look loud
PEAK_FLOOR = -50.0  # below this nothing is speech-loud
NOISE_RISE = 0.03  # 3 dB/s: constant noise is learnt within seconds


def _mel_matrix() -> np.ndarray:
    def hz2mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    edges = 700.0 * (10 ** (np.linspace(hz2mel(60.0), hz2mel(7600.0), N_MELS + 2) / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(NFFT, 1.0 / RATE)
    m = np.zeros((N_MELS, freqs.size), np.float64)
    for b in range(N_MELS):
        lo, mid, hi = edges[b : b + 3]
        m[b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    m = m / m.sum(axis=1, keepdims=True)
    last = int(np.nonzero(m.any(axis=0))[0][-1]) + 1
    return np.ascontiguousarray(m[:, :last].T)


_MEL = _mel_matrix()
_WINDOW = np.hanning(WIN).astype(np.float64)
_MIN_LAG, _MAX_LAG = RATE // 1000, RATE // 70  # 1000 Hz .. 70 Hz
_WIN_AC = np.maximum(
    np.correlate(_WINDOW, _WINDOW, "full")[WIN - 1 : WIN + _MAX_LAG] / np.sum(_WINDOW**2), 0.05
)


def check_audio(audio: np.ndarray) -> np.ndarray:
    """Any chunk users send (float or int, mono or (n, channels)) to float32 mono, or a clear error."""
    a = np.asarray(audio)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise AudioError(f"audio must be a numeric array (float32 or int16), got dtype {a.dtype}")
    if a.ndim > 2:
        raise AudioError(f"audio must be 1-D (mono) or 2-D (samples, channels), got shape {a.shape}")
    if a.ndim == 2 and a.shape[1] > 16 and a.shape[0] <= 16:
        a = a.T  # (channels, samples) layout
    if a.dtype not in (np.int16, np.int32, np.float32, np.float64):
        a = a.astype(np.float32) if np.issubdtype(a.dtype, np.floating) else a.astype(np.int32)
    return to_mono_float(a)


@dataclass
class FeatureFrames:
    """A block of consecutive feature frames; frame `start + j` is centred at (start + j) * 10 ms."""

    start: int
    feats: np.ndarray  # (n, N_FEATURES) float32: model input
    energy: np.ndarray  # (n,) dB re full scale
    level: np.ndarray  # (n,) dB re the loudness peak (0 = as loud as recent speech)
    snr: np.ndarray  # (n,) dB re the noise floor
    pitch: np.ndarray  # (n,) Hz, 0 when unvoiced
    voicing: np.ndarray  # (n,) 0..1

    def __len__(self) -> int:
        return int(self.feats.shape[0])


class FeatureStream:
    """16 kHz float32 samples in, FeatureFrames out as soon as each frame's window is complete."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.buf = np.zeros(WIN // 2, np.float32)  # left padding: frame 0 is centred at t = 0
        self.next_frame = 0
        self.consumed = 0  # padded-stream index of buf[0]
        self.peak = -30.0
        self.noise = -60.0

    def push(self, x: np.ndarray, final: bool = False) -> FeatureFrames:
        buf = np.concatenate([self.buf, x.astype(np.float32, copy=False)])
        if final:
            buf = np.concatenate([buf, np.zeros(WIN // 2, np.float32)])
        n = max(0, (buf.size - WIN) // HOP + 1)
        if n:
            frames = np.lib.stride_tricks.sliding_window_view(buf, WIN)[::HOP][:n].astype(np.float64)
            out = self._compute(frames)
        else:
            out = self._empty()
        keep_from = n * HOP
        self.buf = buf[keep_from:].copy()
        self.consumed += keep_from
        if final:
            self.buf = self.buf[:0]
        return out

    def _empty(self) -> FeatureFrames:
        z = np.zeros(0, np.float32)
        return FeatureFrames(self.next_frame, np.zeros((0, N_FEATURES), np.float32), z, z, z, z, z)

    def _compute(self, frames: np.ndarray) -> FeatureFrames:
        n = frames.shape[0]
        power_t = np.mean(frames**2, axis=1)
        energy = 10.0 * np.log10(power_t + 1e-10)
        spec = np.fft.rfft(frames * _WINDOW, NFFT)
        power = spec.real**2 + spec.imag**2
        # einsum, not BLAS: BLAS results for a row depend on the batch size, einsum's do not
        mel_db = 10.0 * np.log10(
            np.einsum("ij,jk->ik", power[:, : _MEL.shape[0]], _MEL, optimize=False) + 1e-10
        )
        # pitch from the autocorrelation (Wiener-Khinchin on the same spectrum)
        ac = np.fft.irfft(power, NFFT)[:, : _MAX_LAG + 1]
        ac = ac / _WIN_AC  # undo the window's own taper so long lags are not penalised
        seg = ac[:, _MIN_LAG:] / (ac[:, :1] + 1e-12)
        # search only past the first dip below zero: lags before it are the main lobe, not a period
        past_lobe = np.maximum.accumulate(seg < 0.0, axis=1)
        cand = np.where(past_lobe, seg, -1.0)
        # the shortest lag that nearly matches the best one (a period's multiples match it too)
        peak = np.zeros_like(cand, dtype=bool)
        peak[:, 1:-1] = (cand[:, 1:-1] >= cand[:, :-2]) & (cand[:, 1:-1] >= cand[:, 2:])
        good = peak & (cand >= 0.9 * cand.max(axis=1, keepdims=True))
        lag = np.where(good.any(axis=1), np.argmax(good, axis=1), np.argmax(cand, axis=1)) + _MIN_LAG
        voicing = np.clip(cand[np.arange(n), lag - _MIN_LAG], 0.0, 1.0)
        voiced = (voicing > 0.45) & (energy > -60.0)
        pitch = np.where(voiced, RATE / lag, 0.0)
        # loudness trackers: sequential by nature, a scalar loop is cheap
        peak = np.empty(n)
        noise = np.empty(n)
        p, q = self.peak, self.noise
        for i, e in enumerate(energy.tolist()):
            p = max(e, p - PEAK_DECAY, PEAK_FLOOR)
            q = min(e, q + NOISE_RISE)
            peak[i], noise[i] = p, q
        self.peak, self.noise = p, q
        level = energy - peak
        snr = energy - noise
        feats = np.empty((n, N_FEATURES), np.float32)
        feats[:, :N_MELS] = np.maximum(mel_db - peak[:, None], -80.0) / 20.0 + 1.5
        feats[:, N_MELS] = np.maximum(level, -80.0) / 20.0 + 1.5
        feats[:, N_MELS + 1] = np.clip(snr, 0.0, 80.0) / 20.0
        out = FeatureFrames(
            self.next_frame,
            feats,
            energy.astype(np.float32),
            level.astype(np.float32),
            snr.astype(np.float32),
            pitch.astype(np.float32),
            voicing.astype(np.float32),
        )
        self.next_frame += n
        return out


def features_of(audio: np.ndarray) -> FeatureFrames:
    """All feature frames of a whole 16 kHz clip (frames centred at 0, 10, 20 ms ... < duration)."""
    fs = FeatureStream()
    a = fs.push(audio)
    b = fs.push(np.zeros(0, np.float32), final=True)
    n_total = int(np.ceil(audio.size / HOP))
    return FeatureFrames(
        0,
        *(
            np.concatenate([getattr(a, f), getattr(b, f)])[:n_total]
            for f in FeatureFrames.__dataclass_fields__
            if f != "start"
        ),
    )
