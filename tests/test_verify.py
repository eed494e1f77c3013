"""`facecast verify` as users run it: a subprocess, exit 0 marked / 1 unmarked / 2 error."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from facecast.runtime.watermark import Watermarker, ffmpeg_metadata_args
from facecast.runtime.watermark_payload import format_identifier
from tests.test_watermark import _h264_mp4, _portrait, _talking_clip

SESSION = 4242


def _verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "facecast", "verify", *map(str, args)], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def pngs(astronaut_png, tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    img = _portrait(astronaut_png)
    marked = Watermarker(SESSION, 512).apply(img.copy())
    cv2.imwrite(str(root / "marked.png"), cv2.cvtColor(marked, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(root / "plain.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    cv2.imwrite(
        str(root / "marked.jpg"), cv2.cvtColor(marked, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 75]
    )
    return root


def test_marked_png_exits_0_with_the_identifier(pngs):
    proc = _verify(pngs / "marked.png")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FOUND" in proc.stdout and format_identifier(SESSION) in proc.stdout


def test_marked_frame_saved_as_jpeg_still_verifies(pngs):
    proc = _verify(pngs / "marked.jpg", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["identifier"] == format_identifier(SESSION)


def test_unmarked_png_exits_1(pngs):
    proc = _verify(pngs / "plain.png", "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["found"] is False and result["identifier"] is None


def test_corrupt_or_missing_file_exits_2_with_a_message(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not a picture")
    proc = _verify(bad)
    assert proc.returncode == 2 and "broken.png" in proc.stderr and "Traceback" not in proc.stderr
    junk = tmp_path / "clip.mp4"
    junk.write_bytes(np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8).tobytes())
    proc = _verify(junk)
    assert proc.returncode == 2 and "clip.mp4" in proc.stderr and "Traceback" not in proc.stderr
    proc = _verify(tmp_path / "missing.mp4")
    assert proc.returncode == 2 and "not found" in proc.stderr


def test_rendered_mp4_reports_mark_and_metadata_separately(astronaut_png, tmp_path):
    frames = _talking_clip(_portrait(astronaut_png))
    Watermarker(SESSION, 512).apply(frames)
    path = tmp_path / "render.mp4"
    _h264_mp4(frames, path, "1M", ffmpeg_metadata_args(SESSION))
    proc = _verify(path, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["identifier"] == format_identifier(SESSION)
    assert result["metadata_synthetic"] is True and result["frames_checked"] == len(frames)
