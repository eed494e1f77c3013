"""The invisible watermark: marked frames are found with their session, unmarked ones are not, and the
mark survives a real H.264 round trip, a 10% crop and a 360p round trip at > 40 dB PSNR."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest

from facecast.cmd_verify import metadata_verdict
from facecast.runtime import watermark_payload as payload
from facecast.runtime.audio_io import ffmpeg_exe
from facecast.runtime.watermark import (
    Watermarker,
    detect,
    draw_label,
    ffmpeg_metadata_args,
    synthetic_metadata,
)
from facecast.runtime.watermark_media import load_video, read_metadata

SESSION = 0x5EC0_0042


def _portrait(path) -> np.ndarray:
    img = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    side = min(h, w)
    img = img[(h - side) // 2 : (h + side) // 2, (w - side) // 2 : (w + side) // 2]
    return cv2.resize(img, (512, 512), interpolation=cv2.INTER_AREA)


def _talking_clip(img: np.ndarray, n: int = 12, seed: int = 0) -> np.ndarray:
    """Frames whose middle moves (a head) while the border stays put, plus sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
    bump = np.exp(-((xx - 256) ** 2 + (yy - 230) ** 2) / (2 * 110.0**2))
    out = []
    for i in range(n):
        dx, dy = 6 * np.sin(i / 3) * bump, 4 * np.cos(i / 4) * bump
        f = cv2.remap(img, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        out.append(np.clip(f + rng.normal(0, 2, f.shape), 0, 255).astype(np.uint8))
    return np.stack(out)


@pytest.fixture(scope="module")
def portraits(astronaut_png, grace_hopper_jpg) -> list[np.ndarray]:
    return [_portrait(astronaut_png), _portrait(grace_hopper_jpg)]


@pytest.fixture(scope="module")
def marked_clip(portraits) -> tuple[np.ndarray, np.ndarray]:
    clean = _talking_clip(portraits[0])
    marked = clean.copy()
    Watermarker(SESSION, 512).apply(marked)
    return clean, marked


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / mse)


def _h264_mp4(frames: np.ndarray, path, bitrate: str, extra: list[str] | None = None) -> None:
    n, h, w, _ = frames.shape
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}"]
    cmd += ["-r", "25", "-i", "-", "-c:v", "libx264", "-b:v", bitrate, "-maxrate", bitrate]
    cmd += ["-bufsize", bitrate, "-pix_fmt", "yuv420p", *(extra or []), str(path)]
    subprocess.run(cmd, input=frames.tobytes(), check=True)


def test_marked_frames_carry_the_session_and_unmarked_do_not(portraits):
    wm = Watermarker(SESSION, 512)
    for img in portraits:
        marked = wm.apply(img.copy())
        found = detect(marked)
        assert found.found and found.session_tag == SESSION, found
        assert found.identifier == wm.identifier
        assert found.confidence > 0.999
        clean = detect(img)
        assert not clean.found and clean.identifier is None, clean


def test_string_sessions_and_rgba_frames(portraits):
    rgba = np.dstack([portraits[1], np.full((512, 512), 200, np.uint8)])
    wm = Watermarker("stream-of-alice", 512)
    out = wm.apply(rgba)
    assert out is rgba  # in place
    assert np.all(rgba[..., 3] == 200)  # alpha untouched
    found = detect(rgba)
    assert found.found and found.session_tag == payload.session_tag("stream-of-alice")


def test_mark_is_invisible_by_psnr(portraits, marked_clip):
    for img in portraits:
        assert _psnr(Watermarker(1, 512).apply(img.copy()), img) > 40.0
    clean, marked = marked_clip
    assert _psnr(marked, clean) > 40.0


def _cel_art() -> np.ndarray:
    """Ren'Py's Eileen (flat cel shading, Debian's renpy-demo) on a plain wall, 512x512."""
    path = "/usr/share/games/renpy/demo/game/images/eileen happy.png"
    art = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if art is None:
        pytest.fail(f"{path} is missing: apt-get install renpy-demo (README, 'Run the tests')")
    rgb = cv2.cvtColor(art[..., :3], cv2.COLOR_BGR2RGB).astype(np.float32)
    alpha = art[..., 3:].astype(np.float32) / 255
    wall = np.array([180, 200, 225], np.float32)
    person = (rgb * alpha + wall * (1 - alpha)).astype(np.uint8)[:400]
    frame = np.empty((512, 512, 3), np.uint8)
    frame[:] = wall.astype(np.uint8)
    frame[112:, 96:416] = person
    return frame


def test_flat_colour_gets_no_visible_grain_and_the_mark_survives(tmp_path):
    """Cel shading and plain walls show any grain: there the mark stays under a grey level RMS
    (mostly 0 or +-1 after rounding; 1.4 with 13% of pixels moved 2+ levels when strength
    followed only the 64x64 contrast) and the lines and hair carry the rest."""
    art = _cel_art()
    clip = np.stack([art] * 12)
    marked = Watermarker(SESSION, 512).apply(clip.copy())
    grey = cv2.cvtColor(art, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(grey, (7, 7))
    flat = np.sqrt(np.maximum(cv2.blur(grey * grey, (7, 7)) - mean * mean, 0)) < 0.5
    assert flat.mean() > 0.4  # the picture really is mostly flat colour
    change = marked[0].astype(np.float32) - art
    assert np.sqrt(np.mean(change[flat] ** 2)) < 1.0
    assert np.mean(np.abs(change[flat]) >= 2) < 0.06
    assert np.sqrt(np.mean(change[~flat] ** 2)) > 2.0
    _h264_mp4(marked, tmp_path / "cel.mp4", "1M")
    found = detect(load_video(tmp_path / "cel.mp4"))
    assert found.found and found.session_tag == SESSION, found


def test_survives_h264_at_streaming_bitrate(marked_clip, tmp_path):
    clean, marked = marked_clip
    _h264_mp4(marked, tmp_path / "marked.mp4", "1M")
    back = load_video(tmp_path / "marked.mp4")
    assert back.shape == marked.shape
    found = detect(back)
    assert found.found and found.session_tag == SESSION, found
    _h264_mp4(clean, tmp_path / "clean.mp4", "1M")
    assert not detect(load_video(tmp_path / "clean.mp4")).found


@pytest.mark.parametrize("resize_back", [False, True])
def test_survives_a_ten_percent_crop(marked_clip, resize_back):
    _, marked = marked_clip
    crop = marked[:, 51:, 20:-31]  # 10% off the top and 10% of the width, unevenly
    if resize_back:
        crop = np.stack([cv2.resize(f, (512, 512), interpolation=cv2.INTER_CUBIC) for f in crop])
    found = detect(crop)
    assert found.found and found.session_tag == SESSION, found


def test_thorough_search_finds_a_stretched_copy(marked_clip):
    _, marked = marked_clip
    stretched = cv2.resize(marked[4, :, 26:-25], (512, 512), interpolation=cv2.INTER_AREA)  # width -10%
    assert not detect(stretched).found  # the normal search covers uniform scale only
    found = detect(stretched, thorough=True)
    assert found.found and found.session_tag == SESSION and abs(found.aspect - 0.905) < 0.02, found


def test_survives_a_360p_round_trip_and_a_copy_kept_at_360p(marked_clip):
    _, marked = marked_clip
    small = np.stack([cv2.resize(f, (360, 360), interpolation=cv2.INTER_AREA) for f in marked])
    found = detect(small)
    assert found.found and found.session_tag == SESSION, found
    back = np.stack([cv2.resize(f, (512, 512), interpolation=cv2.INTER_LINEAR) for f in small])
    found = detect(back)
    assert found.found and found.session_tag == SESSION, found


def test_payload_corrects_weak_bit_errors_and_rejects_noise():
    signs = payload.encode(SESSION).astype(np.float64)
    rng = np.random.default_rng(7)
    soft = signs * 1.5 + rng.standard_normal(signs.size)  # what H.264 at 500 kbit/s leaves
    soft[::20] *= -1  # plus seven confidently wrong bits
    decoded = payload.decode(soft)
    assert decoded is not None and decoded.tag == SESSION and decoded.flipped >= 7
    assert all(payload.decode(rng.standard_normal(payload.N_BITS)) is None for _ in range(300))


def test_mirrored_copy_is_still_found(marked_clip):
    _, marked = marked_clip
    found = detect(np.ascontiguousarray(marked[:3, :, ::-1]))
    assert found.found and found.mirrored and found.session_tag == SESSION, found


def test_metadata_round_trips_through_a_real_mp4(marked_clip, tmp_path):
    _, marked = marked_clip
    path = tmp_path / "render.mp4"
    _h264_mp4(marked[:3], path, "1M", ffmpeg_metadata_args(SESSION))
    tags = read_metadata(path)
    for key, value in synthetic_metadata(SESSION).items():
        assert tags.get(key) == value, (key, tags)
    assert metadata_verdict(tags) is not None
    plain = tmp_path / "plain.mp4"
    _h264_mp4(marked[:3], plain, "1M")
    assert metadata_verdict(read_metadata(plain)) is None


def test_label_is_drawn_in_a_corner_only(portraits):
    img = portraits[0].copy()
    draw_label(img, "AI-generated")
    changed = np.any(img != portraits[0], axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 300  # something readable was drawn
    assert ys.min() > 512 * 0.8 and xs.min() > 512 * 0.5  # bottom-right corner only


def test_the_patterns_come_from_the_cache_folder_as_made(caplog):
    """The 125 patterns take 0.24 s to make (every render process paid it): they are kept in the
    cache folder, read back identical, and a damaged file is made again, never an error."""
    from facecast.runtime import watermark_pattern as wp
    from facecast.runtime.disk_cache import code_digest, derived_cache_dir

    path = derived_cache_dir("watermark") / f"patterns-{code_digest()}.npz"
    made = wp._make_patterns()
    wp.base_patterns.cache_clear()
    assert np.array_equal(wp.base_patterns(), made) and path.is_file()
    wp.base_patterns.cache_clear()
    assert np.array_equal(wp.base_patterns(), made)  # read back
    path.write_bytes(b"damaged")
    wp.base_patterns.cache_clear()
    with caplog.at_level("WARNING", logger="facecast"):
        assert np.array_equal(wp.base_patterns(), made)
    assert "unreadable watermark pattern cache" in caplog.text and path.read_bytes() != b"damaged"
