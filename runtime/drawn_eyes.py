"""Drawn (anime) eyes: refit the mesh's eye outlines and irises to the eye as drawn.

mediapipe's face mesh puts a human-proportioned eye inside anime's large drawn eye (on the
Ren'Py characters its ring covers the upper third to half of the eye), so a blink closed only that
band and drew its lash line across the iris. On cel-shaded faces the drawn eye stands out: lash
line, iris and white in flat colours on flat skin. Photos, paintings and 3D renders keep the mesh's
eyes: their skin is textured and their lids are skin-coloured, so the same scan would run into lid
creases, shadows and brows. How a refitted (tall) eye blinks is in rig_basis.is_drawn_eye.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .face_anatomy import EYE_L_LO, EYE_L_UP, EYE_R_LO, EYE_R_UP, FACE_OVAL, FaceFrame, eye_width

# Cel art fills the face with a few flat colours and outlines it with sharp lines. Share of the face
# oval's pixels in its three most common colours (RGB in 2-level bins): the Ren'Py characters
# 0.10-0.40; photos, paintings and a 3D cartoon 0.002-0.014, frames of compressed talking-head video
# 0.006-0.056 (a blurry upscaled one is smooth, but in gradients). And the share of pixels on a sharp
# edge (Sobel magnitude over SHARP_EDGE): the characters 0.11-0.26, the blurry video 0.001.
CEL_COLOUR_SHARE = 0.08
CEL_LINE_SHARE = 0.05
SHARP_EDGE = 150.0
# Lab distance (8-bit units) from the skin beyond which a pixel belongs to the drawn eye; the
# skin's own shading (under the fringe, blush) stays within ~25 of it.
EYE_DELTA_E = 35.0
EYE_DARK, EYE_CHROMA = 0.6, 35.0
# Eye whites are as light as anime skin but not as warm: Lab b under WHITE_WARMTH of the skin's
# (tested only where the skin is at least MIN_SKIN_WARMTH warm, else the two cannot be told apart).
WHITE_WARMTH, MIN_SKIN_WARMTH = 0.35, 4.0
# Skin samples: nose, cheeks and chin; the median ignores points the mesh puts inside a drawn eye.
SKIN_POINTS = (1, 4, 5, 195, 205, 425, 50, 280, 101, 330, 152, 199)
HIGHLIGHT_AREA = 0.36  # enclosed holes up to this many square eye widths are highlights: filled
MIN_GROWTH = 1.3  # refit only an eye drawn at least this much taller than the mesh's
# The search box around the mesh's eye, in eye widths across and down the face: a drawn eye that
# reaches its edge has run into hair, a brow or the face's outline.
BOX_ACROSS, BOX_DOWN = (-1.5, 1.5), (-1.1, 1.3)
STROKE = 0.1  # eye widths: strokes thinner than about twice this (a glasses frame) are cut off
IRIS_GAP = 0.25  # eye widths of highlight the iris scan may cross
SHUT_RUN = 0.25  # eye widths of eye pixels below the iris centre under which a drawn eye is shut
SCAN_START = 0.1  # eye widths below the mesh's upper lid within which a scanned column must be eye
SCAN_DEPTH = 2.5  # eye widths below the mesh's eye centre that a column may reach (Sylvie's: 1.9)
SCAN_REACH = 0.5  # eye widths from the mesh's iris within which the scan must find eye columns
SCAN_JUMP = 0.15  # eye widths the lower outline may step from one pixel column to the next
LASH_ABOVE = 0.3  # eye widths above the mesh's upper lid where the drawn lash line may lie
SPIKE = 0.1  # eye widths an outline point may stand off the median of itself and its neighbours
TOP_SMOOTH = 0.2  # eye widths: the running median over the scanned eye's top
LASH_DARK = 0.35  # a lash line is darker than this share of the skin's lightness (Lab L)
MIDLINE = 168  # the mesh's nose bridge: the face's midline, for mirroring a found eye
MIRROR_REACH = 0.15  # eye widths past a mirrored outline where the other eye's pixels may lie
MIRROR_FILL = 0.7  # share of the mirrored outline its eye pixels must fill (frontal 0.89, turned 0.35)


@dataclass
class DrawnEye:
    """One eye's outline as drawn: 9 upper and 9 lower points corner to corner, and its iris."""

    upper: np.ndarray  # (9, 2)
    lower: np.ndarray  # (9, 2)
    iris: np.ndarray  # (2,) centre
    iris_radius: float  # across the eye
    iris_height: float  # half its height: a drawn iris is an upright ellipse


def is_cel_shaded(image: np.ndarray, lm: np.ndarray) -> bool:
    """Whether the face is drawn in flat colours with sharp lines (anime, cel-shaded cartoons)."""
    S = image.shape[0]
    face = np.zeros((S, S), np.uint8)
    cv2.fillPoly(face, [np.round(lm[list(FACE_OVAL), :2]).astype(np.int32)], 1)
    inside = face > 0
    if not inside.any():
        return False
    px = image[inside].astype(np.int64) // 2
    _, counts = np.unique((px[:, 0] << 16) | (px[:, 1] << 8) | px[:, 2], return_counts=True)
    colour_share = np.sort(counts)[-3:].sum() / len(px)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grad = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    line_share = float(np.mean(grad[inside] > SHARP_EDGE))
    return bool(colour_share > CEL_COLOUR_SHARE and line_share > CEL_LINE_SHARE)


def refit_drawn_eyes(image: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Landmarks of a cel-shaded face (is_cel_shaded) with each eye's ring and iris moved onto the
    drawn eye where it is clearly drawn larger than the mesh's; otherwise `lm` itself."""
    lab, skin = lab_and_skin(image, lm)
    mask = eye_pixels(lab, skin, eye_width(lm, 0))
    dark = lab[..., 0] < LASH_DARK * skin[0]
    out = lm.copy()
    found = [find_drawn_eye(mask, dark, lab, lm, eye) for eye in (0, 1)]
    for eye in (0, 1):
        if found[eye] is None and found[1 - eye] is not None:
            found[eye] = mirrored_drawn_eye(mask, lab, lm, eye, found[1 - eye])
    for eye, (up, lo) in enumerate(((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))):
        drawn = found[eye]
        if drawn is None:
            continue
        out[list(up), :2] = drawn.upper
        out[list(lo), :2] = drawn.lower
        c = 468 + 5 * eye
        out[c, :2] = drawn.iris
        r, h = drawn.iris_radius, drawn.iris_height
        for k, d in enumerate(((r, 0), (0, -h), (-r, 0), (0, h))):  # mediapipe's order of edge points
            out[c + 1 + k, :2] = drawn.iris + np.array(d, float)
    return out


def drawn_eyes_shut(image: np.ndarray, lm: np.ndarray) -> tuple[bool, bool]:
    """Whether each eye of a cel-shaded face is drawn shut (a smiling ^^ arc). mediapipe reads such
    arcs as eyes open 0.28-0.42 of their width, as open as photographed eyes; but below its iris
    centre an open drawn eye goes on (iris, white) for 0.35-0.65 eye widths, a shut one only for the
    arc's stroke (0.07-0.21). An eye refitted to a drawn one (rig_basis.is_drawn_eye) is open."""
    lab, skin = lab_and_skin(image, lm)
    down = FaceFrame.from_landmarks(lm).down
    shut = []
    for eye in (0, 1):
        ew = eye_width(lm, eye)
        mask = eye_pixels(lab, skin, ew)
        centre = lm[468 + 5 * eye, :2].astype(float)
        last, gap, n = 0, 0, 0
        while n < SHUT_RUN * ew and gap <= IRIS_GAP * ew:
            n += 1
            if _on(mask, centre + n * down):
                last, gap = n, 0
            else:
                gap += 1
        shut.append(last < SHUT_RUN * ew)
    return shut[0], shut[1]


def lab_and_skin(image: np.ndarray, lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The picture in Lab (8-bit scale, float32) and the skin's Lab colour: the median over
    SKIN_POINTS."""
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    S = image.shape[0]
    pts = np.clip(np.round(lm[list(SKIN_POINTS), :2]).astype(int), 0, S - 1)
    return lab, np.median(lab[pts[:, 1], pts[:, 0]], 0)


def eye_pixels(lab: np.ndarray, skin: np.ndarray, eye_w: float) -> np.ndarray:
    """Pixels that are not skin (lash line, iris, eye white, but also hair and outlines), with
    small enclosed holes (the highlights in an iris) filled."""
    far = np.linalg.norm(lab - skin, axis=-1) > EYE_DELTA_E
    # ... and dark or strongly coloured: skin in the fringe's shadow is neither
    chroma = np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)
    far &= (lab[..., 0] < EYE_DARK * skin[0]) | (chroma > EYE_CHROMA)
    if skin[2] - 128 >= MIN_SKIN_WARMTH:
        far |= (lab[..., 2] - 128 < WHITE_WARMTH * (skin[2] - 128)) & (lab[..., 0] > 0.75 * skin[0])
    holes = (~far).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    fill = stats[:, cv2.CC_STAT_AREA] < HIGHLIGHT_AREA * eye_w**2
    fill[0] = False  # label 0 is the "far" pixels themselves
    return far | fill[labels]


def find_drawn_eye(
    mask: np.ndarray, dark: np.ndarray, lab: np.ndarray, lm: np.ndarray, eye: int
) -> DrawnEye | None:
    """The drawn eye as the blob of eye pixels around the mesh's eye (or, where that blob runs into
    hair, the eye pixels under the mesh's upper lid), its outline read column by column along the
    face's axes. `dark`: pixels dark enough to be a lash line. None when there is no such eye or
    it is no taller than the mesh's eye."""
    up, lo = ((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))[eye]
    ew = eye_width(lm, eye)
    U, L = lm[list(up), :2].astype(float), lm[list(lo), :2].astype(float)
    face = FaceFrame.from_landmarks(lm)  # the mesh's eye may sit tilted inside the drawn one
    axes = np.stack([face.right, face.down])  # rows: across, down
    centre = (U.sum(0) + L.sum(0)) / (len(U) + len(L))
    blob = _blob_around(mask, [lm[468 + 5 * eye, :2], centre], centre, axes, ew)
    if blob is None:  # it ran into hair (a fringe touching the eye, side hair), or it is no eye
        iris_a = float((lm[468 + 5 * eye, :2] - centre) @ axes[0]) / ew
        blob = _scan_below_lid(mask, dark, (U - centre) @ axes.T / ew, iris_a, centre, axes, ew)
    if blob is None:
        return None
    upper, lower = (centre + ew * ab @ axes for ab in blob_outline(blob, ew))
    down = axes[1]
    if float(np.max((lower - upper) @ down)) < MIN_GROWTH * float(np.max((L - U) @ down)):
        return None
    return _with_iris(upper, lower, U, lm[468 + 5 * eye, :2].astype(float), lab, axes, ew)


def _with_iris(
    upper: np.ndarray, lower: np.ndarray, mesh_upper: np.ndarray, iris: np.ndarray, lab, axes, ew
) -> DrawnEye:
    """A drawn eye from its outline (turned to run corner to corner as the mesh's upper lid
    `mesh_upper` does) and a first guess of its iris centre: the guess moved to the outline's
    mid-height where it opens most, then the iris measured across and down."""
    if (upper[-1] - upper[0]) @ (mesh_upper[-1] - mesh_upper[0]) < 0:
        upper, lower = upper[::-1], lower[::-1]
    down = axes[1]
    opening = (lower - upper) @ down
    k = int(np.argmax(opening))
    iris = iris + down * (((upper[k] + lower[k]) / 2 - iris) @ down)  # mid-height of the drawn eye
    iris, radius = _iris_extent(lab, iris, axes[0], ew, 0.5 * opening.max())
    iris, height = _iris_extent(lab, iris, down, ew, 0.5 * opening.max())
    return DrawnEye(upper, lower, iris, radius, max(height, radius))


def mirrored_drawn_eye(mask: np.ndarray, lab: np.ndarray, lm: np.ndarray, eye: int, other: DrawnEye):
    """The drawn eye that neither search found (its outer corner runs smoothly into the side hair,
    or mediapipe put its eye beside the drawn one: Sylvie "surprised"), from the eye found on the
    other side mirrored across the face's midline (through the nose bridge, across the face's
    `right` axis): the eye pixels within MIRROR_REACH eye widths of the mirrored outline. Only where
    they fill over MIRROR_FILL of it: a face turned aside draws its eyes apart from mirror images."""
    S = mask.shape[0]
    face = FaceFrame.from_landmarks(lm)
    c, r = lm[MIDLINE, :2].astype(float), face.right

    def mirror(p: np.ndarray) -> np.ndarray:
        return p - 2 * ((p - c) @ r)[:, None] * r

    upper, lower = mirror(other.upper), mirror(other.lower)
    ew = float(np.linalg.norm(upper[-1] - upper[0]))
    inside = np.zeros((S, S), np.uint8)
    cv2.fillPoly(inside, [np.round(np.concatenate([upper, lower[::-1]])).astype(np.int32)], 1)
    k = max(1, int(round(MIRROR_REACH * ew)))
    near = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1,) * 2)) > 0
    n, labels = cv2.connectedComponents((mask & near).astype(np.uint8), connectivity=8)
    overlap = np.bincount(labels[inside > 0], minlength=n)
    overlap[0] = 0
    if overlap.max() < MIRROR_FILL * inside.sum():
        return None
    ys, xs = np.nonzero(labels == overlap.argmax())
    axes = np.stack([face.right, face.down])
    centre = (upper.sum(0) + lower.sum(0)) / (len(upper) + len(lower))
    ab = (np.stack([xs, ys], 1) + 0.5 - centre) @ axes.T / ew
    up_ab, lo_ab = blob_outline(ab, ew)
    new_upper, new_lower = (centre + ew * x @ axes for x in (up_ab, lo_ab))
    mesh_upper = lm[list((EYE_R_UP, EYE_L_UP)[eye]), :2]
    return _with_iris(new_upper, new_lower, mesh_upper, mirror(other.iris[None])[0], lab, axes, ew)


def _blob_around(mask, seeds, centre, axes, ew) -> np.ndarray | None:
    """(n, 2) face-axis coordinates, in eye widths from `centre`, of the eye-pixel blob holding
    one of `seeds` inside the search box, after an opening that cuts strokes thinner than about
    2 x STROKE (a glasses frame). None when no seed is on a blob or the blob reaches the box's edge
    (it ran into hair, a brow or the face's outline)."""
    (a0, a1), (b0, b1) = BOX_ACROSS, BOX_DOWN
    corners = np.array(
        [centre + ew * np.array([a, b]) @ axes for a, b in ((a0, b0), (a1, b0), (a1, b1), (a0, b1))]
    )
    box = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(box, [np.round(corners).astype(np.int32)], 1)
    r = max(1, int(round(STROKE * ew)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)
    blob = cv2.morphologyEx((mask & (box > 0)).astype(np.uint8), cv2.MORPH_OPEN, kernel)
    _, labels = cv2.connectedComponents(blob, connectivity=8)
    ids = [labels[int(round(y)), int(round(x))] for x, y in seeds if _on(blob > 0, np.array([x, y]))]
    if not ids:
        return None
    ys, xs = np.nonzero(labels == ids[0])
    ab = (np.stack([xs, ys], 1) + 0.5 - centre) @ axes.T / ew
    margin = 1.5 / ew
    lo, hi = ab.min(0), ab.max(0)
    if lo[0] <= a0 + margin or hi[0] >= a1 - margin or lo[1] <= b0 + margin or hi[1] >= b1 - margin:
        return None
    return ab


def _scan_below_lid(mask, dark, upper_ab, iris_a, centre, axes, ew) -> np.ndarray | None:
    """The drawn eye under the mesh's upper lid, for an eye whose blob runs into the fringe or the
    side hair: column by column across the face, eye pixels from the lid line (mediapipe puts its
    upper lid near the drawn lash line; it is the lower lid it puts far too high) down to the first
    skin, topped by the darkest stroke (the lash line) just above the lid, grown from the tallest
    column near the mesh's iris (`iris_a`, face units from `centre`). The eye ends at columns
    that run on down (side hair, the face's outline) or whose lower end jumps. Same form as
    _blob_around."""
    (a0, a1), b1 = BOX_ACROSS, SCAN_DEPTH
    order = np.argsort(upper_ab[:, 0])
    lid_a, lid_b = upper_ab[order, 0], upper_ab[order, 1]
    step = 1.0 / ew  # one pixel
    start = int(round(SCAN_START / step))

    def sample(img, a, bs):
        pts = np.round(centre + ew * np.stack([np.full_like(bs, a), bs], 1) @ axes).astype(int)
        inside = (pts[:, 0] >= 0) & (pts[:, 0] < img.shape[1]) & (pts[:, 1] >= 0) & (pts[:, 1] < img.shape[0])
        out = np.zeros(len(bs), bool)
        out[inside] = img[pts[inside, 1], pts[inside, 0]]
        return out

    def column(a: float) -> tuple[float, float] | None:
        lid = float(np.interp(a, lid_a, lid_b))
        bs = lid + step * np.arange(int((b1 - lid) / step))
        hit = sample(mask, a, bs)
        if not hit[:start].any():
            return None
        miss = np.flatnonzero(~hit[start:])
        if len(miss) == 0:
            return None  # eye pixels all the way down: hair or the face's outline
        bottom = float(bs[start + miss[0] - 1]) if miss[0] > 0 else lid
        # the top: the drawn lash line, the darkest stroke, may lie a little above the mesh's lid
        up = lid - step * np.arange(int(LASH_ABOVE / step), -1, -1)
        lash = np.flatnonzero(sample(dark, a, up))
        return (float(up[lash[0]]) if len(lash) else lid), bottom

    cols = np.arange(a0 + step, a1 - step, step)
    spans = [column(a) for a in cols]
    # start from the tallest eye column near the mesh's iris (the mesh's eye may sit to one side of
    # the drawn one, over its lash line only)
    found = [i for i, sp in enumerate(spans) if sp is not None and abs(cols[i] - iris_a) <= SCAN_REACH]
    if not found:
        return None
    mid = max(found, key=lambda i: spans[i][1] - spans[i][0])

    def same_eye(i: int, j: int) -> bool:  # the lower outline steps, not jumps (hair, outline)
        return spans[j] is not None and abs(spans[j][1] - spans[i][1]) <= SCAN_JUMP

    lo_i, hi_i = mid, mid
    while lo_i > 0 and same_eye(lo_i, lo_i - 1):
        lo_i -= 1
    while hi_i < len(cols) - 1 and same_eye(hi_i, hi_i + 1):
        hi_i += 1
    if lo_i == 0 or hi_i == len(cols) - 1:
        return None  # no end found: not an eye
    # a hair strand's outline just above the lid can pass for the lash line in one column: the top
    # is the running median over TOP_SMOOTH eye widths
    tops = np.array([spans[i][0] for i in range(lo_i, hi_i + 1)])
    half = max(1, int(round(TOP_SMOOTH * ew / 2)))
    padded = np.pad(tops, half, mode="edge")
    tops = np.array([np.median(padded[k : k + 2 * half + 1]) for k in range(len(tops))])
    return np.array(
        [(cols[i], b) for k, i in enumerate(range(lo_i, hi_i + 1)) for b in (tops[k], spans[i][1])]
    )


def blob_outline(ab: np.ndarray, ew: float) -> tuple[np.ndarray, np.ndarray]:
    """Nine upper and nine lower outline points (face units) of a blob, corner to corner: the top
    and bottom of thin columns across it, its corners at mid-height of its end columns."""
    a, b = ab[:, 0], ab[:, 1]
    upper, lower = [], []
    for k, c in enumerate(np.linspace(a.min(), a.max(), 9)):
        end = k in (0, 8)
        col = b[np.abs(a - c) <= (0.02 if end else 0.04) + 0.5 / ew]
        upper.append((c, float(np.median(col)) if end else float(col.min())))
        lower.append((c, float(np.median(col)) if end else float(col.max())))
    upper, lower = np.array(upper), np.array(lower)
    for side in (upper, lower):  # one point far off its neighbours is a hair strand or a lash tip
        for k in range(2, 7):
            mid = float(np.median(side[k - 1 : k + 2, 1]))
            if abs(side[k, 1] - mid) > SPIKE:
                side[k, 1] = mid
    return upper, lower


def _iris_extent(lab, centre, axis, ew, limit) -> tuple[np.ndarray, float]:
    """The drawn iris's extent along `axis` through `centre` (its new centre and half-length):
    dark or coloured pixels (not white, which is lighter than L 200 with little colour), crossing
    highlights up to IRIS_GAP wide."""
    S = lab.shape[0]

    def iris_at(p):
        x, y = int(round(p[0])), int(round(p[1]))
        if not (0 <= x < S and 0 <= y < S):
            return False
        L, a, b = lab[y, x]
        return L < 200 or np.hypot(a - 128, b - 128) > 25

    reach = []
    for sign in (-1.0, 1.0):
        last, gap, n = 0, 0, 0
        while n < limit and gap <= IRIS_GAP * ew:
            n += 1
            if iris_at(centre + sign * n * axis):
                last, gap = n, 0
            else:
                gap += 1
        reach.append(last)
    radius = max(0.5 * (reach[0] + reach[1]), 0.2 * ew)
    return centre + axis * 0.5 * (reach[1] - reach[0]), float(radius)


def _on(mask: np.ndarray, p: np.ndarray) -> bool:
    x, y = int(round(p[0])), int(round(p[1]))
    return 0 <= x < mask.shape[1] and 0 <= y < mask.shape[0] and bool(mask[y, x])
