"""Avatar preparation on the portraits scikit-image and matplotlib ship, and on pictures made from
them: greyscale, mirrored, EXIF-rotated, a small face in a big canvas, two faces, no face."""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from facecast.runtime import face_landmarks as fl
from facecast.runtime.avatar import (
    EYE_LINE,
    FACE_FRACTION,
    FRAME_SLACK,
    MAX_FACE_FRACTION,
    Avatar,
    framing,
    prepare_avatar,
)
from facecast.runtime.errors import AvatarError


def _png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg_bytes(rgb: np.ndarray, **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=92, **kwargs)
    return buf.getvalue()


@pytest.fixture(scope="module")
def astronaut_rgb() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="module")
def hopper_rgb(grace_hopper_jpg) -> np.ndarray:
    return np.asarray(Image.open(grace_hopper_jpg).convert("RGB"))


def _eye_region_contains(av: Avatar, iris: int, ring: tuple[int, ...]) -> bool:
    pts = av.landmarks[list(ring), :2]
    x, y = av.landmarks[iris, :2]
    return bool(pts[:, 0].min() < x < pts[:, 0].max() and pts[:, 1].min() - 2 < y < pts[:, 1].max() + 2)


def _check_face_geometry(av: Avatar, check_matte: bool = True, tight: bool = False) -> None:
    """`tight`: a picture too small around its face for the standard framing (avatar docstring)."""
    s = av.size
    assert av.image.shape == (s, s, 3) and av.image.dtype == np.uint8
    assert av.landmarks.shape == (478, 3) and av.landmarks.dtype == np.float32
    assert av.matte.shape == (s, s) and av.matte.dtype == np.float32
    assert av.crop.shape == (2, 3)
    lm = av.landmarks
    # Anatomy: irises inside their eyes, subject's right eye on the viewer's left, mouth under nose.
    assert _eye_region_contains(av, fl.RIGHT_IRIS, fl.RIGHT_EYE_RING)
    assert _eye_region_contains(av, fl.LEFT_IRIS, fl.LEFT_EYE_RING)
    assert lm[fl.RIGHT_IRIS, 0] < lm[fl.LEFT_IRIS, 0]
    assert lm[fl.FOREHEAD_TOP, 1] < lm[fl.RIGHT_IRIS, 1] < lm[fl.NOSE_TIP, 1] < lm[fl.UPPER_LIP_TOP, 1]
    assert lm[fl.UPPER_LIP_TOP, 1] < lm[fl.LOWER_LIP_BOTTOM, 1] < lm[fl.CHIN, 1]
    # Framing as specified: face width ~42% of the crop, eyes ~40% down, face centred; a tight
    # picture frames its face larger (up to MAX_FACE_FRACTION) and a little off-centre.
    face_w = np.ptp(lm[:468, 0]) / s
    eye_y = (lm[fl.RIGHT_IRIS, 1] + lm[fl.LEFT_IRIS, 1]) / 2 / s
    centre_x = (lm[:468, 0].min() + lm[:468, 0].max()) / 2 / s
    if tight:
        assert FACE_FRACTION - 0.02 < face_w < MAX_FACE_FRACTION + 0.02
        assert abs(eye_y - EYE_LINE) < FRAME_SLACK + 0.02 and abs(centre_x - 0.5) < FRAME_SLACK + 0.02
    else:
        assert abs(face_w - FACE_FRACTION) < 0.02
        assert abs(eye_y - EYE_LINE) < 0.02
        assert abs(centre_x - 0.5) < 0.02
    # The matte holds the face and leaves the top corners (background in these portraits) clear.
    face_px = lm[fl.NOSE_TIP, :2].round().astype(int)
    assert av.matte[face_px[1], face_px[0]] > 0.95
    if not check_matte:
        return
    corner = s // 16
    assert av.matte[:corner, :corner].mean() < 0.3 and av.matte[:corner, -corner:].mean() < 0.3


def _source_to_crop(av: Avatar, xy: np.ndarray) -> np.ndarray:
    return xy @ av.crop[:, :2].T + av.crop[:, 2]


def test_astronaut_prepares_with_face_framed(astronaut_png, tmp_path):
    av = prepare_avatar(astronaut_png, cache_dir=tmp_path)
    _check_face_geometry(av)
    assert av.size == 512 and av.source_name == "astronaut.png"
    # The crop affine really maps source pixels onto the crop: resampling the source with it gives
    # back the crop image where the crop lies inside the source.
    src = cv2.cvtColor(cv2.imread(str(astronaut_png)), cv2.COLOR_BGR2RGB)
    again = cv2.warpAffine(src, av.crop, (512, 512), flags=cv2.INTER_LINEAR)
    centre = slice(160, 352)
    diff = np.abs(again[centre, centre].astype(int) - av.image[centre, centre].astype(int))
    assert diff.mean() < 6


def test_grace_hopper_prepares_at_other_sizes(grace_hopper_jpg, tmp_path):
    for size in (256, 768):
        av = prepare_avatar(grace_hopper_jpg, size=size, cache_dir=tmp_path)
        _check_face_geometry(av)


def test_black_and_white_and_mirrored(astronaut_rgb, tmp_path):
    gray = cv2.cvtColor(astronaut_rgb, cv2.COLOR_RGB2GRAY)
    buf = io.BytesIO()
    Image.fromarray(gray, mode="L").save(buf, format="JPEG")
    bw = prepare_avatar(buf.getvalue(), cache_dir=tmp_path)
    _check_face_geometry(bw)
    assert np.abs(bw.image[..., 0].astype(int) - bw.image[..., 2]).max() <= 2  # still grey

    color = prepare_avatar(_png_bytes(astronaut_rgb), cache_dir=tmp_path)
    mirrored = prepare_avatar(_png_bytes(astronaut_rgb[:, ::-1].copy()), cache_dir=tmp_path)
    _check_face_geometry(mirrored)
    # The mirror image's nose lands where the mirrored original's would.
    w = astronaut_rgb.shape[1]
    nose_src = color.landmarks[fl.NOSE_TIP, :2] - color.crop[:, 2]
    nose_src = nose_src / color.crop[0, 0]
    expected = _source_to_crop(mirrored, np.array([w - 1 - nose_src[0], nose_src[1]], np.float32))
    assert np.linalg.norm(mirrored.landmarks[fl.NOSE_TIP, :2] - expected) < 0.02 * 512


def test_exif_orientation_is_honoured(astronaut_rgb, tmp_path):
    """A phone photo stored sideways with an EXIF 'rotate 90' tag prepares like the upright one."""
    stored = np.rot90(astronaut_rgb, k=1).copy()  # rotated 90 degrees counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6  # display: rotate 90 degrees clockwise
    av = prepare_avatar(_jpeg_bytes(stored, exif=exif.tobytes()), cache_dir=tmp_path)
    _check_face_geometry(av)
    upright = prepare_avatar(_jpeg_bytes(astronaut_rgb), cache_dir=tmp_path)
    assert np.abs(av.landmarks[:, :2] - upright.landmarks[:, :2]).mean() < 3


def test_rgba_png_with_transparency_uses_its_alpha(astronaut_rgb, tmp_path):
    h, w = astronaut_rgb.shape[:2]
    alpha = np.full((h, w), 255, np.uint8)
    alpha[:, : w // 8] = 0  # a transparent strip at the left
    rgba = np.dstack([astronaut_rgb, alpha])
    av = prepare_avatar(_png_bytes(rgba), cache_dir=tmp_path)
    strip = _source_to_crop(av, np.array([[w / 16, h / 2]], np.float32))[0].round().astype(int)
    if 0 <= strip[0] < 512:
        assert av.matte[strip[1], strip[0]] < 0.05
    nose = av.landmarks[fl.NOSE_TIP, :2].round().astype(int)
    assert av.matte[nose[1], nose[0]] > 0.95


def test_small_face_in_big_canvas(astronaut_rgb, tmp_path):
    yy, xx = np.mgrid[0:2000, 0:2000]
    canvas = np.dstack([(60 + xx / 20), (90 + yy / 25), np.full_like(xx, 120.0)]).astype(np.uint8)
    small = cv2.resize(astronaut_rgb, (400, 400), interpolation=cv2.INTER_AREA)
    canvas[1300:1700, 250:650] = small
    av = prepare_avatar(_png_bytes(canvas), cache_dir=tmp_path)
    _check_face_geometry(av)
    # It found the face where we pasted it.
    nose_src = (av.landmarks[fl.NOSE_TIP, :2] - av.crop[:, 2]) / av.crop[0, 0]
    assert 250 < nose_src[0] < 650 and 1300 < nose_src[1] < 1700


@pytest.mark.parametrize("kind", ["gradient", "coffee", "noise"])
def test_no_face_is_refused(kind, rng, tmp_path):
    from skimage import data

    if kind == "gradient":
        img = np.dstack([np.tile(np.linspace(0, 255, 640), (480, 1))] * 3).astype(np.uint8)
    elif kind == "coffee":
        img = data.coffee()
    else:
        img = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    with pytest.raises(AvatarError, match=r"no face found in <image bytes>; .*64 pixels"):
        prepare_avatar(_png_bytes(img), cache_dir=tmp_path)
    assert not any(Path(tmp_path).iterdir())  # nothing cached for a failure


def test_two_faces_are_refused(astronaut_rgb, hopper_rgb, tmp_path):
    hopper = cv2.resize(hopper_rgb, (300, 352), interpolation=cv2.INTER_AREA)  # her face ~ the astronaut's
    hopper = cv2.copyMakeBorder(hopper, 0, 160, 0, 0, cv2.BORDER_REPLICATE)
    both = np.hstack([astronaut_rgb, hopper])
    with pytest.raises(AvatarError, match=r"found [2-9] faces in .*crop the picture to one person"):
        prepare_avatar(_png_bytes(both), cache_dir=tmp_path)


def test_unreadable_files(tmp_path, astronaut_png):
    good = astronaut_png.read_bytes()
    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(good[:200] + b"\x00garbage" * 50)
    with pytest.raises(AvatarError, match=r"cannot read image broken.png: "):
        prepare_avatar(corrupt, cache_dir=tmp_path / "cache")
    with pytest.raises(AvatarError, match=r"cannot read image .*missing.jpg"):
        prepare_avatar(tmp_path / "missing.jpg", cache_dir=tmp_path / "cache")
    with pytest.raises(AvatarError, match=r"cannot read image <image bytes>: the file is empty"):
        prepare_avatar(b"", cache_dir=tmp_path / "cache")


def test_huge_picture_is_refused_before_decoding(tmp_path):
    """A PNG header announcing a gigantic picture is refused from the header alone."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    for side in (12000, 20000):  # over facecast's limit; over PIL's own bomb limit too
        header = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        png = (
            b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
        )
        with pytest.raises(
            AvatarError, match=r"cannot read image <image bytes>: .*100 megapixels; downscale it"
        ):
            prepare_avatar(png, cache_dir=tmp_path)


def test_cache_is_keyed_by_content(astronaut_png, astronaut_rgb, tmp_path):
    cache = tmp_path / "cache"
    first = prepare_avatar(astronaut_png, cache_dir=cache)
    files = sorted(cache.glob("*.npz"))
    assert [f.name for f in files] == [f"{first.key}.npz"]
    stamp = files[0].stat().st_mtime_ns

    copy = tmp_path / "renamed copy.png"
    copy.write_bytes(astronaut_png.read_bytes())
    hit = prepare_avatar(copy, cache_dir=cache)
    assert files[0].stat().st_mtime_ns == stamp and len(list(cache.glob("*.npz"))) == 1
    assert hit.key == first.key and hit.source_name == "renamed copy.png"
    for name in ("image", "landmarks", "matte", "crop"):
        np.testing.assert_array_equal(getattr(hit, name), getattr(first, name))

    changed = astronaut_rgb.copy()
    changed[5, 5] ^= 1
    miss = prepare_avatar(_png_bytes(changed), cache_dir=cache)
    assert miss.key != first.key and len(list(cache.glob("*.npz"))) == 2
    other_size = prepare_avatar(astronaut_png, size=256, cache_dir=cache)
    assert other_size.key != first.key and other_size.image.shape == (256, 256, 3)


def test_corrupt_cache_file_is_rebuilt(astronaut_png, tmp_path):
    first = prepare_avatar(astronaut_png, cache_dir=tmp_path)
    path = tmp_path / f"{first.key}.npz"
    path.write_bytes(path.read_bytes()[:1000])  # truncated, as after a power cut without atomic writes
    again = prepare_avatar(astronaut_png, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.landmarks, first.landmarks)
    with np.load(path) as npz:  # rewritten whole
        assert npz["image"].shape == (512, 512, 3)


def test_cache_entry_with_wrong_contents_is_rebuilt(astronaut_png, tmp_path):
    """A readable archive holding the wrong arrays (a bug, or a hand-edited file) is not trusted."""
    first = prepare_avatar(astronaut_png, cache_dir=tmp_path)
    path = tmp_path / f"{first.key}.npz"
    np.savez(
        path,
        key=np.array(first.key),
        image=first.image[:100],
        landmarks=first.landmarks,
        matte=first.matte,
        crop=first.crop,
    )
    again = prepare_avatar(astronaut_png, cache_dir=tmp_path)
    assert again.image.shape == (512, 512, 3)
    np.testing.assert_array_equal(again.image, first.image)


def test_failed_cache_write_leaves_no_partial_file(astronaut_png, tmp_path, monkeypatch):
    """A write that dies half-way (here: the disk fills) leaves neither a temp file nor an .npz."""

    def disk_full(f, **arrays):
        f.write(b"PK\x03\x04 half an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    av = prepare_avatar(astronaut_png, cache_dir=tmp_path)  # still prepares, without caching
    assert av.image.shape == (512, 512, 3)
    assert os.listdir(tmp_path) == []


def test_cache_dir_from_environment(astronaut_png, tmp_path, monkeypatch):
    monkeypatch.setenv("FACECAST_CACHE_DIR", str(tmp_path / "env-cache"))
    av = prepare_avatar(astronaut_png)
    assert (tmp_path / "env-cache" / "avatars" / f"{av.key}.npz").is_file()  # beside rigs/, models/


def test_bad_size_is_refused(astronaut_png):
    from facecast.runtime.errors import ConfigError

    with pytest.raises(ConfigError, match="256 to 1024"):
        prepare_avatar(astronaut_png, size=100)


@pytest.mark.parametrize("fmt", ["WEBP", "GIF", "PNG16"])
def test_other_formats(fmt, astronaut_rgb, tmp_path):
    buf = io.BytesIO()
    if fmt == "PNG16":  # 16-bit greyscale, as scanners write
        gray = cv2.cvtColor(astronaut_rgb, cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257
        Image.fromarray(gray).save(buf, format="PNG")
    else:
        Image.fromarray(astronaut_rgb).save(buf, format=fmt)
    av = prepare_avatar(buf.getvalue(), cache_dir=tmp_path)
    _check_face_geometry(av)


def test_dominant_face_is_taken_over_a_small_one(astronaut_rgb, hopper_rgb, tmp_path):
    """A person in the background (half the face width) does not block the portrait."""
    picture = astronaut_rgb.copy()
    small = cv2.resize(hopper_rgb, (140, 164), interpolation=cv2.INTER_AREA)
    picture[-164:, -140:] = small
    faces = fl.detect_faces(picture) + fl.detect_faces(picture, full_range=False)
    assert any(b.x > 350 and b.y > 330 for b in faces)  # her face is seen, and then passed over
    av = prepare_avatar(_png_bytes(picture), cache_dir=tmp_path)
    _check_face_geometry(av)
    nose_src = (av.landmarks[fl.NOSE_TIP, :2] - av.crop[:, 2]) / av.crop[0, 0]
    assert nose_src[0] < 350 and nose_src[1] < 300  # the astronaut's face, not Grace Hopper's


@pytest.mark.parametrize("style", ["painted", "pencil", "posterized", "underexposed", "tilted"])
def test_paintings_drawings_and_hard_photos(style, astronaut_rgb, tmp_path):
    """Stand-ins for paintings, drawings and cartoons made from the astronaut: the detectors are
    trained on photos, so these need the equalised, blurred and re-tried variants."""
    img = astronaut_rgb
    if style == "painted":
        img = cv2.stylization(img, sigma_s=60, sigma_r=0.45)
    elif style == "pencil":
        gray, _ = cv2.pencilSketch(img, sigma_s=60, sigma_r=0.07, shade_factor=0.05)
        img = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    elif style == "posterized":
        img = ((img // 64) * 64 + 32).astype(np.uint8)
    elif style == "underexposed":
        img = (img * 0.25).astype(np.uint8)
    else:  # head tilted 35 degrees: roll is kept, not removed
        turn = cv2.getRotationMatrix2D((256.0, 170.0), -35.0, 1.0)
        img = cv2.warpAffine(img, turn, (512, 512), borderMode=cv2.BORDER_REFLECT)
    av = prepare_avatar(_png_bytes(np.ascontiguousarray(img)), cache_dir=tmp_path)
    _check_face_geometry(av, check_matte=style != "underexposed")
    if style == "tilted":
        right, left = av.landmarks[fl.RIGHT_IRIS], av.landmarks[fl.LEFT_IRIS]
        roll = np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0]))
        assert 25 < roll < 45  # the eye line keeps its clockwise slope in the crop


def test_head_angles_use_facemotion_signs(astronaut_rgb):
    """The rough pose used to refuse profiles: clockwise tilt is positive roll, a mirror flips yaw."""
    lm = fl.face_mesh(astronaut_rgb)
    yaw, pitch, roll = fl.head_angles(lm)
    turn = cv2.getRotationMatrix2D((256.0, 170.0), -20.0, 1.0)  # OpenCV: negative angle = clockwise
    tilted = cv2.warpAffine(astronaut_rgb, turn, (512, 512), borderMode=cv2.BORDER_REFLECT)
    assert fl.head_angles(fl.face_mesh(tilted))[2] == pytest.approx(roll + 20.0, abs=3.0)
    m_yaw, m_pitch, m_roll = fl.head_angles(fl.face_mesh(np.ascontiguousarray(astronaut_rgb[:, ::-1])))
    assert m_yaw == pytest.approx(-yaw, abs=1.5) and m_roll == pytest.approx(-roll, abs=1.5)
    assert m_pitch == pytest.approx(pitch, abs=3.0)


def _turn_head(rgb: np.ndarray, degrees: float) -> np.ndarray:
    """Turn the face about the vertical axis: rotate its mesh in 3D, keep a ring around the head and
    the picture's border still, and warp the pixels with a thin-plate spline through those points."""
    from scipy.interpolate import RBFInterpolator

    h, w = rgb.shape[:2]
    lm = fl.face_mesh(rgb).astype(np.float64)
    c = lm[:468].mean(axis=0)
    t = np.radians(degrees)
    p = lm - c
    turned = np.stack([p[:, 0] * np.cos(t) - p[:, 2] * np.sin(t) + c[0], lm[:, 1]], axis=1)
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    fw = np.ptp(lm[:, 0])
    ring = np.stack([c[0] + 1.3 * fw * np.cos(ang), c[1] + 1.5 * fw * np.sin(ang)], axis=1)
    edge = np.linspace(0, 1, 9)
    border = np.array([(x * (w - 1), y * (h - 1)) for x in edge for y in edge if x in (0, 1) or y in (0, 1)])
    back = RBFInterpolator(
        np.vstack([turned[::2], ring, border]), np.vstack([lm[::2, :2], ring, border]), smoothing=1.0
    )
    gy, gx = np.mgrid[0:h:8, 0:w:8]
    grid = back(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gy.shape + (2,)).astype(np.float32)
    mx, my = cv2.resize(grid[..., 0], (w, h)), cv2.resize(grid[..., 1], (w, h))
    return cv2.remap(rgb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("degrees", [-30.0, 30.0])
def test_heads_turned_30_degrees_prepare(degrees, astronaut_rgb, tmp_path):
    base_yaw = fl.head_angles(fl.face_mesh(astronaut_rgb))[0]
    av = prepare_avatar(_png_bytes(_turn_head(astronaut_rgb, degrees)), cache_dir=tmp_path)
    _check_face_geometry(av)
    yaw = fl.head_angles(av.landmarks)[0] - base_yaw
    assert np.sign(yaw) == np.sign(degrees) and 15 < abs(yaw) < 40  # turned, the way it was turned


def test_crop_beyond_the_picture_is_padded_softly(astronaut_rgb, tmp_path):
    """A tight face crop must be padded on every side: the padding away from the picture is smooth
    (blurred) and joins the picture without a seam (a black border fails both)."""
    tight = np.ascontiguousarray(astronaut_rgb[62:205, 160:290])
    av = prepare_avatar(_png_bytes(tight), cache_dir=tmp_path)
    _check_face_geometry(av, check_matte=False, tight=True)
    inside = cv2.warpAffine(np.ones(tight.shape[:2], np.uint8), av.crop, (512, 512), flags=cv2.INTER_NEAREST)
    assert 0.2 < inside.mean() < 0.8  # the crop really does leave the picture
    gray = cv2.cvtColor(av.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    detail = np.abs(cv2.Laplacian(gray, cv2.CV_32F))
    far = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5) > 40
    assert detail[far].mean() < 0.25 * detail[inside.astype(bool)].mean()
    seam = (cv2.dilate(inside, np.ones((3, 3), np.uint8)) - cv2.erode(inside, np.ones((3, 3), np.uint8))) > 0
    assert detail[seam].mean() < 2.0 * detail[inside.astype(bool)].mean()


def test_headshot_is_framed_inside_the_picture(astronaut_rgb, tmp_path):
    """A profile-picture crop (face about half the picture's width, eyes 45% down) has
    no room for the standard framing: the face is framed larger and the crop stays inside the
    picture, where the standard framing would invent a blurred band of shirt under the chin."""
    lm = fl.face_mesh(astronaut_rgb)
    x_min, x_max = lm[:468, 0].min(), lm[:468, 0].max()
    face_w = x_max - x_min
    side = int(face_w / 0.52)
    x0 = int((x_min + x_max) / 2 - side / 2)
    y0 = int((lm[fl.RIGHT_IRIS, 1] + lm[fl.LEFT_IRIS, 1]) / 2 - 0.45 * side)
    shot = np.ascontiguousarray(astronaut_rgb[max(y0, 0) : y0 + side, max(x0, 0) : x0 + side])
    av = prepare_avatar(_png_bytes(shot), cache_dir=tmp_path)
    _check_face_geometry(av, check_matte=False, tight=True)
    inside = cv2.warpAffine(np.ones(shot.shape[:2], np.uint8), av.crop, (512, 512), flags=cv2.INTER_NEAREST)
    assert inside.mean() > 0.97
    standard = cv2.warpAffine(
        np.ones(shot.shape[:2], np.uint8),
        framing(fl.face_mesh(shot), 512),
        (512, 512),
        flags=cv2.INTER_NEAREST,
    )
    assert standard.mean() < 0.8  # what the fitting saves


def test_concurrent_preparations_match_sequential_ones(astronaut_png, grace_hopper_jpg, tmp_path):
    """The service prepares portraits for several sessions at once; mediapipe graphs are shared."""
    from concurrent.futures import ThreadPoolExecutor

    sources = [astronaut_png, grace_hopper_jpg] * 2
    with ThreadPoolExecutor(4) as pool:
        together = list(
            pool.map(lambda i: prepare_avatar(sources[i], cache_dir=tmp_path / f"c{i}"), range(4))
        )
    alone = [prepare_avatar(s, cache_dir=tmp_path / "seq") for s in sources[:2]]
    for i, av in enumerate(together):
        ref = alone[i % 2]
        assert av.key == ref.key
        np.testing.assert_allclose(av.landmarks, ref.landmarks, atol=1e-3)
        np.testing.assert_array_equal(av.image, ref.image)
