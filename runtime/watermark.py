"""Responsible output: every synthetic frame carries an invisible mark that names facecast and the
session, plus MP4 metadata and an optional visible label.

Embedding is one saturating add per frame: the session's pattern (a periodic tile, see
watermark_pattern) is precomputed as two uint8 images, the positive and the negative part, so
marking a frame is `cv2.add` then `cv2.subtract` in place on R, G and B alike (a luma change, which
colour conversions keep). The strength follows the picture's local contrast (texture hides the
mark, flat skin, sky and cel shading would show it); that map is recomputed from the frames every
`refresh` frames, so the cost is amortised and the per-frame work stays a pair of adds.

Detection lives in watermark_detect; `detect()` here is the convenience entry for arrays.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from .watermark_detect import Accumulator, Detection, search
from .watermark_pattern import TILE, WORK, message_tile
from .watermark_payload import encode, format_identifier, session_tag

log = logging.getLogger("facecast")

__all__ = [
    "Watermarker",
    "Detection",
    "detect",
    "synthetic_metadata",
    "ffmpeg_metadata_args",
    "draw_label",
    "session_tag",
]

TARGET_RMS = 2.0  # grey levels added on average: PSNR about 42 dB against the unmarked frame
MASK_RANGE = (0.35, 2.2)  # strength relative to the mean, from flat to busy areas
# Flat colour (cel shading, a plain wall) shows any grain, and masking is local: a pixel may take
# at most FLAT_CAP + CAP_GAIN x its own texture (grey levels RMS of detail within ~FINE_SIGMA px),
# however flat the rest of the frame is. What the cap takes goes to textured areas, up to
# MAX_BOOST times their contrast-proportional strength.
FLAT_CAP = 0.6
CAP_GAIN = 1.0
FINE_SIGMA = 2.0
MAX_BOOST = 1.5


def _contrast_mask(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relative local contrast (mean 1) at 64x64, smooth and cheap, and the largest amplitude (grey
    levels RMS) each pixel may take given the texture right around it."""
    h, w = frame.shape[:2]
    code = cv2.COLOR_RGBA2GRAY if frame.shape[2] == 4 else cv2.COLOR_RGB2GRAY
    grey = cv2.cvtColor(frame if frame.flags.c_contiguous else np.ascontiguousarray(frame), code)
    small = cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    band = small - cv2.GaussianBlur(small, (0, 0), 2.0)
    local = np.sqrt(cv2.GaussianBlur(band * band, (0, 0), 2.0)) + 1.0
    mask = np.clip(local / np.mean(local), *MASK_RANGE)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.0)
    g = grey.astype(np.float32)
    fband = g - cv2.GaussianBlur(g, (0, 0), FINE_SIGMA)
    texture = np.sqrt(cv2.GaussianBlur(fband * fband, (0, 0), FINE_SIGMA))
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR), FLAT_CAP + CAP_GAIN * texture


class Watermarker:
    """Marks the frames of one session. `size` is the generator's output size (square frames);
    other frame shapes are marked too, with the tile scaled as it would be for `size`."""

    def __init__(self, session_id: int | str, size: int, strength: float = TARGET_RMS, refresh: int = 50):
        if size < 64:
            raise ValueError(f"frame size {size} is too small to carry a watermark (need >= 64)")
        if not 0.5 <= strength <= 8.0:
            raise ValueError(f"strength {strength} is outside 0.5..8 grey levels RMS")
        self.tag = session_tag(session_id)
        self.identifier = format_identifier(self.tag)
        self.size = int(size)
        self.strength = float(strength)
        self.refresh = max(1, int(refresh))
        self._tile = message_tile(encode(self.tag))
        self._unit: dict[tuple[int, int], np.ndarray] = {}
        self._parts: tuple[np.ndarray, np.ndarray] | None = None
        self._parts_key: tuple[int, ...] | None = None
        self._count = 0

    def unit_pattern(self, height: int, width: int) -> np.ndarray:
        """The unit-RMS pattern for a frame of this shape (cached)."""
        key = (height, width)
        if key not in self._unit:
            period = TILE * self.size / WORK
            ny, nx = int(np.ceil(height / period)) + 1, int(np.ceil(width / period)) + 1
            big = np.tile(self._tile, (ny, nx))
            scale = period / TILE
            out_h, out_w = round(big.shape[0] * scale), round(big.shape[1] * scale)
            if (out_h, out_w) != big.shape:
                interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
                big = cv2.resize(big, (out_w, out_h), interpolation=interp)
            pat = big[:height, :width]
            self._unit[key] = (pat / pat.std()).astype(np.float32)
        return self._unit[key]

    def _prepare(self, frame: np.ndarray) -> None:
        h, w, c = frame.shape
        mask, cap = _contrast_mask(frame)
        gain = base = self.strength / max(float(np.sqrt(np.mean(mask * mask))), 1e-6)
        for _ in range(3):  # give what the cap took to the uncapped pixels (a flat picture keeps more)
            amp = np.minimum(mask * gain, cap)
            gain = min(gain * self.strength / max(float(np.sqrt(np.mean(amp * amp))), 1e-6), MAX_BOOST * base)
        delta = self.unit_pattern(h, w) * amp
        d = np.rint(delta).astype(np.int16)
        pos = np.clip(d, 0, 255).astype(np.uint8)
        neg = np.clip(-d, 0, 255).astype(np.uint8)
        zero = [np.zeros_like(pos)] * (c - 3)  # alpha is left alone
        self._parts = (cv2.merge([pos] * 3 + zero), cv2.merge([neg] * 3 + zero))
        self._parts_key = frame.shape

    def apply(self, frames: np.ndarray) -> np.ndarray:
        """Mark uint8 RGB/RGBA frames (N,H,W,C) or (H,W,C) in place; returns them. Alpha is kept."""
        if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8:
            raise TypeError("frames must be a uint8 numpy array")
        if frames.ndim not in (3, 4) or frames.shape[-1] not in (3, 4):
            raise ValueError(f"expected (N,H,W,3|4) or (H,W,3|4) frames, got shape {frames.shape}")
        batch = frames[None] if frames.ndim == 3 else frames
        for frame in batch:
            if self._parts is None or self._parts_key != frame.shape or self._count % self.refresh == 0:
                self._prepare(frame)
            pos, neg = self._parts
            if frame.flags.c_contiguous:
                cv2.add(frame, pos, dst=frame)
                cv2.subtract(frame, neg, dst=frame)
            else:
                frame[...] = cv2.subtract(cv2.add(np.ascontiguousarray(frame), pos), neg)
            self._count += 1
        return frames


def detect(frames_or_frame: np.ndarray | list[np.ndarray], thorough: bool = False) -> Detection:
    """Look for the mark in one frame (H,W[,C]) or several frames of one geometry (N,H,W[,C]).
    `thorough` also searches aspect-ratio changes when the normal search finds nothing (slow)."""
    arr = frames_or_frame
    if isinstance(arr, np.ndarray) and (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (3, 4))):
        arr = [arr]
    acc = Accumulator()
    for frame in arr:
        acc.add(np.asarray(frame))
    return search(acc, thorough=thorough)


def synthetic_metadata(session_id: int | str) -> dict[str, str]:
    """ffmpeg `-metadata` key/values that declare a render synthetic. Write them with
    `-movflags +use_metadata_tags` so the custom keys survive in MP4 (the standard `comment`,
    `description` and `title`-independent keys survive either way)."""
    from .. import __version__

    ident = format_identifier(session_tag(session_id))
    text = f"AI-generated (synthetic) video made by facecast {__version__}; {ident}"
    return {
        "comment": text,
        "description": text,
        "synthetic": "true",
        "ai_generated": "true",
        "generator": f"facecast {__version__}",
        "facecast_session": ident,
    }


def ffmpeg_metadata_args(session_id: int | str) -> list[str]:
    """`synthetic_metadata` as ffmpeg output options, `-movflags +use_metadata_tags` included
    (merge it with your own movflags, e.g. `+faststart+use_metadata_tags`, if you pass any)."""
    args = ["-movflags", "+use_metadata_tags"]
    for key, value in synthetic_metadata(session_id).items():
        args += ["-metadata", f"{key}={value}"]
    return args


def draw_label(frames: np.ndarray, text: str = "AI-generated") -> np.ndarray:
    """Draw a small readable label in the bottom-right corner of uint8 frames, in place."""
    batch = frames[None] if frames.ndim == 3 else frames
    h, w = batch.shape[1:3]
    scale = max(0.35, min(h, w) / 900)
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(3, round(th * 0.4))
    x0, y0 = w - tw - 3 * pad, h - th - base - 3 * pad
    x1, y1 = w - pad, h - pad
    x0, y0 = max(0, x0), max(0, y0)
    for frame in batch:
        box = (frame[y0:y1, x0:x1, :3].astype(np.uint16) * 2 // 5).astype(np.uint8)  # darkened: legible
        org = (pad, (y1 - y0) - pad - base // 2)
        cv2.putText(box, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
        frame[y0:y1, x0:x1, :3] = box
        if frame.shape[-1] == 4:
            frame[y0:y1, x0:x1, 3] = 255
    return frames
