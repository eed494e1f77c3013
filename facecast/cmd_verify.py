"""`facecast verify FILE`: is this image or video marked as made by facecast?

Two independent signals are reported separately: the pixel watermark (survives re-encoding,
scaling and cropping, see docs/watermark.md) and the container metadata that `facecast render`
writes (lost by any re-upload that strips tags). The exit status follows the pixel watermark:
0 found, 1 not found, 2 error. Metadata alone does not count as found: anyone can type it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger("facecast")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="image (PNG, JPEG, WebP) or video (MP4, MKV, WebM, ...)")
    parser.add_argument(
        "--max-frames", type=int, default=100, help="video frames to check, sampled evenly (default 100)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="when nothing is found, also search stretched copies (aspect ratio changed by up to 12%%); slow",
    )


def metadata_verdict(tags: dict[str, str]) -> str | None:
    """The metadata's claim, if it says the file is synthetic and made by facecast."""
    text = " ".join(f"{k}={v}" for k, v in tags.items()).lower()
    if "facecast" in text and any(w in text for w in ("synthetic", "ai-generated", "ai_generated")):
        return tags.get("comment") or tags.get("description") or "synthetic=true, generator=facecast"
    return None


def run(args: argparse.Namespace) -> int:
    from .runtime.errors import ConfigError
    from .runtime.watermark import detect
    from .runtime.watermark_media import IMAGE_SUFFIXES, load_frames, read_metadata

    if args.max_frames < 1:
        raise ConfigError(f"--max-frames must be at least 1, got {args.max_frames}")
    frames = load_frames(args.file, args.max_frames)
    is_image = args.file.suffix.lower() in IMAGE_SUFFIXES
    meta_claim = None if is_image else metadata_verdict(read_metadata(args.file))
    det = detect(frames, thorough=args.thorough)
    if args.json:
        out = det.to_dict()
        out.update(file=str(args.file), metadata_synthetic=meta_claim is not None, metadata=meta_claim)
        out["notes"] = det.notes
        print(json.dumps(out))
    else:
        kind = "image" if is_image else f"video, {det.frames_checked} frames checked"
        print(f"{args.file} ({kind})")
        if det.found:
            who = det.identifier or "identifier unreadable"
            print(f"  pixel watermark: FOUND  {who}")
            print(
                f"  confidence {det.confidence:.6f}  (false-alarm bound {det.p_false:.1e}, sync z {det.sync_z:.1f})"
            )
        else:
            print(f"  pixel watermark: not found  (best sync z {det.sync_z:.1f}; marks stand out above 7)")
        for note in det.notes:
            print(f"  note: {note}")
        if not is_image:
            print(
                f"  metadata: {'says synthetic, made by facecast: ' + meta_claim if meta_claim else 'no facecast tag'}"
            )
        sys.stdout.flush()
    return 0 if det.found else 1
