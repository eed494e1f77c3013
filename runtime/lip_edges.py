"""The inner edges of a portrait's parted lips, found in its pixels (numpy and OpenCV only).

The face mesh places its inner lip line inside the opening of a mouth that shows its teeth: on a
broad smile its points sit on the teeth or in the dark corners. Closing the mouth from those points
(mouth_close.py) would keep whatever lay between them and the real edge (a row of teeth, the dark
corners) between the shut lips. Here each inner lip point of a parted mouth is moved out, along the
face's down axis, over the pixels that are not lip (teeth: pale, less red for their lightness than
the lips; the cavity: dark and less red) to the lip's real edge (docs/generator.md, "Shut lips over
a smile's teeth").
"""

from __future__ import annotations

import cv2
import numpy as np

from .face_anatomy import LIPS_LI, LIPS_LO, LIPS_UI, LIPS_UO, FaceFrame

PARTED = 0.01  # face heights: mesh gaps below this are shut lips, left alone
STEP = 0.5  # pixels between samples along a column
MAX_SHARE = 0.6  # an edge moves at most this share of the way to the lip's outer edge
GAP_SAMPLES = 2  # lip-coloured samples in a row that end the opening (a lone one is noise)
RED_LIPS = 8.0  # Lab a* (8-bit, less 128) from which the lips are red enough to tell teeth by colour


def opening_mask(lab: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """Which Lab samples (..., 3) are not lip but the mouth's opening: dark and less red than the
    lips (the cavity, the shadow under the upper lip; a lipsticked lip in shade is dark but as red)
    or teeth (teeth_mask). `lip`: the lips' Lab colour (OpenCV's 8-bit Lab)."""
    dark = lab[..., 0] < 0.55 * float(lip[0])
    if float(lip[1]) - 128.0 >= RED_LIPS:
        dark &= lab[..., 1] - 128.0 < 0.6 * (float(lip[1]) - 128.0)
    return dark | teeth_mask(lab, lip)


def teeth_mask(lab: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """Which Lab samples (..., 3) are pale, under half as red for their lightness as the lips
    (teeth, even in warm light); on grey lips (a black-and-white photo, a faded painting) a quarter
    lighter than the lips."""
    L, a = lab[..., 0], lab[..., 1] - 128.0
    lip_l, lip_a = float(lip[0]), float(lip[1]) - 128.0
    if lip_a >= RED_LIPS:
        return a * lip_l < 0.5 * lip_a * np.maximum(L, 1.0)
    return L > 1.25 * lip_l


def lip_colour(lab: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """The lips' median Lab colour, between the outer and inner contours."""
    m = np.zeros(lab.shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round(lm[list(LIPS_UO + LIPS_LO[::-1]), :2]).astype(np.int32)], 1)
    cv2.fillPoly(m, [np.round(lm[list(LIPS_UI + LIPS_LI[::-1]), :2]).astype(np.int32)], 0)
    px = lab[m.astype(bool)]
    return np.median(px, 0) if len(px) >= 8 else np.array([128.0, 150.0, 128.0])


def parted_lip_edges(img: np.ndarray, lm: np.ndarray, face: FaceFrame) -> np.ndarray:
    """Landmarks (478, 3) with a parted mouth's inner lip points (corners excepted) moved out to
    the lips' real edges; shut mouths come back unchanged."""
    ui, li = np.array(LIPS_UI[1:-1]), np.array(LIPS_LI[1:-1])
    gap = (lm[li, :2] - lm[ui, :2]) @ face.down
    if gap.max() < PARTED * face.height:
        return lm
    origin, crop = around_lips(img, lm, face)
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
    at = lm[:, :2] - origin  # (in the crop)
    lip = lip_colour(lab, at)
    out = lm.copy()
    moves = np.zeros((2, len(ui)))
    for side, (inner, outer, sign) in enumerate(((LIPS_UI, LIPS_UO, -1.0), (LIPS_LI, LIPS_LO, 1.0))):
        for k in range(1, len(inner) - 1):
            p, o = at[inner[k]], at[outer[k]]
            reach = MAX_SHARE * max(0.0, float((o - p) @ face.down) * sign)
            moves[side, k - 1] = _opening_run(lab, lip, p, sign * face.down, reach)
    # a lone column moved far off its neighbours is a stray pixel run (a glint, a stubble shadow)
    padded = np.pad(moves, ((0, 0), (1, 1)), mode="edge")
    near = np.median(np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]]), 0)
    moves = np.minimum(moves, near + 1.0)
    for side, (inner, sign) in enumerate(((LIPS_UI, -1.0), (LIPS_LI, 1.0))):
        for k in range(1, len(inner) - 1):
            out[inner[k], :2] = lm[inner[k], :2] + sign * moves[side, k - 1] * face.down
    return out


def around_lips(img: np.ndarray, lm: np.ndarray, face: FaceFrame) -> tuple[np.ndarray, np.ndarray]:
    """The part of the portrait around the lips (their outline's box grown by a tenth of the face
    height): its top-left corner (2,) and the pixels (a view)."""
    outline = lm[list(LIPS_UO + LIPS_LO), :2]
    grow = 0.1 * face.height
    h, w = img.shape[:2]
    x0, y0 = np.clip(np.floor(outline.min(0) - grow), 0, [w - 1, h - 1]).astype(int)
    x1, y1 = np.clip(np.ceil(outline.max(0) + grow), [x0 + 1, y0 + 1], [w, h]).astype(int)
    return np.array([x0, y0], np.float64), np.ascontiguousarray(img[y0:y1, x0:x1])


def _opening_run(
    lab: np.ndarray, lip: np.ndarray, start: np.ndarray, direction: np.ndarray, reach: float
) -> float:
    """How far (pixels) from `start` along `direction` the opening goes on, up to `reach`: 0 where
    the start is already on the lip."""
    t = np.arange(0.0, reach + STEP, STEP)
    if len(t) < 2:
        return 0.0
    pts = (start[None] + t[:, None] * direction[None]).astype(np.float32)
    samples = cv2.remap(
        lab, pts[:, 0:1] - 0.5, pts[:, 1:2] - 0.5, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    is_open = opening_mask(samples[:, 0], lip)
    if not is_open[0]:
        return 0.0
    run_lip = 0
    last = 0
    for i, o in enumerate(is_open):
        if o:
            last, run_lip = i, 0
        else:
            run_lip += 1
            if run_lip >= GAP_SAMPLES:
                break
    return float(t[last] + 0.5 * STEP)
