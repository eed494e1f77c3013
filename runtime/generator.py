"""Run the exported generator (runtime/models/generator.onnx) with onnxruntime.

One Generator per avatar (session): the avatar's rig tensors are handed to onnxruntime once, in
__init__ (built once per process and shared by every Generator of that avatar: rig_for); render()
then only feeds the motion batch. The execution provider is chosen
automatically (TensorRT > CUDA > CPU among those onnxruntime offers) and reported in `device`.

On CUDA a single frame (a live session) replays a captured CUDA graph (`_CapturedFrame`): the graph
runs about 3,000 small kernels, and launching them one by one took 15-24 ms a frame on an H200,
where replaying the capture takes under 4.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from importlib import resources
from pathlib import Path

import numpy as np

from . import rig_cache
from .disk_cache import derived_cache_dir, discard, mark_used, prune_versions
from .errors import ConfigError
from .facemotion import MOTION_VECTOR_SIZE, FaceMotion
from .head_zoom import face_centre, split_zoom, zoom_frames
from .ort_runtime import onnxruntime
from .rig import PORTRAIT, TEXTURE_FIELDS, build_rig, textures
from .rig_depth import ease_shifts, ease_turns

log = logging.getLogger("facecast")

PREFERRED_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
_DEVICE_NAMES = {
    "TensorrtExecutionProvider": "TensorRT",
    "CUDAExecutionProvider": "CUDA",
    "CPUExecutionProvider": "CPU",
}


RIG_CACHE_SIZE = 4  # rigs kept per process (~32 MB each at 512): sessions on one portrait share one
_rigs: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()
_rigs_lock = threading.Lock()


def rig_for(avatar) -> dict[str, np.ndarray]:
    """The avatar's rig tensors, kept in memory for the last few avatars and on disk beside the
    avatar cache (rig_cache.py): building them (the spline system, the depth shaping) takes
    0.35-0.6 s, which every session and every CLI process on the same portrait would otherwise pay
    again. The arrays are only read (onnxruntime feeds)."""
    with _rigs_lock:
        rig = _rigs.get(avatar.key)
        if rig is not None:
            _rigs.move_to_end(avatar.key)
            return rig
    rig = _stored_rig(avatar)
    with _rigs_lock:
        _rigs[avatar.key] = rig
        while len(_rigs) > RIG_CACHE_SIZE:
            _rigs.popitem(last=False)
    return rig


def _stored_rig(avatar) -> dict[str, np.ndarray]:
    """The rig from the disk cache (its 2x textures made again), else built and stored."""
    stored = rig_cache.load(avatar.key)
    if stored is not None:
        log.info("rig: loaded from the cache")
        return textures(avatar, stored[PORTRAIT]) | stored
    rig = build_rig(avatar)
    rig_cache.store(avatar.key, {k: v for k, v in rig.items() if k not in TEXTURE_FIELDS})
    return rig


def model_bytes() -> bytes:
    """The packaged ONNX file (package data, found the same way installed or editable)."""
    return resources.files("facecast.runtime").joinpath("models/generator.onnx").read_bytes()


def cpu_model_bytes(model: bytes) -> tuple[bytes, Path | None]:
    """The graph with onnxruntime's portable (extended-level) optimisations already applied, kept in
    the cache folder per onnxruntime version: optimising takes about 0.3 s of the 0.45 s a CPU
    session takes to start, every process, and the frames are the same. CPU only (its fused nodes
    are CPU kernels). Any failure falls back to the packaged graph. Returns (graph, cached file)."""
    ort = onnxruntime()
    key = hashlib.sha256(model + ort.__version__.encode()).hexdigest()[:20]
    folder = derived_cache_dir("models")
    path = folder / f"generator-{key}.onnx"
    try:
        if path.is_file():
            mark_used(path)
            return path.read_bytes(), path
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            opts.optimized_model_filepath = str(Path(tmp) / "model.onnx")
            opts.log_severity_level = 3
            ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
            os.replace(opts.optimized_model_filepath, path)
        prune_versions(path, "generator-*.onnx")  # the graphs of other versions
        return path.read_bytes(), path
    except Exception as exc:  # noqa: BLE001 - a cache that cannot be written costs time, nothing else
        log.info("generator: no optimised-graph cache (%s)", exc)
        return model, None


def choose_providers(available: list[str], requested: list[str] | None = None) -> list[str]:
    """The providers to use, best first. `requested` (if given) must all be available."""
    if requested:
        missing = [p for p in requested if p not in available]
        if missing:
            raise ConfigError(
                f"onnxruntime execution provider(s) {', '.join(missing)} not available here; "
                f"available: {', '.join(available)}"
            )
        return list(requested)
    chosen = [p for p in PREFERRED_PROVIDERS if p in available]
    return chosen or ["CPUExecutionProvider"]


class Generator:
    """Renders (N, 62) FaceMotion vectors of one avatar as (N, S, S, 4) uint8 RGBA frames."""

    def __init__(
        self, avatar, providers: list[str] | None = None, threads: int | None = None, capture: bool = True
    ) -> None:
        """capture: on CUDA, render single frames by replaying a captured CUDA graph."""
        self._start(rig_for(avatar), int(avatar.size), providers, threads, capture)

    @classmethod
    def from_rig(
        cls,
        rig: dict[str, np.ndarray],
        size: int,
        providers: list[str] | None = None,
        threads: int | None = None,
        capture: bool = True,
    ) -> Generator:
        """A Generator from rig tensors saved earlier (benchmarks/gpu_check.py: machines without
        mediapipe can still render an avatar prepared elsewhere)."""
        gen = cls.__new__(cls)
        gen._start(rig, int(size), providers, threads, capture)
        return gen

    def _start(
        self,
        rig: dict[str, np.ndarray],
        size: int,
        providers: list[str] | None,
        threads: int | None,
        capture: bool = True,
    ) -> None:
        ort = onnxruntime()

        self.size = size
        self._zoom_centre = face_centre(rig)
        chosen = choose_providers(ort.get_available_providers(), providers)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.threads = threads or min(4, os.cpu_count() or 1)
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # no busy-waiting between ops: the audio, motion and output stages share these cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        model, cached = model_bytes(), None
        if chosen[0] == "CPUExecutionProvider":
            model, cached = cpu_model_bytes(model)
        try:
            self._session = ort.InferenceSession(model, opts, providers=chosen)
        except Exception:
            if cached is None:
                raise
            discard(cached, "optimised graph", "onnxruntime cannot load it")
            self._session = ort.InferenceSession(model_bytes(), opts, providers=chosen)
        used = self._session.get_providers()[0]
        self.device = f"{_DEVICE_NAMES.get(used, used)} (onnxruntime {used})"
        if used == "CUDAExecutionProvider":
            self.device = _cuda_name() or self.device
        names = {i.name for i in self._session.get_inputs()}
        if used == "CPUExecutionProvider":
            self._feeds = {k: v for k, v in rig.items() if k in names}
            self._binding = None
        else:  # keep the avatar tensors on the device: one upload, not one per frame
            self._feeds = {
                k: ort.OrtValue.ortvalue_from_numpy(v, "cuda", 0) for k, v in rig.items() if k in names
            }
            self._binding = True
        self._captured = None
        if used == "CUDAExecutionProvider" and capture:
            try:
                self._captured = _CapturedFrame(self._session, self._feeds, rig, size)
            except Exception as e:  # noqa: BLE001 - an onnxruntime without capture renders as before
                log.info("generator: no CUDA graph capture (%s)", e)
        log.info("generator: %s, %dx%d", self.device, self.size, self.size)

    def render(self, motion_vectors: np.ndarray) -> np.ndarray:
        m = np.asarray(motion_vectors, np.float32)
        if m.ndim == 1:
            m = m[None]
        if m.ndim != 2 or m.shape[1] != MOTION_VECTOR_SIZE:
            raise ValueError(f"motion vectors must have shape (N, {MOTION_VECTOR_SIZE}), got {m.shape}")
        if len(m) == 0:
            return np.zeros((0, self.size, self.size, 4), np.uint8)
        if not np.isfinite(m).all():
            raise ValueError("motion vectors contain NaN or infinity")
        # turns and shifts past what a warp of one photo holds are eased; a nearer head is a closer
        # camera (head_zoom). The FaceMotion records keep their values.
        m, zoom = split_zoom(ease_shifts(ease_turns(m)))
        if self._captured is not None and len(m) == 1:
            packed = self._captured.run(m)
        elif self._binding is None:
            packed = self._session.run(None, {"motion": np.ascontiguousarray(m), **self._feeds})[0]
        else:
            io = self._session.io_binding()
            io.bind_cpu_input("motion", np.ascontiguousarray(m))
            for k, v in self._feeds.items():
                io.bind_ortvalue_input(k, v)
            io.bind_output("frames")
            self._session.run_with_iobinding(io)
            packed = io.copy_outputs_to_cpu()[0]
        return zoom_frames(unpack_frames(packed), zoom, self._zoom_centre, m)


def fixed_dimensions(session, rig: dict[str, np.ndarray], batch: int) -> dict[str, int]:
    """Every symbolic input dimension of the graph fixed to this avatar's sizes and `batch`: with
    them fixed onnxruntime folds the graph's shape arithmetic away, which leaves every node on
    the GPU (capture needs that)."""
    dims = {"batch": batch}
    for i in session.get_inputs():
        if i.name in rig:
            for name, n in zip(i.shape, rig[i.name].shape):
                if isinstance(name, str):
                    dims.setdefault(name, int(n))
    return dims


class _CapturedFrame:
    """One frame at a time through a CUDA graph: a second session with every dimension fixed
    (fixed_dimensions, batch 1), its input and output bound at fixed device addresses, so the first
    run captures the kernels and each later run replays them. One frame at a time: a lock."""

    def __init__(self, session, feeds: dict, rig: dict[str, np.ndarray], size: int) -> None:
        ort = onnxruntime()

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        for name, n in fixed_dimensions(session, rig, 1).items():
            opts.add_free_dimension_override_by_name(name, n)
        self.session = ort.InferenceSession(
            model_bytes(), opts, providers=[("CUDAExecutionProvider", {"enable_cuda_graph": "1"})]
        )
        rest = FaceMotion().to_vector()[None]  # the capture run's input: a face at rest
        self.motion = ort.OrtValue.ortvalue_from_numpy(rest, "cuda", 0)
        self.frames = ort.OrtValue.ortvalue_from_shape_and_type([1, size, size], np.int32, "cuda", 0)
        self.io = self.session.io_binding()
        self.io.bind_ortvalue_input("motion", self.motion)
        for k, v in feeds.items():
            self.io.bind_ortvalue_input(k, v)
        self.io.bind_ortvalue_output("frames", self.frames)
        self.lock = threading.Lock()
        self.session.run_with_iobinding(self.io)  # the capture: a failure shows here, not mid-session

    def run(self, motion: np.ndarray) -> np.ndarray:
        """(1, 62) motion -> (1, S, S) packed frame."""
        with self.lock:
            self.motion.update_inplace(np.ascontiguousarray(motion, np.float32))
            self.session.run_with_iobinding(self.io)
            return self.frames.numpy()


def unpack_frames(packed: np.ndarray) -> np.ndarray:
    """The graph's (N, S, S) int32 frames (RGBA bytes packed, R first in memory) as (N, S, S, 4)
    uint8: a view, no copy. The graph keeps pixels packed because one int32 gather per pixel is
    far cheaper in onnxruntime than gathering four bytes."""
    packed = np.ascontiguousarray(packed, np.int32)
    return packed.view(np.uint8).reshape(*packed.shape, 4)


def _cuda_name() -> str | None:
    try:
        import subprocess

        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        name = out.stdout.strip().splitlines()[0]
        return f"CUDA ({name})" if name else None
    except Exception:  # noqa: BLE001 - the name is cosmetic
        return None
