"""The committed ONNX file is what the export script produces, and onnxruntime runs it the way
torch runs the module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from facecast.runtime.avatar import prepare_avatar
from facecast.runtime.generator import Generator, model_bytes, unpack_frames
from facecast.runtime.generator_model import INPUT_NAMES, GeneratorModel
from facecast.runtime.head_zoom import face_centre, split_zoom, zoom_frames
from facecast.runtime.rig_depth import ease_shifts, ease_turns

REPO = Path(__file__).resolve().parents[1]


def _export_module():
    spec = importlib.util.spec_from_file_location(
        "export_generator", REPO / "scripts" / "export_generator.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_model_matches_a_fresh_export():
    fresh = _export_module().export_bytes()
    assert model_bytes() == fresh, "runtime/models/generator.onnx is stale: run scripts/export_generator.py"


def test_model_is_small_opset17_and_holds_no_avatar():
    data = model_bytes()
    assert len(data) < 1_000_000
    m = onnx.load_from_string(data)
    assert max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert [i.name for i in m.graph.input] == list(INPUT_NAMES)
    assert sum(np.prod(t.dims) for t in m.graph.initializer) < 10_000  # constants only, no pixels


@pytest.fixture(scope="module")
def generator(grace_hopper_jpg):
    return Generator(prepare_avatar(grace_hopper_jpg), providers=["CPUExecutionProvider"])


def test_onnxruntime_and_torch_agree(generator):
    rng = np.random.default_rng(7)
    m = np.zeros((3, 62), np.float32)
    m[:, :52] = rng.random((3, 52)) * 0.6
    m[:, 52:55] = rng.uniform(-20, 20, (3, 3))
    m[:, 55:57] = rng.uniform(-0.03, 0.03, (3, 2))
    m[:, 57] = rng.uniform(0.9, 1.1, 3)
    m[:, 58:62] = rng.uniform(-20, 20, (3, 4))
    ort_frames = generator.render(m)
    # Generator.render eases turns past 20 degrees and large shifts (rig_depth) before the graph runs and
    # renders a nearer head as a zoom of the graph's frame (head_zoom)
    graph_m, zoom = split_zoom(ease_shifts(ease_turns(m)))
    feeds = [torch.from_numpy(graph_m)] + [torch.from_numpy(generator._feeds[k]) for k in INPUT_NAMES[1:]]
    with torch.no_grad():
        torch_frames = unpack_frames(GeneratorModel()(*feeds).numpy())
    torch_frames = zoom_frames(torch_frames, zoom, face_centre(generator._feeds), graph_m)
    diff = np.abs(ort_frames.astype(np.int16) - torch_frames.astype(np.int16))
    assert diff.mean() < 0.05
    assert np.percentile(diff, 99.9) <= 2


def test_packed_texels_unpack_to_their_bytes_and_pack_back_exactly():
    """The graph unpacks packed RGBA in float32 / int32 halves (onnxruntime is slow at int64
    division): every byte must come out as the little-endian byte of the int32, including the
    extremes where float32 rounds the packed value, and pack back to the same int32."""
    from facecast.runtime.generator_model import _pack, _unpack

    rng = np.random.default_rng(7)
    edges = [-(2**31), 2**31 - 1, -1, 0, 1, 255, 256, 65535, 65536, -65536, -65537, 2**24 + 1, 2**31 - 65536]
    packed = np.concatenate([rng.integers(-(2**31), 2**31, 200_000), edges]).astype(np.int32)
    rgba = _unpack(torch.from_numpy(packed))
    want = packed.view(np.uint8).reshape(-1, 4).T.astype(np.float32) / 255
    assert np.array_equal(rgba.numpy(), want)
    assert np.array_equal(_pack(rgba).numpy(), packed)
