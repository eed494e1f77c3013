"""On-disk cache of built rigs, beside the prepared avatars: building one (the warp's spline system,
the depth shaping) takes 0.35-0.6 s, paid by every `facecast render`, `bake`, `live` and service
process on its first frame of a portrait; loading the stored arrays takes about 20 ms.

A rig depends on the avatar (its key covers the image's content, the preparation version and the
size) and on the code that builds it, so each file is named by the avatar's key and a digest of the
runtime's source files: any change to the runtime's code builds the rig again (once), and a stored rig
can never outlive the code that made it. The 2x textures, two thirds of a rig's bytes but cheap to
make, are not stored (rig.textures). Writes are atomic; an unreadable file is removed and rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

from .avatar_cache import derived_cache_dir, write_npz

log = logging.getLogger("facecast")


@functools.cache
def code_digest() -> str:
    """sha256 of the runtime package's Python sources, in name order (16 hex digits)."""
    h = hashlib.sha256()
    package = resources.files("facecast.runtime")
    for entry in sorted((e for e in package.iterdir() if e.name.endswith(".py")), key=lambda e: e.name):
        h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()[:16]


def rig_path(avatar_key: str) -> Path:
    return derived_cache_dir("rigs") / f"{avatar_key[:32]}-{code_digest()}.npz"


def load(avatar_key: str) -> dict[str, np.ndarray] | None:
    """The stored arrays, or None: a missing file is a miss; an unreadable one is logged and
    removed. (The file's name holds the code digest, so the same code wrote it: same fields.)"""
    path = rig_path(avatar_key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        if str(arrays.pop("avatar_key", "")) != avatar_key:
            raise ValueError("it was written for another avatar")
        return arrays
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable rig cache file %s (%s); rebuilding it", path, exc)
        _remove(path)
        return None


def store(avatar_key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write atomically and remove this avatar's rigs built by other code. A cache that cannot be
    written is logged, not fatal."""
    path = write_npz(rig_path(avatar_key), {"avatar_key": np.array(avatar_key), **arrays}, "rig cache")
    if path is not None:
        for old in path.parent.glob(f"{avatar_key[:32]}-*.npz"):
            if old != path:
                _remove(old)
    return path


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
