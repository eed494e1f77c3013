"""The generator on a GPU machine: which onnxruntime providers exist, what Generator picks, its
speed there (single frames through the captured CUDA graph, and without it), and the same graph
run by torch on CUDA (agreement with onnxruntime on CPU and speed).

Two steps, because the GPU machine has no mediapipe to prepare a portrait:

    python -m benchmarks.gpu_check save DIR       # here: prepare the astronaut, save its rig tensors
    python -m benchmarks.gpu_check run DIR        # there: load them, render, print one JSON report

Numbers are medians and p95 over repeated renders of the varied motion of bench_generator.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def save(out: Path, size: int) -> None:
    from facecast.runtime.rig import build_rig

    from .bench_generator import _portrait, motion_sequence

    out.mkdir(parents=True, exist_ok=True)
    rig = build_rig(_portrait(size))
    np.savez_compressed(out / "rig.npz", size=np.int32(size), **rig)
    np.save(out / "motion.npy", motion_sequence(256))


def _timed(fn, batches: list[np.ndarray]) -> dict:
    fn(batches[0])
    fn(batches[0])
    per_frame = []
    for b in batches:
        t0 = time.perf_counter()
        fn(b)
        per_frame.append((time.perf_counter() - t0) / len(b) * 1e3)
    ms = np.array(per_frame)
    return {
        "fps": float(1e3 / np.median(ms)),
        "ms_per_frame_median": float(np.median(ms)),
        "ms_per_frame_p95": float(np.percentile(ms, 95)),
    }


def _batches(motion: np.ndarray, batch: int, count: int) -> list[np.ndarray]:
    return [motion[(i * batch) % (len(motion) - batch) :][:batch] for i in range(count)]


def run(src: Path, repeats: int) -> dict:
    import onnxruntime as ort

    from facecast.runtime.generator import Generator

    data = np.load(src / "rig.npz")
    size = int(data["size"])
    rig = {k: data[k] for k in data.files if k != "size"}
    motion = np.load(src / "motion.npy")
    report: dict = {"onnxruntime": ort.__version__, "available_providers": ort.get_available_providers()}
    started = {}
    Generator.from_rig(rig, size, capture=False)  # the first one also starts the device: not timed
    t0 = time.perf_counter()
    gens = {"auto": Generator.from_rig(rig, size)}
    started["auto"] = time.perf_counter() - t0
    if gens["auto"].device.startswith("CUDA"):  # the same provider launching every kernel itself
        t0 = time.perf_counter()
        gens["no_capture"] = Generator.from_rig(rig, size, capture=False)
        started["no_capture"] = time.perf_counter() - t0
    cores = os.cpu_count() or 1
    if not gens["auto"].device.startswith("CPU") or cores > gens["auto"].threads:
        # onnxruntime on every core of the machine: the CPU figure to set beside a GPU's
        gens["cpu_all_cores"] = Generator.from_rig(
            rig, size, providers=["CPUExecutionProvider"], threads=cores
        )
    reference = None
    for name, gen in gens.items():
        entry: dict = {"device": gen.device, "threads": gen.threads}
        if name in started:  # seconds to build the Generator (sessions, upload, capture)
            entry["start_s"] = started[name]
        for batch in (1, 8, 32):
            entry[f"batch{batch}"] = _timed(gen.render, _batches(motion, batch, max(4, repeats // batch)))
        if name == "no_capture":  # single frames, captured against launched one by one
            one = np.concatenate([gens["auto"].render(m[None]) for m in motion[:16]])
            two = np.concatenate([gen.render(m[None]) for m in motion[:16]])
            entry["single_frames_max_abs_diff_vs_auto"] = int(np.abs(one.astype(np.int16) - two).max())
        frames = gen.render(motion[:16])
        if reference is None:
            reference = frames
        else:
            entry["max_abs_diff_vs_auto"] = int(np.abs(frames.astype(np.int16) - reference).max())
        report[f"ort_{name}"] = entry
    try:
        report["torch"] = _torch(rig, motion, repeats, reference)
    except Exception as e:  # noqa: BLE001 - the onnxruntime figures above still stand
        report["torch"] = {"error": f"{type(e).__name__}: {e}"}
    return report


def _torch(rig: dict, motion: np.ndarray, repeats: int, reference: np.ndarray) -> dict:
    """The same module the ONNX file was exported from, on CUDA where torch sees one."""
    try:
        import torch
    except ImportError:
        return {"error": "no torch"}
    from facecast.runtime.generator import unpack_frames
    from facecast.runtime.generator_model import INPUT_NAMES, GeneratorModel

    dev = "cuda" if torch.cuda.is_available() else "cpu"
    model = GeneratorModel().to(dev).eval()
    feeds = [torch.from_numpy(rig[k]).to(dev) for k in INPUT_NAMES[1:]]

    def render(m: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = model(torch.from_numpy(np.ascontiguousarray(m)).to(dev), *feeds)
        return out.cpu().numpy()

    entry: dict = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if dev == "cuda" else "cpu",
    }
    for batch in (1, 8, 32):
        entry[f"batch{batch}"] = _timed(render, _batches(motion, batch, max(4, repeats // batch)))
    diff = np.abs(unpack_frames(render(motion[:16])).astype(np.int16) - reference)
    entry["max_abs_diff_vs_ort"] = int(diff.max())
    entry["fraction_of_values_off_by_more_than_2"] = float((diff > 2).mean())
    return entry


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["save", "run"])
    p.add_argument("dir", type=Path)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--repeats", type=int, default=64)
    args = p.parse_args()
    if args.step == "save":
        save(args.dir, args.size)
    else:
        print(json.dumps(run(args.dir, args.repeats), indent=2))


if __name__ == "__main__":
    main()
