import subprocess

import numpy as np
import pytest

from facecast.runtime.audio_io import SAMPLE_RATE, AudioError, ffmpeg_exe, load_audio, to_mono_float
from facecast.runtime.resample import resample


@pytest.mark.parametrize(
    "ext, codec", [("flac", "flac"), ("mp3", "libmp3lame"), ("m4a", "aac"), ("wav", "pcm_s16le")]
)
def test_decodes_common_formats_to_16k_mono(tmp_path, speech_wav, ext, codec):
    src = load_audio(speech_wav)
    out = tmp_path / f"speech.{ext}"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(speech_wav),
            "-ac",
            "2",
            "-ar",
            "44100",
            "-c:a",
            codec,
            str(out),
        ],
        check=True,
    )
    audio = load_audio(out)
    assert audio.dtype == np.float32 and audio.ndim == 1
    # Same duration within 60 ms (encoder padding), and real signal, not silence.
    assert abs(audio.size - src.size) / SAMPLE_RATE < 0.06
    assert np.sqrt(np.mean(audio**2)) > 0.01


def test_corrupt_file_names_the_problem(tmp_path):
    bad = tmp_path / "noise.mp3"
    bad.write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(AudioError, match="unsupported or unreadable audio noise.mp3"):
        load_audio(bad)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "absent.wav")


def test_int16_stereo_chunks_become_float_mono():
    stereo = np.array([[32767, -32768], [16384, 16384]], np.int16).reshape(-1)
    mono = to_mono_float(stereo, channels=2)
    np.testing.assert_allclose(mono, [0.0, 0.5], atol=1e-4)
    with pytest.raises(AudioError, match="unsupported sample type"):
        to_mono_float(np.array([1, 2], np.uint8))


def test_resample_keeps_a_tone_at_its_pitch():
    t = np.arange(48000) / 48000
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = resample(tone, 48000)
    assert out.size == 16000
    freq = np.argmax(np.abs(np.fft.rfft(out))) * SAMPLE_RATE / out.size
    assert abs(freq - 440) < 2
