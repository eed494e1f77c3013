"""Reading what `facecast verify` checks: frames of an image or a video, and a container's metadata.

Uses only the ffmpeg binary that imageio-ffmpeg ships (no ffprobe is needed): frames come out as
raw RGB, metadata as ffmpeg's own `ffmetadata` text.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import numpy as np

from .audio_io import ffmpeg_exe
from .errors import FacecastError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


class MediaError(FacecastError, ValueError):
    """The file to check could not be read as an image or a video."""


def load_image(path: Path) -> np.ndarray:
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise MediaError(f"cannot decode {path.name} as an image (PNG, JPEG or WebP expected)")
    if img.dtype != np.uint8:
        img = (img / 257).astype(np.uint8) if img.dtype == np.uint16 else img.astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def load_video(path: Path, max_frames: int = 100) -> np.ndarray:
    """Up to `max_frames` RGB frames (N,H,W,3) sampled evenly over the whole video."""
    import imageio_ffmpeg

    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
    except (OSError, RuntimeError, StopIteration) as exc:
        raise MediaError(f"cannot read {path.name} as a video: {str(exc).strip().splitlines()[-1]}") from exc
    w, h = meta["size"]
    expected = (meta.get("fps") or 25) * (meta.get("duration") or 0)
    step = max(1, math.ceil(expected / max_frames)) if expected and math.isfinite(expected) else 1
    frames = []
    try:
        for i, raw in enumerate(reader):
            if i % step == 0:
                frames.append(np.frombuffer(raw, np.uint8).reshape(h, w, 3))
                if len(frames) >= max_frames:
                    break
    except (OSError, RuntimeError) as exc:
        raise MediaError(f"cannot decode {path.name}: {str(exc).strip().splitlines()[-1]}") from exc
    finally:
        reader.close()
    if not frames:
        raise MediaError(f"{path.name} contains no video frames")
    return np.stack(frames)


def load_frames(path: str | Path, max_frames: int = 100) -> np.ndarray:
    """Frames (N,H,W,C) of an image (N=1) or a video, chosen by content, not only by suffix."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name} is empty")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return load_image(path)[None]
    return load_video(path, max_frames)


def read_metadata(path: str | Path) -> dict[str, str]:
    """Container-level tags (lower-cased keys) as ffmpeg reads them; {} when there are none."""
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        return {}
    tags: dict[str, str] = {}
    for line in proc.stdout.decode("utf-8", errors="replace").splitlines():
        if line.startswith("[") and tags:
            break  # only the global section; streams and chapters follow
        if "=" in line and not line.startswith(";"):
            key, _, value = line.partition("=")
            tags[key.strip().lower()] = value.replace("\\=", "=").replace("\\;", ";").strip()
    return tags
