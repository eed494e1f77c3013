"""On-disk cache of prepared avatars: one .npz per (image content, preparation version, size).

Writes go to a temporary file in the cache directory and are moved into place with os.replace, so a
reader sees either nothing or a complete file, never a half-written one. Anything unreadable is
treated as a miss (and removed), so a corrupt file costs one rebuild, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger("facecast")

ARRAY_FIELDS = ("image", "landmarks", "matte", "crop", "cel_shaded", "wide_eyes")


def cache_dir(explicit: str | Path | None = None) -> Path:
    """The cache directory: the argument, else $FACECAST_CACHE_DIR, else ~/.cache/facecast/avatars."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("FACECAST_CACHE_DIR")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "facecast" / "avatars"


def derived_cache_dir(kind: str) -> Path:
    """Where files derived from the package go ("models": generator.cpu_model_bytes; "rigs":
    rig_cache.py): $FACECAST_CACHE_DIR/KIND, else ~/.cache/facecast/KIND."""
    env = os.environ.get("FACECAST_CACHE_DIR")
    return Path(env) / kind if env else Path.home() / ".cache" / "facecast" / kind


def model_cache_dir() -> Path:
    return derived_cache_dir("models")


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
        log.warning("ignoring unreadable avatar cache file %s (%s); rebuilding it", path, exc)
        try:
            path.unlink()
        except OSError:
            pass
        return None


def store(directory: Path, key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write atomically. A cache that cannot be written is logged, not fatal: preparing still works."""
    fields = {name: arrays[name] for name in ARRAY_FIELDS}
    return write_npz(directory / f"{key}.npz", {"key": np.array(key), **fields}, "avatar cache")


def write_npz(path: Path, arrays: dict[str, np.ndarray], what: str) -> Path | None:
    """Write arrays to path.npz through a temporary file moved into place, so a reader sees the old
    file, nothing, or the whole new one. On failure log it (naming `what`) and return None."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem[:16]}-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        return path
    except OSError as exc:
        log.warning("could not write the %s in %s (%s); continuing without it", what, path.parent, exc)
        return None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
