"""`facecast live --pose-only` as a real subprocess against a VMC listener and a fake VTube Studio,
both on loopback: the avatar's mouth opens when the speech starts, not before."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from scipy.io import wavfile

from facecast.runtime.audio_io import SAMPLE_RATE, load_audio

LEAD_SILENCE = 1.0  # seconds of silence before the speech
RATE = 50  # pose frames per second sent

needs_engine = pytest.mark.skipif(
    importlib.util.find_spec("facecast.runtime.motion_engine") is None,
    reason="the motion engine (facecast.runtime.motion_engine) has not landed in this checkout",
)


@pytest.fixture(scope="module")
def silence_then_speech(speech_wav, tmp_path_factory):
    audio = load_audio(speech_wav)
    path = tmp_path_factory.mktemp("live") / "silence_then_speech.wav"
    lead = np.zeros(int(LEAD_SILENCE * SAMPLE_RATE), np.float32)
    wavfile.write(path, SAMPLE_RATE, np.concatenate([lead, audio]))
    return path


def facecast_live(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "facecast", "live", *args], capture_output=True, text=True, timeout=timeout
    )


def split_by_audio_time(values: list[float], rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Frame i is sent at i / rate s and shows audio some latency (< 0.4 s) earlier: frames sent
    before LEAD_SILENCE show silence; frames sent 0.4 s after it show speech."""
    v = np.asarray(values)
    t = np.arange(v.size) / rate
    return v[(t > 0.2) & (t < LEAD_SILENCE)], v[t > LEAD_SILENCE + 0.4]


def test_pose_only_needs_an_output():
    proc = facecast_live("--pose-only", "--duration", "1")
    assert proc.returncode == 2
    assert "--vmc" in proc.stderr and "--vts" in proc.stderr


def test_portrait_mode_needs_an_image():
    proc = facecast_live("--vmc", "--duration", "1")
    assert proc.returncode == 2
    assert "IMAGE" in proc.stderr and "--pose-only" in proc.stderr


def test_one_audio_source_at_a_time(silence_then_speech):
    proc = facecast_live("--pose-only", "--vmc", "--audio", str(silence_then_speech), "--mic")
    assert proc.returncode == 2
    assert "--audio FILE or --mic" in proc.stderr
