"""render_realtime_factor: seconds of audio rendered per second of wall time, MP4 encoding included,
for 10 s of the built-in speech on the built-in portrait (the avatar cache is warmed first, and the
process keeps the portrait's generator from the warm-up render, so the figure is the steady cost of
a render, not of the one-off portrait preparation and onnxruntime session).

render_cli_10s_seconds is what a user waits for `facecast render` on the same 10 s: a fresh process,
so Python's imports, the rig and the onnxruntime session are in it (the avatar cache is warm)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np


def _ten_seconds_of_speech(folder: Path) -> Path:
    from facecast.cmd_demo import builtin_inputs
    from facecast.runtime.audio_io import SAMPLE_RATE, load_audio

    audio = load_audio(builtin_inputs()[1])[: 10 * SAMPLE_RATE]
    audio = np.pad(audio, (0, 10 * SAMPLE_RATE - len(audio)))
    path = folder / "speech10s.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((audio * 32767).astype(np.int16).tobytes())
    return path


def measure_render(size: int = 512, runs: int = 3) -> dict:
    from facecast.cmd_demo import builtin_inputs
    from facecast.runtime.render import RenderOptions, render

    image = builtin_inputs()[0]
    factors, seconds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        audio = _ten_seconds_of_speech(folder)
        render(image, audio, folder / "warmup.mp4", RenderOptions(size=size, force=True))
        for i in range(runs):
            result = render(image, audio, folder / f"run{i}.mp4", RenderOptions(size=size, force=True))
            factors.append(result.realtime_factor)
            seconds.append(result.seconds)
        cli = [_cli_seconds(image, audio, folder / f"cli{i}.mp4", size) for i in range(runs)]
    return {
        "render_realtime_factor": statistics.median(factors),
        "render_10s_seconds": statistics.median(seconds),
        "render_10s_seconds_max": max(seconds),
        "render_cli_10s_seconds": statistics.median(cli),
        "render_cli_10s_seconds_max": max(cli),
    }


def _cli_seconds(image: Path, audio: Path, out: Path, size: int) -> float:
    """Wall time of `facecast render` as its own process (the interpreter this runs in)."""
    cmd = [sys.executable, "-m", "facecast", "render", str(image), str(audio), "-o", str(out)]
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--size", str(size), "--force"], check=True, capture_output=True)
    return time.perf_counter() - t0


if __name__ == "__main__":
    import json

    print(json.dumps(measure_render(), indent=2))
