"""Avatar preparation: once per portrait, cached on disk. Find the one face, take its 478 mediapipe
landmarks (with irises), crop a square head-and-shoulders framing at the output size and compute a
person matte for transparent output.

Framing: the face (landmark bounding box) spans FACE_FRACTION of the crop width, the eyes sit
EYE_LINE of the way down, and roll is kept (the portrait is only cropped and scaled, never rotated),
so the generator animates exactly what the user gave it. A tight headshot (a profile picture) has
no room for that framing: the crop then shrinks to fit the picture, down to a face of
MAX_FACE_FRACTION, and slides within FRAME_SLACK, before any padding is invented. Where the crop
still leaves the picture its edge pixels are extended and progressively blurred (mirroring would
duplicate a chin or an ear); a wide band of that reads as smeared stripes, hence the fitting.
"""

from __future__ import annotations

import io
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from . import avatar_cache
from . import face_landmarks as fl
from .drawn_eyes import is_cel_shaded, refit_drawn_eyes
from .drawn_mouth import refit_drawn_mouth
from .errors import AvatarError, ConfigError
from .wide_eyes import refit_wide_eyes

log = logging.getLogger("facecast")

PREP_VERSION = 17  # bump when the crop, landmarks or matte change: old cache entries are then ignored
FACE_FRACTION = 0.42  # face width / crop width
EYE_LINE = 0.40  # eye height / crop height, from the top
MAX_FACE_FRACTION = 0.56  # a tight picture may frame its face this large rather than pad around it
FRAME_SLACK = 0.06  # the crop may slide this much (of its side) off-centre to stay in the picture
MIN_FACE_PX = 48  # landmark box width below which detail is too poor to animate
MAX_YAW_DEG = 45.0  # beyond this the far side of the face is hidden: the rig cannot turn it back
SIMILAR_FACE_RATIO = 0.6  # a second face at least this wide (relative) makes the choice ambiguous
SIZE_RANGE = (256, 1024)
MAX_PIXELS = 100_000_000  # refuse absurd pictures before decoding them (a 100 MP RGB image is 300 MB)
UNSURE_LIMIT = 0.045  # fraction of hazy (0.15-0.85) segmentation pixels above which GrabCut refines
CONFIDENT_SCORE = 0.75  # one detection this sure is a face ...
MIN_VOTES = 3  # ... else it must be found on this many (variant, detector) attempts
TILE_SCORE = 0.6  # tiles are searched only when nothing else worked: ask a little more of them


@dataclass
class Avatar:
    image: np.ndarray  # (S, S, 3) uint8 RGB: the aligned, cropped portrait at output size S
    # (478, 3) float32 mediapipe face mesh incl. irises, in crop pixels; z = relative depth in the
    # same pixel units, negative toward the camera
    landmarks: np.ndarray
    matte: np.ndarray  # (S, S) float32 0..1 person matte
    size: int  # S
    key: str  # sha256 of the source bytes + PREP_VERSION + size
    crop: np.ndarray  # (2, 3) float32 affine from source image pixels to crop pixels
    source_name: str  # file name, for messages
    # () bool: drawn in flat colours (anime, cel-shaded cartoons): drawn eyes and mouth, flat layers
    cel_shaded: np.ndarray
    # () bool: eyes drawn wider than the mesh's on a textured face (3D cartoons, wide_eyes.py)
    wide_eyes: np.ndarray

    def source_points(self) -> np.ndarray:
        """(478, 2) float64: the landmarks in the source picture's pixels (the crop undone)."""
        back = cv2.invertAffineTransform(self.crop.astype(np.float64))
        return self.landmarks[:, :2].astype(np.float64) @ back[:, :2].T + back[:, 2]


def prepare_avatar(
    source: str | Path | bytes, size: int = 512, cache_dir: str | Path | None = None
) -> Avatar:
    """Prepare a portrait (path or encoded bytes) for the generator, from the cache when possible."""
    if not isinstance(size, int) or not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
        raise ConfigError(
            f"avatar size must be an integer from {SIZE_RANGE[0]} to {SIZE_RANGE[1]}, got {size!r}"
        )
    data, name = _read_source(source)
    key = avatar_cache.cache_key(data, PREP_VERSION, size)
    directory = avatar_cache.cache_dir(cache_dir)
    cached = avatar_cache.load(directory, key, size)
    if cached is not None:
        log.debug("avatar %s: cache hit %s", name, key[:12])
        return Avatar(size=size, key=key, source_name=name, **cached)
    t0 = time.perf_counter()
    rgb, alpha = decode_image(data, name)
    arrays = _prepare(rgb, alpha, size, name)
    avatar_cache.store(directory, key, arrays)
    log.info("prepared avatar %s in %.0f ms", name, (time.perf_counter() - t0) * 1000)
    return Avatar(size=size, key=key, source_name=name, **arrays)


# ---------------------------------------------------------------- reading


def _read_source(source: str | Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "<image bytes>"
    else:
        path = Path(source)
        name = path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AvatarError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    if not data:
        raise AvatarError(f"cannot read image {name}: the file is empty")
    return data, name


def decode_image(data: bytes, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode to (H, W, 3) uint8 RGB plus the alpha channel (float32 0..1) when the picture has a
    transparent part. Honours EXIF orientation; handles grayscale, palette, 16-bit, RGBA, WebP."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS decides
            im = Image.open(io.BytesIO(data))
        with im:
            if im.width * im.height > MAX_PIXELS:
                raise AvatarError(
                    f"cannot read image {name}: {im.width}x{im.height} pixels is more than "
                    f"{MAX_PIXELS // 1_000_000} megapixels; downscale it first"
                )
            im = ImageOps.exif_transpose(im)
            im.load()
            arr = _pil_to_array(im)
    except AvatarError:
        raise
    except Image.DecompressionBombError as exc:
        raise AvatarError(
            f"cannot read image {name}: it has more than {MAX_PIXELS // 1_000_000} megapixels; downscale it first"
        ) from exc
    except Exception as pil_exc:  # PIL raises many types for bad files; fall back to OpenCV
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if arr is None:
            raise AvatarError(f"cannot read image {name}: {pil_exc}") from pil_exc
        arr = _cv_to_rgba_or_rgb(arr)
    if arr.ndim != 3 or min(arr.shape[:2]) < 16:
        raise AvatarError(f"cannot read image {name}: {arr.shape[1]}x{arr.shape[0]} pixels is too small")
    if arr.shape[2] == 4:
        alpha = arr[..., 3].astype(np.float32) / 255.0
        rgb = arr[..., :3].astype(np.float32)
        # Transparent parts become mid-grey: the face detector sees a plain backdrop.
        rgb = (rgb * alpha[..., None] + 128.0 * (1.0 - alpha[..., None])).round().astype(np.uint8)
        return rgb, (alpha if alpha.min() < 0.99 else None)
    return np.ascontiguousarray(arr), None


def _pil_to_array(im) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im).astype(np.float32)
        a = a / 257.0 if a.max() > 255 else a
        g = np.clip(a, 0, 255).astype(np.uint8)
        return np.repeat(g[..., None], 3, axis=2)
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    return np.asarray(im.convert("RGBA" if has_alpha else "RGB"))


def _cv_to_rgba_or_rgb(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint16:
        arr = (arr / 257).astype(np.uint8)
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    if arr.shape[2] == 4:
        return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA)
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


# ---------------------------------------------------------------- finding the face


def _prepare(rgb: np.ndarray, alpha: np.ndarray | None, size: int, name: str) -> dict[str, np.ndarray]:
    landmarks = _locate_face(rgb, name)
    face_w = float(np.ptp(landmarks[:468, 0]))
    if face_w < MIN_FACE_PX:
        raise AvatarError(
            f"the face in {name} is only {face_w:.0f} pixels wide; use a portrait where the face is "
            "at least ~64 pixels wide"
        )
    yaw, pitch, roll = fl.head_angles(landmarks)
    log.debug("avatar %s: face %.0f px wide, yaw %.0f pitch %.0f roll %.0f", name, face_w, yaw, pitch, roll)
    if abs(yaw) > MAX_YAW_DEG:
        raise AvatarError(
            f"the face in {name} is turned too far to the side (about {abs(yaw):.0f} degrees); use a "
            "portrait facing the camera within about 30 degrees"
        )
    crop = framing(landmarks, size, rgb.shape[:2])
    image = warp_crop(rgb, crop, size)
    lm = landmarks.copy()
    lm[:, :2] = lm[:, :2] @ crop[:, :2].T + crop[:, 2]
    lm[:, 2] *= crop[0, 0]
    cel = is_cel_shaded(image, lm)
    if cel:  # anime: mediapipe's human-proportioned mesh is moved onto the drawn eyes and mouth
        lm = refit_drawn_mouth(image, refit_drawn_eyes(image, lm))
    # a 3D cartoon's large eyes: the mesh's ring moved onto the drawn opening
    wide_lm = None if cel else refit_wide_eyes(image, lm)
    wide = wide_lm is not None
    if wide:
        lm = wide_lm
    alpha_crop = None
    if alpha is not None:
        alpha_crop = cv2.warpAffine(
            alpha, crop, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    matte = person_matte(image, lm, alpha_crop)
    return {
        "image": image,
        "landmarks": lm.astype(np.float32),
        "matte": matte,
        "crop": crop,
        "cel_shaded": np.array(cel),
        "wide_eyes": np.array(wide),
    }


def _locate_face(rgb: np.ndarray, name: str) -> np.ndarray:
    """The chosen face's 478 landmarks in source pixels. Cheap attempts first; paintings, cartoons,
    dim or tiny faces get equalised, padded and rescaled variants before we give up."""
    boxes = _find_faces(rgb)
    if not boxes:
        boxes = _detect_tiled(rgb)
    if boxes:
        box = _choose_face(boxes, name)
        lm = _mesh_around(rgb, box)
        if lm is not None:
            return lm
    # The mesh's own detector sometimes finds what the detectors did not (and the reverse).
    for variant, back in _variants(rgb):
        lm = fl.face_mesh(variant)
        if lm is not None:
            return _map_points(lm, back)
    raise AvatarError(
        f"no face found in {name}; use a portrait where the face is visible and at least ~64 pixels wide"
    )


def _find_faces(rgb: np.ndarray) -> list[fl.FaceBox]:
    """Faces found by both detectors on every variant, grouped. A face must be found confidently
    once, or repeatedly and then confirmed by the face mesh: weak hits are what wallpaper, fur,
    gloves and coffee foam produce, and they repeat on near-identical variants."""
    hits: list[fl.FaceBox] = []
    for variant, back in _variants(rgb):
        for full_range in (True, False):
            hits += [_map_box(b, back) for b in fl.detect_faces(variant, full_range=full_range)]
    groups: list[list[fl.FaceBox]] = []
    for b in sorted(hits, key=lambda b: -b.score):
        for g in groups:
            if fl.overlap(b, g[0]) > 0.4:
                g.append(b)
                break
        else:
            groups.append([b])
    faces = [
        _median_box(g)
        for g in groups
        if g[0].score >= CONFIDENT_SCORE or (len(g) >= MIN_VOTES and _mesh_around(rgb, g[0]) is not None)
    ]
    return fl.suppress_overlaps(sorted(faces, key=lambda b: -b.w * b.h))


def _median_box(group: list[fl.FaceBox]) -> fl.FaceBox:
    """One box per face: the detectors' boxes differ in size by up to ~15%; their median is stabler."""
    x, y, w, h = np.median([(b.x, b.y, b.w, b.h) for b in group], axis=0)
    return fl.FaceBox(float(x), float(y), float(w), float(h), max(b.score for b in group))


def _detect_tiled(rgb: np.ndarray, tile: int = 384) -> list[fl.FaceBox]:
    """Small faces in big pictures: the detectors see at most 192 px, so a 64 px face in a 4000 px
    photo is invisible to them. Search overlapping tiles of the picture at up to 2560 px instead."""
    h, w = rgb.shape[:2]
    scale = min(1.0, 2560.0 / max(h, w))
    base = (
        rgb
        if scale == 1.0
        else cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    )
    bh, bw = base.shape[:2]
    if max(bh, bw) <= tile:
        return []
    back = np.array([[w / bw, 0, 0], [0, h / bh, 0]], np.float64)
    found: list[fl.FaceBox] = []
    step = tile // 2
    for y0 in sorted({min(y, max(bh - tile, 0)) for y in range(0, bh, step)}):
        for x0 in sorted({min(x, max(bw - tile, 0)) for x in range(0, bw, step)}):
            for b in fl.detect_faces(base[y0 : y0 + tile, x0 : x0 + tile], min_score=TILE_SCORE):
                found.append(_map_box(fl.FaceBox(b.x + x0, b.y + y0, b.w, b.h, b.score), back))
    return fl.suppress_overlaps(sorted(found, key=lambda b: -b.w * b.h))


def _choose_face(boxes: list[fl.FaceBox], name: str) -> fl.FaceBox:
    largest = boxes[0]
    similar = [b for b in boxes[1:] if b.w >= SIMILAR_FACE_RATIO * largest.w]
    if similar:
        raise AvatarError(f"found {len(boxes)} faces in {name}; crop the picture to one person")
    if len(boxes) > 1:
        log.info("%s: %d faces found; using the largest, which dominates the picture", name, len(boxes))
    return largest


def _variants(rgb: np.ndarray):
    """(image, 2x3 affine from variant pixels back to source pixels) in the order to try them."""
    h, w = rgb.shape[:2]
    scale = min(1.0, 1280.0 / max(h, w))  # detectors work at <= 256 px anyway; spare the CPU
    if scale < 1.0:
        base = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    else:
        base = rgb
    bh, bw = base.shape[:2]
    back = np.array([[w / bw, 0, 0], [0, h / bh, 0]], np.float64)
    yield base, back
    pad = max(bh, bw) // 4  # faces at the border or filling the frame
    padded = cv2.copyMakeBorder(base, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    yield padded, back @ np.array([[1, 0, -pad], [0, 1, -pad], [0, 0, 1]], np.float64)
    yield _equalize(base), back
    yield cv2.GaussianBlur(base, (0, 0), max(bh, bw) / 250), back  # drawings: lines become shading
    if max(bh, bw) < 640:  # tiny pictures: upscaling helps the 128-192 px detector inputs a little
        up = cv2.resize(base, (bw * 2, bh * 2), interpolation=cv2.INTER_CUBIC)
        yield up, back @ np.diag([0.5, 0.5, 1.0])
    yield _equalize(padded), back @ np.array([[1, 0, -pad], [0, 1, -pad], [0, 0, 1]], np.float64)


def _equalize(rgb: np.ndarray) -> np.ndarray:
    """Contrast-limited equalisation of lightness: rescues dark, faded or low-contrast faces."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def _map_box(b: fl.FaceBox, back: np.ndarray) -> fl.FaceBox:
    x, y = back[:, :2] @ (b.x, b.y) + back[:, 2]
    return fl.FaceBox(x, y, b.w * back[0, 0], b.h * back[1, 1], b.score)


def _map_points(lm: np.ndarray, back: np.ndarray) -> np.ndarray:
    out = lm.astype(np.float64).copy()
    out[:, :2] = out[:, :2] @ back[:, :2].T + back[:, 2]
    out[:, 2] *= back[0, 0]
    return out.astype(np.float32)


def _mesh_around(rgb: np.ndarray, box: fl.FaceBox) -> np.ndarray | None:
    """Run the face mesh on 384 px squares around a detected face, where it is most accurate. The
    plain crops at three framings are averaged (each point moves by ~0.3 px between framings: the
    average is steadier); harder faces get looser and tighter framings, equalised and blurred."""
    found = [lm for f in (2.0, 2.4, 2.8) if (lm := _mesh_in_region(rgb, box, f, _plain)) is not None]
    if found:
        return np.mean(found, axis=0).astype(np.float32)
    for factor in (2.4, 1.7, 3.4):
        # Line drawings and engravings: the mesh wants shading, which a light blur gives them.
        for prepare in (_equalize, _blur_region):
            lm = _mesh_in_region(rgb, box, factor, prepare)
            if lm is not None:
                return lm
    return None


def _plain(region: np.ndarray) -> np.ndarray:
    return region


def _blur_region(region: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(region, (0, 0), 2.5)


def _mesh_in_region(rgb: np.ndarray, box: fl.FaceBox, factor: float, prepare) -> np.ndarray | None:
    cx, cy = box.center
    s = 384.0 / (max(box.w, box.h) * factor)
    to_region = np.array([[s, 0, 192 - s * cx], [0, s, 192 - s * cy]], np.float64)
    flags = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    region = cv2.warpAffine(rgb, to_region, (384, 384), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    lm = fl.face_mesh(prepare(region))
    return None if lm is None else _map_points(lm, cv2.invertAffineTransform(to_region))


# ---------------------------------------------------------------- framing and cropping


def framing(landmarks: np.ndarray, size: int, picture: tuple[int, int] | None = None) -> np.ndarray:
    """(2, 3) affine from source pixels to the crop: uniform scale and shift, no rotation.
    `picture` (height, width) lets a tight picture keep its crop inside itself (module docstring)."""
    pts = landmarks[:468, :2]
    x_min, x_max = float(pts[:, 0].min()), float(pts[:, 0].max())
    face_w = x_max - x_min
    side = face_w / FACE_FRACTION
    eye_y = float((landmarks[fl.RIGHT_IRIS, 1] + landmarks[fl.LEFT_IRIS, 1]) / 2)
    x0 = (x_min + x_max) / 2 - side / 2
    y0 = eye_y - EYE_LINE * side
    if picture is not None:
        h, w = picture
        fitted = max(min(side, float(min(h, w))), face_w / MAX_FACE_FRACTION)
        x0 += (side - fitted) / 2  # keep the face centred and the eyes on EYE_LINE while shrinking
        y0 += (side - fitted) * EYE_LINE
        side = fitted
        x0 = _slide_inside(x0, side, w)
        y0 = _slide_inside(y0, side, h)
    s = size / side
    return np.array([[s, 0, -s * x0], [0, s, -s * y0]], np.float32)


def _slide_inside(start: float, side: float, extent: int) -> float:
    """Shift a crop edge by at most FRAME_SLACK * side toward lying inside [0, extent]."""
    lo, hi = (0.0, extent - side) if extent >= side else ((extent - side) / 2,) * 2
    target = min(max(start, lo), hi)
    return float(np.clip(target, start - FRAME_SLACK * side, start + FRAME_SLACK * side))


def warp_crop(rgb: np.ndarray, crop: np.ndarray, size: int) -> np.ndarray:
    """Resample the crop (area-averaged when shrinking, so no aliasing); extend the edge and blur
    whatever lies outside the source picture, more the further out, so the border holds no seam."""
    h, w = rgb.shape[:2]
    s = float(crop[0, 0])
    m = crop.astype(np.float64)
    src = rgb
    if s < 0.75:
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        src = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
        m = m @ np.array([[w / nw, 0, 0], [0, h / nh, 0], [0, 0, 1]], np.float64)
    flags = cv2.INTER_CUBIC if s > 1.0 else cv2.INTER_LINEAR
    out = cv2.warpAffine(src, m, (size, size), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(
        np.ones(src.shape[:2], np.uint8), m, (size, size), flags=cv2.INTER_NEAREST, borderValue=0
    )
    if inside.all():
        return out
    dist = cv2.distanceTransform((1 - inside).astype(np.uint8), cv2.DIST_L2, 5)
    weight = np.clip(dist / (0.08 * size), 0.0, 1.0)[..., None]
    blurred = cv2.GaussianBlur(out, (0, 0), sigmaX=size / 16)
    return (out * (1 - weight) + blurred * weight).round().astype(np.uint8)


# ---------------------------------------------------------------- matte


def person_matte(image: np.ndarray, lm: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """Soft person matte. A transparent source's own alpha wins. Otherwise selfie segmentation,
    which is trained on photos: where it misses the face (paintings, cartoons) it is blended toward
    a head-and-shoulders prior drawn from the landmarks. The face itself is always foreground."""
    size = image.shape[0]
    if alpha is not None:
        return np.clip(alpha, 0, 1).astype(np.float32)
    seg = fl.segment_person(image)
    face = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(face, cv2.convexHull(lm[list(fl.FACE_OVAL), :2].round().astype(np.int32)), 1.0)
    trust = float((seg * face).sum() / max(face.sum(), 1.0))  # how much of the face it calls person
    prior = _head_and_shoulders(lm, size)
    # Segmentation blobs far from this person (a painted landscape, a second figure) are cut.
    unsure = float(((seg > 0.15) & (seg < 0.85)).mean())
    allowed = _head_and_shoulders(lm, size, grow=1.6)
    seg = seg * allowed
    w = float(np.clip((trust - 0.4) / 0.4, 0.0, 1.0))
    matte = w * seg + (1.0 - w) * np.maximum(seg, prior)
    if unsure > UNSURE_LIMIT:  # a hazy mask: typical of paintings; let the picture's colours decide
        matte = _grabcut(image, matte, face, allowed)
    matte = np.maximum(matte, cv2.GaussianBlur(face, (0, 0), 2.0))
    guide = image.astype(np.float32) / 255.0
    matte = cv2.ximgproc.guidedFilter(guide, matte.astype(np.float32), 4, 1e-3)
    matte = cv2.GaussianBlur(matte, (0, 0), 0.8)
    log.debug(
        "matte: segmentation covers %.0f%% of the face (weight %.2f), %.1f%% unsure",
        100 * trust,
        w,
        100 * unsure,
    )
    return np.clip(matte, 0.0, 1.0).astype(np.float32)


def _grabcut(image: np.ndarray, matte: np.ndarray, face: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Refine a doubtful matte by colour (GrabCut at 256 px, ~0.3 s once per portrait): the matte
    marks probable person, the face is certain person, outside the allowed region certain backdrop."""
    k = 256
    small = lambda a: cv2.resize(a, (k, k), interpolation=cv2.INTER_AREA)  # noqa: E731
    mask = np.full((k, k), cv2.GC_PR_BGD, np.uint8)
    mask[small(matte) > 0.5] = cv2.GC_PR_FGD
    mask[small(allowed) < 0.05] = cv2.GC_BGD
    mask[small(face) > 0.5] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    try:
        cv2.grabCut(
            cv2.cvtColor(small(image), cv2.COLOR_RGB2BGR), mask, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK
        )
    except cv2.error as exc:  # degenerate colour models (e.g. a flat picture): keep the matte we had
        log.debug("grabcut refinement skipped: %s", exc)
        return matte
    person = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
    return cv2.resize(person, matte.shape[::-1], interpolation=cv2.INTER_LINEAR)


def _head_and_shoulders(lm: np.ndarray, size: int, grow: float = 1.0) -> np.ndarray:
    """A soft silhouette scaled to the face: head ellipse with room for hair, neck, shoulders;
    `grow` widens it into the region a person's matte may reach at most (big hair, wide shoulders).
    Drawn and blurred at a quarter of the size: it is smooth anyway, and 16x cheaper."""
    q = 4
    small = size // q
    pts = lm[:468, :2] / q
    x0, x1 = pts[:, 0].min(), pts[:, 0].max()
    top, chin = lm[fl.FOREHEAD_TOP, 1] / q, lm[fl.CHIN, 1] / q
    fw, fh = x1 - x0, chin - top
    cx = (x0 + x1) / 2
    prior = np.zeros((small, small), np.float32)

    def ellipse(c, axes):
        cv2.ellipse(prior, (round(c[0]), round(c[1])), (round(axes[0]), round(axes[1])), 0, 0, 360, 1.0, -1)

    ellipse((cx, (top + chin) / 2 - 0.12 * fh), (0.68 * fw * grow, 0.78 * fh * grow))  # skull and hair
    neck = np.array(
        [
            [cx - 0.3 * fw, chin - 0.2 * fh],
            [cx + 0.3 * fw, chin - 0.2 * fh],
            [cx + 0.35 * fw, chin + 0.7 * fh],
            [cx - 0.35 * fw, chin + 0.7 * fh],
        ]
    )
    cv2.fillConvexPoly(prior, neck.round().astype(np.int32), 1.0)
    ellipse((cx, chin + 1.5 * fh), (1.5 * fw * grow, 1.0 * fh * grow))  # shoulders and chest
    prior = cv2.GaussianBlur(prior, (0, 0), 0.08 * fw * grow)
    return cv2.resize(prior, (size, size), interpolation=cv2.INTER_LINEAR)
