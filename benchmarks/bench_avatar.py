"""Avatar preparation cost: a fresh preparation (face finding, landmarks, crop, matte, cache write)
against a cache hit, on scikit-image's astronaut portrait. The process's one-off mediapipe graph
construction is reported separately (avatar_first_prepare_ms) and kept out of the median.

As a script it also times each portrait of ../shared/eval-dev/portraits when that folder exists:
    python -m benchmarks.bench_avatar [--runs N]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

EVAL_PORTRAITS = Path(__file__).resolve().parents[2] / "shared" / "eval-dev" / "portraits"


def _astronaut_png() -> bytes:
    from PIL import Image
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, format="PNG")
    return buf.getvalue()


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def _time_fresh(source, runs: int, size: int, cpu: list[float] | None = None) -> list[float]:
    """Each run uses an empty cache directory, so every run prepares from scratch. Wall time in ms;
    CPU time of the whole process (all threads) is appended to `cpu` when given: on a machine shared
    with other jobs it is the steadier figure."""
    from facecast.runtime.avatar import prepare_avatar

    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            t0, c0 = time.perf_counter(), time.process_time()
            prepare_avatar(source, size=size, cache_dir=cache)
            times.append((time.perf_counter() - t0) * 1000)
            if cpu is not None:
                cpu.append((time.process_time() - c0) * 1000)
    return times


def measure_avatar_prepare(runs: int = 7, cached_runs: int = 20, size: int = 512) -> dict:
    from facecast.runtime.avatar import prepare_avatar

    png = _astronaut_png()
    first = _time_fresh(png, 1, size)[0]  # includes building the mediapipe graphs once
    cpu: list[float] = []
    fresh = _time_fresh(png, runs, size, cpu)
    with tempfile.TemporaryDirectory() as cache:
        prepare_avatar(png, size=size, cache_dir=cache)
        cached = []
        for _ in range(cached_runs):
            t0 = time.perf_counter()
            prepare_avatar(png, size=size, cache_dir=cache)
            cached.append((time.perf_counter() - t0) * 1000)
    median_fresh, median_cached = statistics.median(fresh), statistics.median(cached)
    return {
        "avatar_prepare_ms": median_fresh,
        "avatar_prepare_ms_p95": _p95(fresh),
        "avatar_prepare_cpu_ms": statistics.median(cpu),
        "avatar_cached_ms": median_cached,
        "avatar_cached_ms_p95": _p95(cached),
        "avatar_cache_speedup": median_fresh / median_cached,
        "avatar_first_prepare_ms": first,
    }


def measure_eval_portraits(runs: int = 3, size: int = 512) -> dict[str, float]:
    """Median fresh preparation time per eval-dev portrait (calibration material, read in place)."""
    return {
        p.name: statistics.median(_time_fresh(p, runs, size)) for p in sorted(EVAL_PORTRAITS.glob("p*.*"))
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)
    result = measure_avatar_prepare(runs=args.runs, size=args.size)
    if EVAL_PORTRAITS.is_dir():
        result["eval_portraits_prepare_ms"] = measure_eval_portraits(size=args.size)
    else:
        result["eval_portraits_prepare_ms"] = f"skipped: {EVAL_PORTRAITS} not found"
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
