"""A drawn (anime) eye's shut lid: the portrait around the eye with the eye painted over in the skin
beside it, as an animator draws the closed frame of a blink.

The generator's lid layer used to cover a drawn eye with one flat skin colour (the cheeks') up to
the eye's outline: the patch's edge showed as a polygon a few levels off the skin around the eye
(blush, shading), and the drawn lash line's ends and the white at the corners stayed outside it.
Here the eye, its lash line's ends and its outline strokes are found as the pixels unlike the skin
around the eye that touch its outline, and filled with that skin's colour; the graph shows this
patch above the closing lid's line (generator_model.py). Photos never use it.
"""

from __future__ import annotations

import cv2
import numpy as np

from .drawn_eyes import lab_and_skin
from .face_anatomy import EYE_L_LO, EYE_L_UP, EYE_R_LO, EYE_R_UP, eye_width

# Lab distance from the skin around the eye beyond which a pixel touching the eye is part of it
# (anti-aliased outline strokes included); the skin's own flat shading stays well within it.
UNLIKE_SKIN = 12.0
# Eye widths: how far past the outline the eye's strokes may reach (the lash line above the upper
# lid reaches furthest); hair further out is left alone (Sylvie's side hair touches her eye).
STROKE_REACH, LASH_REACH = 0.05, 0.15
# ... and around the corners, where the white often runs on past the outline (Eileen's): there only
# white pixels (lighter than the skin and less coloured) count, as hair may touch the eye there
# (Sylvie's side hair, Lucy's black hair)
CORNER_REACH = 0.3
THIN = 2  # pixels: strokes up to about twice this wide are not the eye's (a glasses frame)
# Eye widths from the outline: the ring where the skin around the eye is read.
RING = (0.15, 0.45)
SKIN_NEAR = 25.0  # a ring pixel within this Lab distance of the face's skin is skin (not hair)
MARGIN = 0.25  # eye widths of portrait kept around the eye in the patch


def shut_lid_patches(
    image: np.ndarray, lm: np.ndarray, drawn: tuple[bool, bool]
) -> tuple[np.ndarray, np.ndarray]:
    """Per eye, the shut lid as RGBA at twice the portrait's resolution (the generator's texture
    scale; alpha = where the eye was painted over) and the patch's top-left corner in portrait
    pixels. Eyes that are not drawn get an empty patch. Returns ((2, 4, H, W), (2, 2))."""
    S = image.shape[0]
    if not any(drawn):
        return np.zeros((2, 4, 2, 2), np.float32), np.zeros((2, 2), np.float32)
    lab, skin_lab = lab_and_skin(image, lm)  # the picture in Lab and the face's skin
    chroma = np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)
    found = []  # (eye, top-left corner in portrait pixels, RGBA patch at twice the resolution)
    for e, (up, lo) in enumerate(((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))):
        if not drawn[e]:
            continue
        ew = eye_width(lm, e)
        upper = lm[list(up), :2]
        outline = _fill(np.concatenate([upper, lm[list(lo), :2][::-1]]), S)
        ring = _grow(outline, RING[1] * ew) & ~_grow(outline, RING[0] * ew)
        around = lab[ring]
        near = np.linalg.norm(around - skin_lab, axis=1) < SKIN_NEAR
        skin = np.median(around[near], 0) if near.sum() >= 20 else np.asarray(skin_lab, np.float32)
        lash_band = np.zeros((S, S), np.uint8)  # within LASH_REACH of the upper lid's curve
        cv2.polylines(
            lash_band, [np.round(upper).astype(np.int32)], False, 1, 2 * int(round(LASH_REACH * ew)) + 1
        )
        reach = _grow(outline, STROKE_REACH * ew) | lash_band.astype(bool)
        corners = np.zeros((S, S), np.uint8)
        for k in (up[0], up[-1]):
            cv2.circle(
                corners, tuple(int(v) for v in np.round(lm[k, :2])), int(round(CORNER_REACH * ew)), 1, -1
            )
        unlike = np.linalg.norm(lab - skin, axis=-1) > UNLIKE_SKIN
        white = (lab[..., 0] >= 0.85 * skin[0]) & (chroma < 0.5 * np.hypot(skin[1] - 128, skin[2] - 128))
        near_corner = corners.astype(bool)
        # thin strokes that only pass by (a glasses frame, hair tips) stay: they survive no opening
        strokes = cv2.morphologyEx((unlike & reach).astype(np.uint8), cv2.MORPH_OPEN, _disk(THIN)).astype(
            bool
        )
        eye = _touching(outline | strokes | (white & near_corner), outline)
        eye |= unlike & _grow(eye, 2) & reach  # the strokes' anti-aliased edges
        eye = cv2.morphologyEx(eye.astype(np.uint8), cv2.MORPH_CLOSE, _disk(2)).astype(bool)
        alpha = cv2.GaussianBlur(_grow(eye, 1).astype(np.float32), (5, 5), 1.0)
        ys, xs = np.nonzero(alpha > 0)
        m = int(np.ceil(MARGIN * ew))
        x0, y0 = max(0, xs.min() - m), max(0, ys.min() - m)
        x1, y1 = min(S, xs.max() + m + 1), min(S, ys.max() + m + 1)
        rgb = cv2.cvtColor(skin.reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_LAB2RGB).reshape(3) / 255.0
        a = alpha[y0:y1, x0:x1, None]
        painted = np.concatenate([np.broadcast_to(rgb, a.shape[:2] + (3,)), a], -1).astype(np.float32)
        found.append((e, (x0, y0), cv2.resize(painted, (2 * (x1 - x0), 2 * (y1 - y0)))))
    h = max(p.shape[0] for _, _, p in found)
    w = max(p.shape[1] for _, _, p in found)
    out = np.zeros((2, 4, h, w), np.float32)
    origins = np.zeros((2, 2), np.float32)
    for e, origin, p in found:
        out[e, :, : p.shape[0], : p.shape[1]] = np.clip(p, 0, 1).transpose(2, 0, 1)
        origins[e] = origin
    return out, origins


def _disk(r: float) -> np.ndarray:
    k = 2 * int(round(r)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def _fill(poly: np.ndarray, S: int) -> np.ndarray:
    m = np.zeros((S, S), np.uint8)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1)
    return m.astype(bool)


def _grow(mask: np.ndarray, r: float) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), _disk(r)).astype(bool)


def _touching(mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The parts of `mask` connected to `seed`."""
    n, cc = cv2.connectedComponents(mask.astype(np.uint8))
    keep = np.unique(cc[seed & mask])
    return np.isin(cc, keep[keep > 0])
