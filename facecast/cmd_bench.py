"""`facecast bench`: the performance table. Each figure comes from a benchmark module under
benchmarks/ (installed as facecast.benchmarks); this command only runs them and prints the results.

Figures are medians (with p95 where a module reports it) of repeated runs on this machine, which may
be shared and noisy: compare ratios measured in the same run, not numbers across machines."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import platform
import sys
import time

log = logging.getLogger("facecast")

# (section, module, function): run in this order; each returns a dict of figures.
SECTIONS: list[tuple[str, str, str]] = [
    ("generator", "bench_generator", "measure_generator"),
    ("avatar", "bench_avatar", "measure_avatar_prepare"),
    ("motion", "bench_motion", "measure_motion_speed"),
    ("render", "bench_render", "measure_render"),
    ("live", "bench_live", "measure_live"),
    ("slow_subscriber", "slow_subscriber", "measure_slow_subscriber"),
    ("watermark", "bench_watermark", "measure_watermark_speed"),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--only", nargs="+", choices=[s for s, _, _ in SECTIONS], help="run only these sections")
    p.add_argument("--size", type=int, default=512, help="frame size for generator and live figures")


def _machine() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def run(args: argparse.Namespace) -> int:
    results: dict[str, object] = {"machine": _machine(), "python": platform.python_version()}
    for section, module, func in SECTIONS:
        if args.only and section not in args.only:
            continue
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"facecast.benchmarks.{module}")
            fn = getattr(mod, func)
            figures = fn(size=args.size) if "size" in fn.__code__.co_varnames else fn()
        except Exception as exc:  # a failing section must not hide the others' figures
            log.error("benchmark %s failed: %s", section, exc)
            results[f"{section}_error"] = str(exc)
            continue
        results.update(figures)
        log.info("benchmark %s done in %.1f s", section, time.perf_counter() - t0)
    if args.json:
        print(json.dumps(results, indent=2, default=float))
    else:
        width = max(len(k) for k in results)
        for key, value in results.items():
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {shown}")
    return 1 if any(k.endswith("_error") for k in results) and not sys.flags.interactive else 0
