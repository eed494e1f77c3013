"""On-disk cache of built rigs, beside the prepared avatars: building one (the warp's spline system,
the depth shaping) takes 0.35-0.6 s, paid by every `facecast render`, `bake`, `live` and service
process on its first frame of a portrait; loading the stored arrays takes about 20 ms.

A rig depends on the avatar (its key covers the image's content, the preparation version and the
size) and on the code that builds it, so each file is named by the avatar's key and
`disk_cache.code_digest()`: any change to the runtime's code builds the rig again (once). The 2x
textures, two thirds of a rig's bytes but cheap to make, are not stored (rig.textures).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .disk_cache import code_digest, derived_cache_dir, discard, read_npz, write_npz

WHAT = "rig cache"


def rig_path(avatar_key: str) -> Path:
    """Named by the avatar, the runtime's code and OpenCV's version (the rig's colours and lid
    patches come from its filters)."""
    import cv2

    version = hashlib.sha256(f"{code_digest()}:{cv2.__version__}".encode()).hexdigest()[:16]
    return derived_cache_dir("rigs") / f"{avatar_key[:32]}-{version}.npz"


def load(avatar_key: str) -> dict[str, np.ndarray] | None:
    """The stored arrays, or None (missing, unreadable, or another avatar's)."""
    path = rig_path(avatar_key)
    arrays = read_npz(path, WHAT)
    if arrays is not None and str(arrays.pop("avatar_key", "")) != avatar_key:
        discard(path, WHAT, "it was written for another avatar")
        return None
    return arrays


def store(avatar_key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write atomically and prune this avatar's rigs built by other code (disk_cache.prune_versions)."""
    arrays = {"avatar_key": np.array(avatar_key), **arrays}
    return write_npz(rig_path(avatar_key), arrays, WHAT, replaces=f"{avatar_key[:32]}-*.npz")
