"""Live audio sources: file chunks (exact sizes, same samples as the decoder, real-time pacing) and
the microphone's errors when sounddevice, PortAudio or an input device is missing."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest
from scipy.io import wavfile

from facecast.runtime.audio_io import SAMPLE_RATE, load_audio
from facecast.runtime.audio_sources import file_chunks, list_input_devices, mic_chunks, silence_chunks
from facecast.runtime.errors import AudioError


@pytest.fixture()
def tone_wav(tmp_path):
    """0.61 s of a 220 Hz tone at 44.1 kHz stereo: exercises resampling, downmix and padding."""
    t = np.arange(int(0.61 * 44100)) / 44100
    x = (0.5 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    path = tmp_path / "tone.wav"
    wavfile.write(path, 44100, np.stack([x, x], axis=1))
    return path


def test_file_chunks_cover_the_file_in_exact_chunks(speech_wav):
    chunks = list(file_chunks(speech_wav, chunk_ms=20, realtime=False))
    assert all(c.dtype == np.float32 and c.shape == (320,) for c in chunks)
    whole = load_audio(speech_wav)
    joined = np.concatenate(chunks)
    assert joined.size - whole.size < 320
    np.testing.assert_array_equal(joined[: whole.size], whole)
    assert not joined[whole.size :].any()  # padding is silence


def test_file_chunks_are_paced_at_real_time(tone_wav):
    start = time.monotonic()
    chunks = list(file_chunks(tone_wav, chunk_ms=40, realtime=True))
    elapsed = time.monotonic() - start
    duration = sum(c.size for c in chunks) / SAMPLE_RATE
    assert duration == pytest.approx(0.64)
    # chunk i is released at i * 40 ms: the whole file takes its length minus one chunk
    assert 0.5 <= elapsed <= 1.0


def test_silence_keeps_coming():
    it = silence_chunks(chunk_ms=10, realtime=False)
    chunks = [next(it) for _ in range(50)]
    assert all(c.shape == (160,) and not c.any() for c in chunks)


def test_bad_arguments_are_clear(tmp_path, tone_wav):
    with pytest.raises(AudioError, match="not found"):
        next(file_chunks(tmp_path / "missing.wav"))
    with pytest.raises(AudioError, match="chunk length"):
        next(file_chunks(tone_wav, chunk_ms=0))


def test_microphone_without_sounddevice_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import now fails as if not installed
    with pytest.raises(AudioError, match=r"pip install 'facecast\[live\]'"):
        next(mic_chunks())
    with pytest.raises(AudioError, match="sounddevice"):
        list_input_devices()


def test_microphone_on_a_machine_without_one_says_so():
    try:
        devices = list_input_devices()
    except AudioError as exc:  # sounddevice or PortAudio absent: the message says what to install
        assert "pip install" in str(exc) or "PortAudio" in str(exc)
        return
    if devices:
        pytest.skip(f"this machine has input devices: {devices}")
    with pytest.raises(AudioError, match="no audio input device"):
        next(mic_chunks())
