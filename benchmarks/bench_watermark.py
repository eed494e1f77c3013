"""Watermark figures for `facecast bench`: embedding cost per 512x512 frame (median, p95; against a
plain frame copy in the same run), PSNR of marked against unmarked frames, detection time. The
robustness table (codecs, scaling, crops) is benchmarks/watermark_robustness.py."""

from __future__ import annotations

import cv2
import numpy as np

from .watermark_robustness import speed_and_psnr, talking_clip


def _builtin_portrait() -> np.ndarray:
    """The built-in demo portrait at 512x512 (needs nothing beyond facecast's own dependencies)."""
    from facecast.cmd_demo import builtin_inputs

    img = cv2.cvtColor(cv2.imread(str(builtin_inputs()[0])), cv2.COLOR_BGR2RGB)
    s = min(img.shape[:2])
    return cv2.resize(img[:s, :s], (512, 512), interpolation=cv2.INTER_AREA)


def measure_watermark_speed(frames: int = 12) -> dict:
    clip = talking_clip(_builtin_portrait(), frames, seed=1)
    r = speed_and_psnr([np.ascontiguousarray(clip)])
    return {
        "watermark_embed_ms": r["embed4_median"],
        "watermark_embed_ms_p95": r["embed4_p95"],
        "watermark_embed_ms_mean": r["embed4_mean"],
        "frame_copy_ms": r["copy_median"],
        "watermark_psnr_db_median": r["psnr_median"],
        "watermark_psnr_db_min": r["psnr_min"],
        "watermark_detect_frame_ms": r["detect_frame_median"],
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure_watermark_speed(), indent=2))
