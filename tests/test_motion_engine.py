"""The motion engine as users drive it: streaming vs offline, seeds, controls, silence, input kinds."""

from __future__ import annotations

import numpy as np
import pytest

from facecast.runtime.audio_features import HOP, WIN
from facecast.runtime.audio_io import load_audio
from facecast.runtime.controls import Controls
from facecast.runtime.errors import AudioError, ConfigError, FacecastError
from facecast.runtime.facemotion import MOTION_VECTOR_SIZE
from facecast.runtime.lips import CONTEXT, LOOK_AHEAD
from facecast.runtime.motion_engine import MotionEngine, motion_from_audio, stream_motion
from facecast.runtime.names import ARKIT_INDEX, ARKIT_NAMES, VISEME_NAMES
from facecast.runtime.voice_gate import CHUNK


@pytest.fixture(scope="module")
def speech(speech_wav) -> np.ndarray:
    return load_audio(speech_wav)


def _vectors(frames) -> np.ndarray:
    return np.stack([f.to_vector() for f in frames])


def _shape(frames, name: str) -> np.ndarray:
    return np.array([f[name] for f in frames])


def test_streaming_equals_offline_for_any_chunking(speech):
    offline = motion_from_audio(speech, fps=30)
    rng = np.random.default_rng(7)
    engine = MotionEngine(fps=30)
    streamed, i = [], 0
    while i < speech.size:
        n = int(rng.choice([0, 1, 37, 160, 999, 4000]))
        streamed += engine.push(speech[i : i + n])
        i += n
    streamed += engine.flush()
    assert len(streamed) == len(offline) == int(np.ceil(speech.size / 16000 * 30))
    for a, b in zip(streamed, offline):
        assert a.t == b.t
        assert np.array_equal(a.to_vector(), b.to_vector())
        assert np.array_equal(a.visemes, b.visemes)
        assert a.emotion == b.emotion


def test_frames_are_timed_on_the_audio_clock_and_wait_only_for_the_look_ahead(speech):
    engine = MotionEngine(fps=25)
    assert 0 < engine.look_ahead_ms <= 80
    frames = engine.push(speech[:16000])  # one second of audio
    # every frame whose look-ahead lies inside the first second is out, and none beyond
    ready = int(np.floor((1.0 - engine.look_ahead_ms / 1000) * 25)) + 1
    assert len(frames) in (ready, ready + 1)
    assert [f.t for f in frames] == [k / 25 for k in range(len(frames))]


def test_every_frame_is_complete_and_sane(speech):
    frames = motion_from_audio(speech, fps=25)
    v = _vectors(frames)
    assert v.shape == (len(frames), MOTION_VECTOR_SIZE)
    bs = v[:, : len(ARKIT_NAMES)]
    assert bs.min() >= 0 and bs.max() <= 1
    assert np.percentile(_shape(frames, "jawOpen"), 99) <= 0.7
    vis = np.stack([f.visemes for f in frames])
    assert vis.shape[1] == len(VISEME_NAMES)
    assert np.allclose(vis.sum(axis=1), 1.0, atol=0.05)
    # the face is alive: lips, head, eyes and gaze all move during speech
    for name in ("jawOpen", "mouthFunnel", "eyeBlinkLeft"):
        assert np.ptp(_shape(frames, name)) > 0.1, name
    assert np.std([f.head.yaw for f in frames]) > 0.3
    assert np.ptp([f.gaze.left_yaw for f in frames]) > 0.5


def test_same_seed_same_output_other_seed_differs(speech):
    a = _vectors(motion_from_audio(speech, controls=Controls(seed=3)))
    b = _vectors(motion_from_audio(speech, controls=Controls(seed=3)))
    c = _vectors(motion_from_audio(speech, controls=Controls(seed=4)))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    # the lips follow the audio, not the seed
    jaw = ARKIT_INDEX["jawOpen"]
    assert np.allclose(a[:, jaw], c[:, jaw])


def test_intensity_zero_keeps_the_head_still(speech):
    frames = motion_from_audio(speech, controls=Controls(intensity=0.0))
    for f in frames:
        assert (f.head.yaw, f.head.pitch, f.head.roll, f.head.x, f.head.y) == (0, 0, 0, 0, 0)
    assert np.ptp(_shape(frames, "jawOpen")) > 0.1  # the mouth still talks


def test_happy_raises_smile_and_cheeks(speech):
    neutral = motion_from_audio(speech, controls=Controls())
    happy = motion_from_audio(speech, controls=Controls(emotion="happy", emotion_intensity=0.8))
    for name in ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft"):
        assert _shape(happy, name).mean() > _shape(neutral, name).mean() + 0.2, name
    assert happy[10].emotion.label == "happy" and happy[10].emotion.intensity == pytest.approx(0.8, abs=0.01)


def test_emotion_changes_the_style_of_motion_too(speech):
    neutral = motion_from_audio(speech, controls=Controls(seed=1))
    sad = motion_from_audio(speech, controls=Controls(emotion="sad", seed=1))
    angry = motion_from_audio(speech, controls=Controls(emotion="angry", seed=1))
    pitch = lambda fs: np.array([f.head.pitch for f in fs])  # noqa: E731
    yaw = lambda fs: np.array([f.head.yaw for f in fs])  # noqa: E731
    assert pitch(sad).mean() < pitch(neutral).mean() - 2  # the head hangs
    assert np.std(np.diff(yaw(sad))) < 0.8 * np.std(np.diff(yaw(neutral)))  # and moves slower
    assert _shape(sad, "browInnerUp").mean() > _shape(neutral, "browInnerUp").mean() + 0.3
    assert _shape(angry, "browDownLeft").mean() > 0.4 and _shape(angry, "noseSneerLeft").mean() > 0.2


def test_brows_rise_with_emphasis(speech):
    frames = motion_from_audio(speech)
    assert np.ptp(_shape(frames, "browInnerUp")) > 0.05
    silent = motion_from_audio(np.zeros(speech.size, np.float32))
    assert np.ptp(_shape(silent, "browInnerUp")) < 0.01


def test_gaze_target_is_followed(speech):
    frames = motion_from_audio(speech, controls=Controls(gaze=(20.0, -10.0), intensity=0.0))
    yaw = np.array([f.gaze.left_yaw for f in frames])
    pitch = np.array([f.gaze.left_pitch for f in frames])
    assert abs(np.median(yaw) - 20.0) < 4 and abs(np.median(pitch) + 10.0) < 4
    # eyeLook shapes agree: looking to the viewer's right turns the left eye out and the right eye in
    assert (
        np.median(_shape(frames, "eyeLookOutLeft")) > 0.4
        and np.median(_shape(frames, "eyeLookInRight")) > 0.4
    )
    assert np.median(_shape(frames, "eyeLookDownLeft")) > 0.2


def test_live_control_change_is_smooth(speech):
    engine = MotionEngine(fps=50)
    frames = engine.push(speech[: speech.size // 2])
    engine.set_controls(Controls(emotion="angry", gaze=(-25.0, 0.0), distance=1.6))
    frames += engine.push(speech[speech.size // 2 :]) + engine.flush()
    v = _vectors(frames)
    step = np.abs(np.diff(v, axis=0))
    bs = len(ARKIT_NAMES)
    assert step[:, ARKIT_INDEX["browDownLeft"]].max() < 0.1  # emotion fades in
    assert step[:, bs + 5].max() < 0.05  # head scale glides
    assert frames[-1].head.scale == pytest.approx(1.6, abs=0.01)
    assert frames[-1].emotion.label == "angry"


def test_silence_closes_the_mouth_and_still_blinks_and_breathes():
    engine = MotionEngine(fps=25)
    frames = []
    for _ in range(20 * 50):  # 20 s of 20 ms silence chunks, as the session service sends
        frames += engine.push(np.zeros(320, np.float32))
    jaw = _shape(frames, "jawOpen") - _shape(frames, "mouthClose")
    assert np.max(jaw) < 0.05
    blink = _shape(frames, "eyeBlinkLeft")
    blinks = int(np.sum(np.diff((blink > 0.5).astype(int)) == 1))
    assert 2 <= blinks <= 17  # 6..50 a minute
    assert np.std([f.head.pitch for f in frames]) > 0.1  # breathing / idle drift


def test_no_visible_loop_in_a_minute():
    frames = motion_from_audio(np.zeros(60 * 16000, np.float32), fps=25)
    yaw = np.array([f.head.yaw for f in frames])
    yaw = yaw - yaw.mean()
    ac = np.correlate(yaw, yaw, "full")[yaw.size - 1 :] / (yaw @ yaw)
    assert ac[125:].max() < 0.8  # nothing repeats after 5 s


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_any_sample_rate_gives_the_same_lips(speech, rate):
    from scipy.signal import resample_poly

    ref = motion_from_audio(speech, fps=25)
    other = resample_poly(speech, rate, 16000).astype(np.float32)
    frames = motion_from_audio(other, fps=25, sample_rate=rate)
    assert abs(len(frames) - len(ref)) <= 1
    n = min(len(frames), len(ref))
    a, b = _shape(ref[:n], "jawOpen"), _shape(frames[:n], "jawOpen")
    assert np.corrcoef(a, b)[0, 1] > 0.8


def test_stereo_int16_and_clipping_are_accepted(speech):
    ref = motion_from_audio(speech)
    stereo16 = (np.stack([speech, speech], axis=1) * 32767).astype(np.int16)
    frames = motion_from_audio(stereo16)
    assert len(frames) == len(ref)
    assert np.corrcoef(_shape(ref, "jawOpen"), _shape(frames, "jawOpen"))[0, 1] > 0.95
    clipped = np.clip(speech * 20, -1, 1)
    assert np.ptp(_shape(motion_from_audio(clipped), "jawOpen")) > 0.1


def test_garbage_input_gives_clear_errors():
    engine = MotionEngine()
    bad = np.zeros(1000, np.float32)
    bad[10] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        engine.push(bad)
    with pytest.raises(AudioError, match="numeric"):
        engine.push(np.array(["a", "b"]))
    with pytest.raises(AudioError, match="shape"):
        engine.push(np.zeros((2, 2, 2), np.float32))
    with pytest.raises(FacecastError, match="sample rate"):
        MotionEngine(sample_rate=0)
    with pytest.raises(ConfigError, match="fps"):
        MotionEngine(fps=0)


def test_internal_buffers_stay_bounded_over_many_pushes():
    engine = MotionEngine(fps=60, sample_rate=48000)
    rng = np.random.default_rng(0)
    sizes = []
    for k in range(3000):  # 60 s in 20 ms chunks
        engine.push((rng.standard_normal(960) * 0.05).astype(np.float32))
        if k % 500 == 499:
            sizes.append(
                (
                    engine.hist.shape[0],
                    engine.pros.shape[0],
                    engine.rows.shape[0],
                    engine.features.buf.size,
                    len(engine.eyes.blinks),
                    engine.voice._probs.size + engine.voice._pending.size,
                )
            )
    # feature history, pending prosody, pending ticks, pending samples, visible blinks, voice
    # probabilities and samples: all capped
    limits = (CONTEXT, LOOK_AHEAD + 2, 4, WIN + HOP, 3, 4 + CHUNK)
    for s in sizes:
        assert all(x <= cap for x, cap in zip(s, limits)), (s, limits)


def test_stream_motion_yields_from_an_iterator(speech):
    chunks = (speech[i : i + 4800] for i in range(0, speech.size, 4800))
    frames = list(stream_motion(chunks, fps=25))
    assert np.array_equal(_vectors(frames), _vectors(motion_from_audio(speech, fps=25)))


# Instrumental music from Ren'Py's demo game (Debian renpy-demo, installed for the anime tests):
# a ragtime piano (Scott Joplin's Sunflower Slow Drag) and the demo's rock theme.
MUSIC = (
    "/usr/share/games/renpy/demo/game/sunflower-slow-drag.ogg",
    "/usr/share/games/renpy/demo/game/renpyallstars.ogg",
)


def _open_share(frames) -> float:
    """Share of frames with the lips apart (the project's definition: jawOpen - mouthClose > 0.1)."""
    return float(np.mean(_shape(frames, "jawOpen") - _shape(frames, "mouthClose") > 0.1))


@pytest.mark.parametrize("path", MUSIC, ids=["piano", "rock"])
def test_instrumental_music_leaves_the_mouth_at_rest(path):
    music = load_audio(path)[: 16000 * 20]
    gated = _open_share(motion_from_audio(music, fps=25))
    ungated = _open_share(motion_from_audio(music, fps=25, voice_gate=False))
    assert ungated > 0.2, f"without the gate the music opens the mouth in {ungated:.0%} of frames"
    assert gated < 0.05, f"with the gate the music still opens the mouth in {gated:.0%} of frames"


def test_speech_over_music_still_moves_the_lips(speech):
    music = load_audio(MUSIC[0])[: speech.size] * 0.5
    mix = speech + music * (np.sqrt(np.mean(speech**2) / np.mean(music**2)) / 2.0)  # speech 6 dB louder
    gated = _open_share(motion_from_audio(mix, fps=25))
    clean = _open_share(motion_from_audio(speech, fps=25, voice_gate=False))
    assert gated >= 0.8 * clean, f"lips apart in {gated:.0%} of frames over music, {clean:.0%} clean"
