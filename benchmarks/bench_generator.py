"""Generator speed: frames per second at batch 1 and batch 8, median and p95 over repeated runs.

Uses the scikit-image astronaut portrait (public domain) and a varied motion sequence (talking,
blinking, head turning), so the figures include everything a live render does per frame. The
machine may be shared: compare figures measured in the same run, not across machines; the CPU
time per frame (generator_cpu_ms_*) is robust to other jobs, wall time is not (load_average_1min
says how busy the machine was).

    python -m benchmarks.bench_generator [--size 512] [--repeats 40] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def _portrait(size: int):
    import cv2
    from skimage import data

    from facecast.runtime.avatar import prepare_avatar

    tmp = Path(tempfile.mkdtemp(prefix="facecast-bench-"))
    path = tmp / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return prepare_avatar(path, size=size, cache_dir=tmp / "cache")


def motion_sequence(n: int, seed: int = 0) -> np.ndarray:
    """n varied motion vectors: jaw, smile, blinks, head turns, gaze."""
    from facecast.runtime.names import ARKIT_INDEX

    t = np.arange(n) / 25.0
    m = np.zeros((n, 62), np.float32)
    m[:, ARKIT_INDEX["jawOpen"]] = 0.35 + 0.3 * np.sin(2 * np.pi * 3.1 * t)
    m[:, ARKIT_INDEX["mouthSmileLeft"]] = m[:, ARKIT_INDEX["mouthSmileRight"]] = 0.3
    blink = (np.arange(n) % 40) < 3
    m[:, ARKIT_INDEX["eyeBlinkLeft"]] = m[:, ARKIT_INDEX["eyeBlinkRight"]] = blink
    m[:, 52] = 12 * np.sin(2 * np.pi * 0.3 * t)
    m[:, 53] = 6 * np.sin(2 * np.pi * 0.41 * t + 1)
    m[:, 54] = 4 * np.sin(2 * np.pi * 0.23 * t + 2)
    m[:, 57] = 1.0
    m[:, 58:62] = 8 * np.sin(2 * np.pi * 0.2 * t)[:, None]
    return m


def measure_generator(size: int = 512, repeats: int = 40, batch: int = 8, threads: int | None = None) -> dict:
    from facecast.runtime.generator import Generator

    gen = Generator(_portrait(size), threads=threads)
    motion = motion_sequence(max(repeats, batch * repeats // 4))
    for i in range(3):
        gen.render(motion[i : i + 1])
    single, cpu = [], []
    for i in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        gen.render(motion[i : i + 1])
        single.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    batched = []
    for i in range(max(3, repeats // 4)):
        chunk = motion[(i * batch) % (len(motion) - batch) :][:batch]
        t0 = time.perf_counter()
        gen.render(chunk)
        batched.append((time.perf_counter() - t0) / batch)
    single_ms, batched_ms = np.array(single) * 1e3, np.array(batched) * 1e3
    return {
        "generator_device": gen.device,
        "generator_size": size,
        "generator_fps": float(1000 / np.median(single_ms)),
        "generator_ms_median": float(np.median(single_ms)),
        "generator_ms_p95": float(np.percentile(single_ms, 95)),
        "generator_fps_batched": float(1000 / np.median(batched_ms)),
        "generator_batched_ms_per_frame_median": float(np.median(batched_ms)),
        "generator_batched_ms_per_frame_p95": float(np.percentile(batched_ms, 95)),
        "generator_batch": batch,
        "generator_threads": int(gen.threads),
        # CPU time of the process per frame (all threads): unlike wall time it does not grow when
        # other jobs share the machine, so it is the figure to compare across runs
        "generator_cpu_ms_median": float(np.median(cpu) * 1e3),
        "generator_cpu_ms_p95": float(np.percentile(cpu, 95) * 1e3),
        "load_average_1min": float(os.getloadavg()[0]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--repeats", type=int, default=40)
    p.add_argument(
        "--threads", type=int, default=None, help="onnxruntime intra-op threads (default: Generator's)"
    )
    args = p.parse_args()
    print(json.dumps(measure_generator(args.size, args.repeats, threads=args.threads), indent=2))


if __name__ == "__main__":
    main()
