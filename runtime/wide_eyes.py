"""Eyes drawn wider than mediapipe's mesh on textured faces (3D cartoons): refit the eye's ring.

mediapipe puts a human-proportioned eye inside a 3D cartoon's large one: on the dev set's 3D boy
its lower lid runs 0.05-0.1 eye widths above the drawn lower lid and its outer corners short of
the drawn ones. A blink then closed that inner ring only, leaving a band of eye white under the
shut lid and the outline around it (and the seam took the iris's blue as the lash colour). Such
eyes show white that goes on just under the mesh's lower lid; a photographed eye shows its lower
lid's margin there (skin, lashes, a waterline), and a pale under-eye highlight sits further down.
Cel-shaded art has its own search (drawn_eyes.py); this one only moves the lower lid and the
corners onto the opening of white and iris under the mesh's upper lid, which sits on the drawn
lash line's inner edge as it does on photos.
"""

from __future__ import annotations

import cv2
import numpy as np

from .drawn_eyes import blob_outline, lab_and_skin
from .face_anatomy import EYE_L_LO, EYE_L_UP, EYE_R_LO, EYE_R_UP, FaceFrame, eye_width

# Eye white: lighter than the skin with under WHITE_CHROMA of its colour (Lab chroma); in the shade
# of the eye's corners, SHADED_WHITE of its lightness with under SHADED_CHROMA of its colour.
WHITE_CHROMA = 0.6
SHADED_WHITE, SHADED_CHROMA = 0.8, 0.5
# The test, per eye: the band BAND eye widths under the mesh's lower lid (its middle five points)
# is at least BAND_WHITE white, and the white under the upper lid's line past the mesh's ring (within
# NEAR eye widths of it) covers at least PAST_WHITE of the ring's area. The 3D boy: band 0.39 and
# 0.57, past 0.15 and 0.09; the nine photos and paintings 0-0.06; 45 frames of the eval-dev
# talking-head videos at most 0.24 (a pale under-eye highlight on one eye of one frame; 0.15 on
# the others). Both eyes must pass: a character's eyes are drawn alike.
BAND = (0.02, 0.07)
BAND_WHITE = 0.3
PAST_WHITE = 0.06
NEAR = 0.3
CLOSE = 0.03  # eye widths: gaps in the white (the iris's rim, a lash) closed before the outline


def _white(image: np.ndarray, lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eye-white pixels, lit and shaded (the second includes the first)."""
    lab, skin = lab_and_skin(image, lm)
    chroma = np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)
    skin_chroma = float(np.hypot(skin[1] - 128, skin[2] - 128))
    lit = (lab[..., 0] > skin[0]) & (chroma < WHITE_CHROMA * skin_chroma)
    shaded = (lab[..., 0] > SHADED_WHITE * skin[0]) & (chroma < SHADED_CHROMA * skin_chroma)
    return lit, lit | shaded


def _eye_regions(lm: np.ndarray, eye: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mesh's eye ring, the pixels under its upper lid's line (carried on past the corners) and
    the ring's neighbourhood, as (S, S) masks."""
    up, lo = ((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))[eye]
    U, L = lm[list(up), :2].astype(float), lm[list(lo), :2].astype(float)
    ew = eye_width(lm, eye)
    face = FaceFrame.from_landmarks(lm)
    ring = np.zeros((size, size), np.uint8)
    cv2.fillPoly(ring, [np.round(np.concatenate([U, L[::-1]])).astype(np.int32)], 1)
    along = np.sign((U[-1] - U[0]) @ face.right) * face.right
    ends = [U[0] - ew * along, U[-1] + ew * along]
    poly = np.concatenate([[ends[0]], U, [ends[1]], [ends[1] + ew * face.down], [ends[0] + ew * face.down]])
    under = np.zeros((size, size), np.uint8)
    cv2.fillPoly(under, [np.round(poly).astype(np.int32)], 1)
    k = int(NEAR * ew) | 1
    near = cv2.dilate(ring, np.ones((k, k), np.uint8)) > 0
    return ring > 0, under > 0, near


def _band_white(lit: np.ndarray, lm: np.ndarray, eye: int) -> float:
    """Share of eye-white pixels in the band just under the mesh's lower lid (its middle)."""
    lo = (EYE_R_LO, EYE_L_LO)[eye]
    L = lm[list(lo[2:-2]), :2].astype(float)
    seg = np.r_[0, np.cumsum(np.linalg.norm(np.diff(L, axis=0), axis=1))]
    t = np.linspace(0, seg[-1], 40)
    pts = np.stack([np.interp(t, seg, L[:, k]) for k in (0, 1)], -1)
    down, ew, S = FaceFrame.from_landmarks(lm).down, eye_width(lm, eye), lit.shape[0]
    hits = [
        lit[q[:, 1], q[:, 0]]
        for d in np.linspace(*BAND, 6)
        for q in [np.clip(np.round(pts + d * ew * down).astype(int), 0, S - 1)]
    ]
    return float(np.mean(hits))


def _wider(lit: np.ndarray, lm: np.ndarray, regions: list) -> bool:
    """Whether both eyes are drawn wider than the mesh's (module docstring)."""
    for eye, (ring, under, near) in enumerate(regions):
        past = float((lit & near & under & ~ring).sum()) / max(int(ring.sum()), 1)
        if past < PAST_WHITE or _band_white(lit, lm, eye) < BAND_WHITE:
            return False
    return True


def refit_wide_eyes(image: np.ndarray, lm: np.ndarray) -> np.ndarray | None:
    """Landmarks with each eye's ring moved onto the opening of white and iris under the mesh's
    upper lid, or None where the eyes are not drawn wider than the mesh's (the gate and the refit
    share the eye-white masks and the eye regions); the irises are the mesh's."""
    S = image.shape[0]
    lit, white = _white(image, lm)
    regions = [_eye_regions(lm, eye, S) for eye in (0, 1)]
    if not _wider(lit, lm, regions):
        return None
    face = FaceFrame.from_landmarks(lm)
    axes = np.stack([face.right, face.down])
    out = lm.copy()
    for eye, (up, lo) in enumerate(((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))):
        ring, under, near = regions[eye]
        ew = eye_width(lm, eye)
        c = lm[468 + 5 * eye, :2]
        iris = np.zeros((S, S), np.uint8)
        r = float(np.linalg.norm(lm[469 + 5 * eye, :2] - c))
        cv2.circle(iris, (int(round(c[0])), int(round(c[1]))), int(round(r)), 1, -1)
        opening = ((white | ring | (iris > 0)) & under & near).astype(np.uint8)
        k = max(1, int(round(CLOSE * ew)))
        opening = cv2.morphologyEx(
            opening, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1,) * 2)
        )
        _, labels = cv2.connectedComponents(opening, connectivity=8)
        ring_pts = np.concatenate([lm[list(up), :2], lm[list(lo), :2]]).astype(float)
        centre = ring_pts.mean(0)
        cx, cy = np.clip(np.round(centre).astype(int), 0, S - 1)
        if labels[cy, cx] == 0:  # the ring's middle is not in the opening (a squint): keep the mesh's
            continue
        ys, xs = np.nonzero(labels == labels[cy, cx])
        ab = (np.stack([xs, ys], 1) + 0.5 - centre) @ axes.T / ew
        upper, lower = (centre + ew * q @ axes for q in blob_outline(ab, ew))
        mesh_up = lm[list(up), :2]
        if (upper[-1] - upper[0]) @ (mesh_up[-1] - mesh_up[0]) < 0:  # run corner to corner as the mesh's
            upper, lower = upper[::-1], lower[::-1]
        out[list(up), :2] = upper
        out[list(lo), :2] = lower
    return out
