"""runtime/session.py: the bounded audio queue, and a Session's audio clock
(real motion engine; the wall clock is a controllable function so pacing can be checked exactly)."""

from __future__ import annotations

import numpy as np
import pytest

from facecast.runtime.audio_io import SAMPLE_RATE, load_audio
from facecast.runtime.session import AudioQueue, Session, SessionBusy, SessionOptions


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_audio_queue_is_bounded():
    q = AudioQueue(max_seconds=1.0)
    q.put(np.zeros(SAMPLE_RATE // 2, np.float32))
    with pytest.raises(SessionBusy, match="limit"):
        q.put(np.zeros(SAMPLE_RATE, np.float32))
    assert len(q.take(1000)) == 1000 and q.size == SAMPLE_RATE // 2 - 1000


@pytest.fixture()
def engine_available():
    pytest.importorskip("facecast.runtime.motion_engine", reason="the motion engine has not landed yet")


def test_push_audio_gives_one_motion_per_frame_on_the_audio_clock(engine_available, speech_wav):
    audio = load_audio(speech_wav)
    s = Session("a", SessionOptions(pose_only=True, fps=25))
    out = []
    for i in range(0, len(audio), 320):
        out += s.push_audio(audio[i : i + 320], SAMPLE_RATE)
    out += s.flush()
    times = np.array([m.t for m, _ in out])
    assert all(frame is None for _, frame in out)  # pose-only: no generator
    assert abs(len(out) - len(audio) / SAMPLE_RATE * 25) <= 2
    assert np.allclose(np.diff(times), 1 / 25, atol=1e-6) and times[0] == 0.0


def test_any_input_rate_and_type_give_the_same_motion(engine_available, speech_wav):
    from facecast.runtime.audio_io import load_audio as decode

    a16 = decode(speech_wav, 16000)
    a48 = (decode(speech_wav, 48000) * 32767).astype(np.int16)
    s1 = Session("a", SessionOptions(pose_only=True))
    s2 = Session("b", SessionOptions(pose_only=True))
    m1 = [m for m, _ in s1.push_audio(a16, 16000) + s1.flush()]
    stereo = np.repeat(a48[:, None], 2, axis=1).reshape(-1)  # interleaved 2-channel
    m2 = []
    for i in range(0, len(stereo), 1920):
        m2 += [m for m, _ in s2.push_audio(stereo[i : i + 1920], 48000, channels=2)]
    m2 += [m for m, _ in s2.flush()]
    n = min(len(m1), len(m2))
    jaw1 = np.array([m["jawOpen"] for m in m1[:n]])
    jaw2 = np.array([m["jawOpen"] for m in m2[:n]])
    assert abs(len(m1) - len(m2)) <= 1 and jaw1.max() > 0.2
    assert np.corrcoef(jaw1, jaw2)[0, 1] > 0.95


def test_tick_plays_the_queue_in_real_time_and_animates_silence_when_idle(engine_available):
    clock = ManualClock()
    s = Session("a", SessionOptions(pose_only=True, fps=50, lead_s=0.0, idle_grace_s=0.1), clock=clock)
    assert s.tick() == []  # just opened: nothing to play yet
    clock.now += 0.5  # idle: silence keeps the face alive, the clock trailing the wall by the grace
    s.tick()
    assert s.clock_seconds == pytest.approx(0.4, abs=1e-3)
    look_ahead = s.look_ahead_s
    assert 0 < look_ahead < 0.2
    pts, duration = s.enqueue_audio(np.zeros(16000, np.int16), 16000)  # 1 s of audio
    assert (pts, duration) == (pytest.approx(0.4, abs=1e-3), 1.0)  # starts where the clock is
    pts2, _ = s.enqueue_audio(np.zeros(8000, np.float32), 16000)
    assert pts2 == pytest.approx(1.4, abs=1e-3)  # appended after what is queued
    out = s.tick()  # at once: audio up to the wall clock plus the look-ahead, so frames are due
    assert s.clock_seconds == pytest.approx(0.5 + look_ahead, abs=1e-3)
    assert out and out[-1][0].t == pytest.approx(0.5, abs=0.03)
    clock.now += 0.2
    s.tick()
    assert s.clock_seconds == pytest.approx(0.7 + look_ahead, abs=1e-3)  # real time, not faster
    assert s.queued_seconds == pytest.approx(1.5 - (0.3 + look_ahead), abs=1e-3)
    assert s.status()["state"] == "speaking"
    clock.now += 5.0
    out = s.tick()
    assert s.queued_seconds == 0 and s.status()["state"] == "idle"
    s.tick()  # no audio for longer than the grace: silence again, trailing the wall clock
    assert s.clock_seconds == pytest.approx(5.6, abs=1e-3)
    times = [m.t for m, _ in out]
    assert np.all(np.diff(times) > 0)


def test_fps_change_keeps_the_clock_continuous(engine_available):
    s = Session("a", SessionOptions(pose_only=True, fps=25))
    first = s.push_audio(np.zeros(16000, np.float32), 16000)
    first += s.set_fps(50)
    second = s.push_audio(np.zeros(16000, np.float32), 16000)
    assert s.options.fps == 50
    t1, t2 = first[-1][0].t, second[0][0].t
    assert t1 < t2 < t1 + 0.1
    assert np.allclose(np.diff([m.t for m, _ in second]), 1 / 50, atol=1e-6)


def test_bad_audio_parameters_are_audio_errors():
    from facecast.runtime.errors import AudioError

    s = Session("a", SessionOptions(pose_only=True))
    with pytest.raises(AudioError, match="sample rate"):
        s.enqueue_audio(np.zeros(10, np.int16), 100)
    with pytest.raises(AudioError, match="channels"):
        s.enqueue_audio(np.zeros(9, np.int16), 16000, channels=2)
    with pytest.raises(AudioError, match="NaN"):
        s.enqueue_audio(np.array([np.nan], np.float32), 16000)


def test_rendered_session_frames_carry_the_sessions_watermark(engine_available, astronaut_png, speech_wav):
    from facecast.runtime.session import load_generator
    from facecast.runtime.watermark import Watermarker, detect

    s = Session("npc-7", SessionOptions(fps=25))
    s.set_generator(load_generator(astronaut_png, 256))
    audio = load_audio(speech_wav)[:SAMPLE_RATE]
    frames = [f for _, f in s.push_audio(audio, SAMPLE_RATE) + s.flush() if f is not None]
    assert frames, "a session with a portrait must render frames"
    found = detect(np.stack(frames[:4])[..., :3])
    assert found.found and found.identifier == Watermarker("npc-7", 256).identifier


def test_speech_after_silence_is_the_first_frame_drawn(engine_available, astronaut_png, speech_wav):
    """The silent frames the look-ahead held back when speech arrives are already late: drawing
    them first would delay the speech's first frame by several renders. They are skipped (their
    poses still go out), and drawing resumes at the speech's first frame."""
    from facecast.runtime.session import load_generator

    clock = ManualClock()
    s = Session("a", SessionOptions(fps=40, idle_grace_s=0.1), clock=clock)
    s.set_generator(load_generator(astronaut_png, 256))
    for _ in range(20):  # idle: silence keeps the face alive, frames drawn
        clock.now += 0.025
        assert all(f is not None for _, f in s.tick())
    pts, _ = s.enqueue_audio(load_audio(speech_wav)[:SAMPLE_RATE], SAMPLE_RATE)
    out = s.tick()
    held = [m for m, f in out if m.t < pts - 1e-6]
    drawn = [m for m, f in out if f is not None]
    assert held, "the look-ahead holds silent frames back until the next audio"
    assert all(f is None for m, f in out if m.t < pts - 1e-6)
    assert drawn and drawn[0].t == pytest.approx(pts, abs=1 / 40)
    assert s.dropped >= len(held)
    clock.now += 0.025
    assert all(f is not None for _, f in s.tick())  # speech goes on being drawn
