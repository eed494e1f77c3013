"""Export the generator (runtime/generator_model.py) to runtime/models/generator.onnx.

The file is small and holds no per-avatar data: avatar tensors (runtime/rig.py) are graph inputs.
Export is deterministic, so `--check` can compare a fresh export with the committed file byte for
byte (CI runs that through tests/test_generator_export.py).

    python scripts/export_generator.py            # write runtime/models/generator.onnx
    python scripts/export_generator.py --check    # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import io
import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODEL_PATH = REPO / "runtime" / "models" / "generator.onnx"
OPSET = 17

# Dynamic axes: batch, output size S, the moving region, the warp grid and the point count all
# vary per avatar/call; the file is one graph for every avatar.
DYNAMIC_AXES = {
    "motion": {0: "batch"},
    "texture": {2: "size", 3: "size_w"},
    "texels": {0: "texels"},
    "bg_top": {1: "top_h", 2: "frame_w"},
    "bg_left": {1: "region_h", 2: "left_w"},
    "bg_right": {1: "region_h", 2: "right_w"},
    "bg_bottom": {1: "bottom_h", 2: "frame_w"},
    "region_pix": {0: "region_h", 1: "region_w"},
    "grid_nodes": {0: "grid_h", 1: "grid_w"},
    "ctrl": {0: "points"},
    "rest": {0: "points"},
    "head_weight": {0: "points"},
    "basis": {1: "points"},
    "tps": {1: "grid", 2: "points"},
    "mouth_index": {},
    "eye_index": {},
    "iris_index": {},
    "iris_src": {},
    "geom": {},
    "colors": {},
    "mouth_box": {0: "mouth_h", 1: "mouth_w"},
    "eye_box": {0: "eye_h", 1: "eye_w"},
    "lines_box": {0: "lines_h", 1: "lines_w"},
    "lid_patch": {2: "patch_h", 3: "patch_w"},
    "frames": {0: "batch", 1: "size", 2: "size_w"},
}


def example_inputs(size: int = 64) -> tuple:
    """Small synthetic avatar tensors of the right ranks and dtypes (values do not matter for the
    trace; a synthetic avatar keeps the export independent of any portrait)."""
    import torch

    from facecast.runtime.names import ARKIT_NAMES

    k, gh, gw, rh, rw = 12, 5, 6, 40, 48
    rng = np.random.default_rng(0)
    f32 = np.float32
    g = np.stack(np.meshgrid(np.linspace(8.5, 55.5, gw), np.linspace(10.5, 49.5, gh)), -1).astype(f32)
    ry, rx = np.mgrid[0:rh, 0:rw].astype(f32) + 0.5
    arrays = {
        "motion": np.zeros((2, 62), f32),
        "texture": rng.random((1, 3, 2 * size, 2 * size), dtype=f32),
        "texels": np.zeros(4 * size * size, np.int32),
        "bg_top": np.zeros((1, 10, size), np.int32),
        "bg_left": np.zeros((1, rh, 7), np.int32),
        "bg_right": np.zeros((1, rh, size - rw - 7), np.int32),
        "bg_bottom": np.zeros((1, size - rh - 10, size), np.int32),
        "region_pix": np.stack([rx, ry], -1),
        "grid_nodes": g,
        "ctrl": (rng.random((k, 3), dtype=f32) * size).astype(f32),
        "rest": np.zeros((k, 3), f32),
        "head_weight": np.ones(k, f32),
        "basis": np.zeros((len(ARKIT_NAMES), k, 3), f32),
        "tps": np.zeros((2, gh * gw, k), f32),
        "mouth_index": np.arange(22, dtype=np.int64) % k,
        "eye_index": np.arange(36, dtype=np.int64) % k,
        "iris_index": np.array([0, 1], np.int64),
        "iris_src": np.full((2, 2), 30.0, f32),
        "geom": np.array(
            [30, 32, 40, 10, 2, 2, 8, 8, 0.9, 0.9, 0.95, 0.1, 0.95, 0.1, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0]
            + [1.0, 1.0]  # 21 + e: the shut lid's skin row
            + [20.0, 20.0, 30.0, 20.0]  # 23 + 2e, 24 + 2e: a drawn eye's lid patch's corner
            + [30.0, 20.0, 1.0, 0.0, 20.0, 0.1, 1.0],  # 27-33: the expression lines' frame
            f32,
        ),
        "colors": rng.random((9, 3), dtype=f32),
        "mouth_box": np.stack(np.meshgrid(np.arange(9) + 0.5, np.arange(7) + 0.5), -1).astype(f32),
        "eye_box": np.stack(np.meshgrid(np.arange(6) + 0.5, np.arange(4) + 0.5), -1).astype(f32),
        "lid_patch": rng.random((2, 4, 6, 8), dtype=f32),
        "lines_box": np.stack(np.meshgrid(np.arange(10) + 0.5, np.arange(8) + 0.5), -1).astype(f32),
    }
    return tuple(torch.from_numpy(v) for v in arrays.values())


def export_bytes() -> bytes:
    import torch

    from facecast.runtime.generator_model import INPUT_NAMES, OUTPUT_NAMES, GeneratorModel

    torch.manual_seed(0)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            GeneratorModel().eval(),
            example_inputs(),
            buf,
            input_names=list(INPUT_NAMES),
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={k: v for k, v in DYNAMIC_AXES.items() if v},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare a fresh export with the committed file")
    parser.add_argument("-o", "--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    data = export_bytes()
    if args.check:
        same = args.output.exists() and args.output.read_bytes() == data
        print(f"{args.output}: {'up to date' if same else 'STALE: run scripts/export_generator.py'}")
        return 0 if same else 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data) / 1024:.1f} KiB, opset {OPSET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
