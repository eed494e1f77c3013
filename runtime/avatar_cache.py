"""On-disk cache of prepared avatars: one .npz per (image content, preparation version, size).

Writes go to a temporary file in the cache directory and are moved into place with os.replace, so a
reader sees either nothing or a complete file, never a half-written one. Anything unreadable is
treated as a miss (and removed), so a corrupt file costs one rebuild, never an error.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np

from .disk_cache import derived_cache_dir, discard, write_npz

ARRAY_FIELDS = ("image", "landmarks", "matte", "crop", "cel_shaded", "wide_eyes")


def cache_dir(explicit: str | Path | None = None) -> Path:
    """The cache directory: the argument, else $FACECAST_CACHE_DIR/avatars, else
    ~/.cache/facecast/avatars (beside the rigs, models and watermark folders either way)."""
    return Path(explicit) if explicit is not None else derived_cache_dir("avatars")


def cache_key(data: bytes, version: int, size: int) -> str:
    """Content key: the same bytes under another name hit the cache; one changed byte misses."""
    digest = hashlib.sha256(data).hexdigest()
    return hashlib.sha256(f"{digest}:prep{version}:size{size}".encode()).hexdigest()


def _expected_shapes(size: int) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    return {
        "image": ((size, size, 3), np.dtype(np.uint8)),
        "landmarks": ((478, 3), np.dtype(np.float32)),
        "matte": ((size, size), np.dtype(np.float32)),
        "crop": ((2, 3), np.dtype(np.float32)),
        "cel_shaded": ((), np.dtype(bool)),
        "wide_eyes": ((), np.dtype(bool)),
    }


def load(directory: Path, key: str, size: int) -> dict[str, np.ndarray] | None:
    path = directory / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ARRAY_FIELDS}
            stored_key = str(npz["key"])
        if stored_key != key:
            raise ValueError("key mismatch")
        for name, (shape, dtype) in _expected_shapes(size).items():
            a = arrays[name]
            if a.shape != shape or a.dtype != dtype or (a.dtype.kind == "f" and not np.isfinite(a).all()):
                raise ValueError(f"{name} is {a.dtype} {a.shape}, expected {dtype} {shape}")
        return arrays
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        discard(path, "avatar cache", exc)
        return None


def store(directory: Path, key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write atomically. A cache that cannot be written is logged, not fatal: preparing still works."""
    fields = {name: arrays[name] for name in ARRAY_FIELDS}
    return write_npz(directory / f"{key}.npz", {"key": np.array(key), **fields}, "avatar cache")
