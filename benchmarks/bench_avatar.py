"""Avatar preparation cost: a fresh preparation (face finding, landmarks, crop, matte, cache write)
against a cache hit, on scikit-image's astronaut portrait. The process's one-off mediapipe graph
construction is reported separately (avatar_first_prepare_ms) and kept out of the median.

As a script it also times each portrait of ../shared/eval-dev/portraits when that folder exists:
    python -m benchmarks.bench_avatar [--runs N] [--sheet /tmp/avatars.jpg]
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


def contact_sheet(sources: list[Path], path: Path, size: int = 512) -> None:
    """Crop with landmarks, matte, and the crop composited on green, one row per portrait: the way
    to check framing and mattes by eye. Written outside the repository (eval-dev images may not be
    copied into it)."""
    import cv2

    from facecast.runtime.avatar import prepare_avatar

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for src in sources:
            av = prepare_avatar(src, size=size, cache_dir=cache)
            marked = av.image.copy()
            for x, y, _ in av.landmarks[::3]:
                cv2.circle(marked, (int(x), int(y)), 1, (0, 255, 0), -1)
            alpha = av.matte[..., None]
            green = (av.image * alpha + np.array([0, 200, 0]) * (1 - alpha)).astype(np.uint8)
            matte = np.repeat((alpha * 255).astype(np.uint8), 3, axis=2)
            rows.append(np.hstack([cv2.resize(t, (256, 256)) for t in (marked, matte, green)]))
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--sheet", type=Path, help="also write a contact sheet of the eval-dev crops here")
    args = parser.parse_args(argv)
    if args.sheet and EVAL_PORTRAITS.is_dir():
        contact_sheet(sorted(EVAL_PORTRAITS.glob("p*.*")), args.sheet, args.size)
    result = measure_avatar_prepare(runs=args.runs, size=args.size)
    if EVAL_PORTRAITS.is_dir():
        result["eval_portraits_prepare_ms"] = measure_eval_portraits(size=args.size)
    else:
        result["eval_portraits_prepare_ms"] = f"skipped: {EVAL_PORTRAITS} not found"
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
