"""Audio decoding: any file ffmpeg reads (WAV, FLAC, MP3, M4A, ...) to float32 mono at one rate.

Uses the ffmpeg binary that imageio-ffmpeg ships, so nothing has to be installed system-wide.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import AudioError

SAMPLE_RATE = 16000  # the rate every audio stage inside facecast works at


__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "load_audio",
    "stream_audio",
    "to_mono_float",
    "ffmpeg_exe",
]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def stream_audio(
    path: str | Path, sample_rate: int = SAMPLE_RATE, block_s: float = 10.0
) -> Iterator[np.ndarray]:
    """Decode a file with ffmpeg, yielding float32 mono blocks in [-1, 1] at `sample_rate`: hours of
    audio never sit in memory at once. Errors name the file and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-vn", "-ac", "1",
           "-ar", str(sample_rate), "-f", "f32le", "-"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    n_bytes = max(1, int(block_s * sample_rate)) * 4
    total = 0
    try:
        while True:
            buf = proc.stdout.read(n_bytes)
            if not buf:
                break
            block = np.frombuffer(buf[: len(buf) // 4 * 4], np.float32)
            if not np.all(np.isfinite(block)):
                raise AudioError(f"audio in {path.name} contains NaN or infinite samples")
            total += block.size
            yield block
        err = proc.stderr.read().decode(errors="replace").strip().splitlines()
        if proc.wait() != 0:
            raise AudioError(
                f"unsupported or unreadable audio {path.name}: {err[-1] if err else 'ffmpeg failed'}"
            )
        if total == 0:
            raise AudioError(f"no audio samples in {path.name} (is it an audio file?)")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a whole file to float32 mono in [-1, 1] at `sample_rate`."""
    return np.concatenate(list(stream_audio(path, sample_rate, block_s=60.0)))


def to_mono_float(samples: np.ndarray, channels: int = 1) -> np.ndarray:
    """Interleaved int16/int32/float samples to float32 mono in [-1, 1]."""
    a = np.asarray(samples)
    if a.dtype == np.int16:
        a = a.astype(np.float32) / 32768.0
    elif a.dtype == np.int32:
        a = a.astype(np.float32) / 2147483648.0
    elif a.dtype in (np.float32, np.float64):
        a = a.astype(np.float32)
    else:
        raise AudioError(f"unsupported sample type {a.dtype}; send int16, int32 or float32")
    if channels < 1:
        raise AudioError(f"channel count must be at least 1, got {channels}")
    if a.ndim == 2:
        a = a.mean(axis=1)
    elif channels > 1:
        if a.size % channels:
            raise AudioError(f"{a.size} samples do not divide into {channels} channels")
        a = a.reshape(-1, channels).mean(axis=1)
    if not np.all(np.isfinite(a)):
        raise AudioError("audio contains NaN or infinite samples")
    return np.clip(a, -1.0, 1.0)
