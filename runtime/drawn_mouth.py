"""Drawn (anime) mouth: move the mesh's lower face so that its lips sit on the mouth as drawn.

Anime faces are short below the eyes. On Ren'Py's Eileen mediapipe puts its human-proportioned
mesh with the nose tip on her drawn mouth and the lips near her chin, so a talking Eileen opened
her chin while the drawn smile stayed put. On cel-shaded faces (drawn_eyes.is_cel_shaded) the drawn
mouth is a short stroke, darker than the flat skin, near the face's midline between the nose and
the chin; where one lies clearly above the mesh's lips, the mesh between the eyes and the chin is
squeezed up (eye line and chin fixed) until its lips sit on it.
"""

from __future__ import annotations

import cv2
import numpy as np

from .drawn_eyes import lab_and_skin
from .face_anatomy import EYE_L_LO, EYE_R_LO, FaceFrame

STROKE_DARKER = 8.0  # Lab L below the skin's: a drawn line (Eileen's smile is a faint 12 below)
HALF_WIDTH = 0.25  # the search band's half-width, in iris distances from the midline
MIN_WIDTH = 0.1  # a mouth stroke spans at least this much (iris distances); nose marks are shorter
ABOVE_NOSE = 0.05  # face heights above the mesh's nose tip where the search starts
# face heights: a drawn mouth closer than this to the mesh's lips is left alone (Eileen's mouth sits
# 0.22-0.26 above them; an open grin is read at its upper lip, 0.09 above)
MIN_SHIFT = 0.12
CHIN_MARGIN = 0.06  # face heights above the mesh's chin where the search stops (the chin outline)


def refit_drawn_mouth(image: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Landmarks of a cel-shaded face (is_cel_shaded) with the lower face moved up onto the drawn
    mouth where it is drawn clearly above the mesh's lips; otherwise `lm` itself."""
    face = FaceFrame.from_landmarks(lm)
    drawn = find_drawn_mouth(image, lm, face)
    if drawn is None or drawn > -MIN_SHIFT:
        return lm
    return squeeze_lower_face(lm, face, drawn)


def find_drawn_mouth(image: np.ndarray, lm: np.ndarray, face: FaceFrame) -> float | None:
    """Where the drawn mouth is, in face heights below the mesh's lips (negative = above), or None:
    the widest stroke darker than the skin in a band along the face's midline from just above the
    mesh's nose tip to just above its chin."""
    lab, skin = lab_and_skin(image, lm)
    skin_l = float(skin[0])
    S = image.shape[0]
    b_top = float(face.local(lm[1])[1]) - ABOVE_NOSE
    b_bottom = float(face.local(lm[152])[1]) - CHIN_MARGIN
    if b_bottom <= b_top:
        return None
    # the band resampled on the face's axes: rows = down (one pixel apart), columns = across
    rows = np.arange(b_top * face.height, b_bottom * face.height)
    cols = np.arange(-HALF_WIDTH * face.ipd, HALF_WIDTH * face.ipd)
    grid = face.mouth + rows[:, None, None] * face.down + cols[None, :, None] * face.right
    xs = np.clip(np.round(grid[..., 0]).astype(int), 0, S - 1)
    ys = np.clip(np.round(grid[..., 1]).astype(int), 0, S - 1)
    stroke = (lab[ys, xs, 0] < skin_l - STROKE_DARKER).astype(np.uint8)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(stroke, connectivity=8)
    if n <= 1:
        return None
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    best = 1 + int(np.argmax(widths))
    if widths[best - 1] < MIN_WIDTH * face.ipd:
        return None
    return float(b_top + centroids[best][1] / face.height)


def squeeze_lower_face(lm: np.ndarray, face: FaceFrame, drawn: float) -> np.ndarray:
    """Move every landmark between the eyes and the chin along the face's down axis, piecewise
    linearly: the eyes (down to their lower lids) and the chin stay, the mesh's lips land at
    `drawn` (face heights)."""
    b = face.local(lm)[1]
    b_eyes = float(b[list(EYE_R_LO + EYE_L_LO)].max())
    b_chin = float(b[152])
    if not b_eyes + 0.1 < drawn < b_chin - 0.05:  # not a mouth between the eyes and the chin
        return lm
    new_b = np.where(
        b <= 0,
        b_eyes + (b - b_eyes) * (drawn - b_eyes) / (0.0 - b_eyes),
        drawn + b * (b_chin - drawn) / b_chin,
    )
    moving = (b > b_eyes) & (b < b_chin)
    out = lm.copy()
    out[moving, :2] += ((new_b - b)[moving] * face.height)[:, None] * face.down
    return out
