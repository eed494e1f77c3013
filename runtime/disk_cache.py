"""Files facecast derives once and keeps under ~/.cache/facecast (or $FACECAST_CACHE_DIR): prepared
avatars (avatar_cache.py), built rigs (rig_cache.py), the optimised generator graph
(generator.cpu_model_bytes) and the watermark's patterns (watermark_pattern.py).

Every writer goes through a temporary file moved into place, so a reader sees the old file,
nothing, or the whole new one; anything unreadable is removed and made again, never an error; a
cache that cannot be written is logged and the work goes on without it. Files derived by code are
named with `code_digest()`; a new version of such a file removes all but the most recently used
other version (KEEP_VERSIONS), so old versions do not pile up and two facecast installs that share
one cache (a release and a development checkout) do not remove each other's files on every run."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

log = logging.getLogger("facecast")

KEEP_VERSIONS = 2  # versions of one derived file kept side by side, the file just written included


def derived_cache_dir(kind: str) -> Path:
    """Where files derived from the package go ("models", "rigs", "watermark"):
    $FACECAST_CACHE_DIR/KIND, else ~/.cache/facecast/KIND."""
    env = os.environ.get("FACECAST_CACHE_DIR")
    return Path(env) / kind if env else Path.home() / ".cache" / "facecast" / kind


@functools.cache
def code_digest() -> str:
    """sha256 of the runtime package's Python sources, in name order, and numpy's version (whose
    random streams and linear algebra the derived arrays come from): 16 hex digits."""
    h = hashlib.sha256(np.__version__.encode())
    package = resources.files("facecast.runtime")
    for entry in sorted((e for e in package.iterdir() if e.name.endswith(".py")), key=lambda e: e.name):
        h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()[:16]


def write_npz(
    path: Path, arrays: dict[str, np.ndarray], what: str, replaces: str | None = None
) -> Path | None:
    """Write arrays to path.npz through a temporary file moved into place, then prune the files
    beside it that match `replaces` (its other versions: prune_versions). On failure log it (naming
    `what`) and return None."""
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
        if replaces is not None:
            prune_versions(path, replaces)
        return path
    except OSError as exc:
        log.warning("could not write the %s in %s (%s); continuing without it", what, path.parent, exc)
        return None
    finally:
        if tmp_name is not None:
            remove(Path(tmp_name))


def read_npz(path: Path, what: str) -> dict[str, np.ndarray] | None:
    """The arrays of path.npz; None when it is missing, or unreadable (then logged and removed)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        discard(path, what, exc)
        return None
    mark_used(path)
    return arrays


def mark_used(path: Path) -> None:
    """Record that `path` was just used (its modification time), so pruning keeps it."""
    try:
        os.utime(path)
    except OSError:
        pass


def prune_versions(path: Path, pattern: str, keep: int = KEEP_VERSIONS) -> None:
    """Remove the files beside `path` that match `pattern` (its other versions), all but the
    `keep` - 1 used most recently; `path` itself stays."""
    others = []
    for other in path.parent.glob(pattern):
        if other != path:
            try:
                others.append((other.stat().st_mtime, other))
            except OSError:
                pass
    for _, old in sorted(others, reverse=True)[keep - 1 :]:
        remove(old)


def discard(path: Path, what: str, why: object) -> None:
    log.warning("ignoring unreadable %s file %s (%s); rebuilding it", what, path, why)
    remove(path)


def remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
