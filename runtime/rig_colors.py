"""The colours of the generator's drawn layers, measured once per avatar in the portrait itself.

The graph draws what the portrait may not show (an open mouth, a shut lid); taking the colours from
the portrait keeps those layers in its palette. rig["colors"] holds them in COLOR_SLOTS order.
"""

from __future__ import annotations

import cv2
import numpy as np

from .face_anatomy import (
    EYE_L_LO,
    EYE_L_UP,
    EYE_R_LO,
    EYE_R_UP,
    LIPS_LI,
    LIPS_LO,
    LIPS_UI,
    LIPS_UO,
    FaceFrame,
    eye_width,
    iris_radius,
)

# Colour slots in rig["colors"] (RGB 0..1), all taken from the portrait itself.
COLOR_SLOTS = ("lip", "cavity", "teeth", "tongue", "sclera_r", "sclera_l", "skin", "lash", "lid")
# Teeth are a pale version of the skin's colour, as bright as the skin: near-white under the same
# light, so they stay in the portrait's palette (a painting's varnish, a warm print). The eye whites
# were the first source, but small eyes, glasses or a squint put lid skin in that sample (Grace
# Hopper's teeth came out salmon like gums), and a neutral grey beside strongly tinted skin reads
# as blue. TEETH_TINT is the share of the skin's tint they keep. TEETH_LIGHT: how much brighter
# than the skin (or the eye whites) they are. Real talkers' teeth (the brightest 15% inside the
# lips, dev videos) are 1.41 and 1.46 times their cheeks' Lab lightness; taken only as bright as
# the skin, the same two speakers' rendered teeth read 1.17 and 1.06, grey beside warm skin. At
# 1.25 they read 1.38 and 1.32 (at 1.4, 1.45 and 1.45, but dlib then read the grimace's jaw sweep
# at r 0.82).
TEETH_TINT, TEETH_MAX_LUM, TEETH_LIGHT = 0.35, 0.95, 1.25
# Cel art draws an open mouth as a deep red fill with a pink tongue; as multiples of the skin
# colour they keep a drawing's palette (pale skin gives maroon and coral, darker skin darker ones).
CEL_CAVITY = np.array([0.5, 0.2, 0.22], np.float32)
CEL_TONGUE = np.array([0.95, 0.55, 0.55], np.float32)
GREY_SKIN = 0.04  # skin whose channels differ by less than this is black-and-white art
# A cheek spot under half as bright as the brightest is in a cast shadow, not shading: the young man
# behind glasses (eval-dev p08) had hair shadow on one cheek, and the median of all four spots gave
# skin darker than his lips and dark grey teeth, which dlib then read as the mouth's opening.
SKIN_SHADOW = 0.5
DRAWN_WHITE_PCT = 90  # a drawn eye's white: its pixels past the mesh's iris above this percentile
WIDE_LASH_BAND = 0.12  # eye widths above a refitted (wide_eyes.py) upper lid: its drawn lash line
LID_ROW_RANGE = (0.8, 1.5)  # iris radii above the upper lid: where a shut lid's skin is read


def portrait_colors(
    img: np.ndarray,
    lm: np.ndarray,
    face: FaceFrame,
    cel: bool = False,
    drawn: tuple[bool, bool] = (False, False),
    wide: bool = False,
) -> np.ndarray:
    """Colours for the drawn layers, measured in the portrait (so a painting gets painted teeth and
    a black-and-white photo grey ones): lips, mouth cavity, teeth, tongue, scleras, skin, lashes.
    `cel` (flat-coloured art): the mouth is coloured from the skin as cel art colours it; `drawn`:
    which eyes are drawn ones (rig_basis.is_drawn_eye); `wide`: eyes refitted to a 3D cartoon's
    opening (wide_eyes.py), whose lash line lies above the ring, not inside it."""
    S = img.shape[0]
    f = img.reshape(-1, 3).astype(np.float32) / 255.0

    def poly_mask(*contours):
        m = np.zeros((S, S), np.uint8)
        for i, c in enumerate(contours):
            cv2.fillPoly(m, [np.round(lm[list(c), :2]).astype(np.int32)], 1 if i == 0 else 0)
        return m.reshape(-1).astype(bool)

    def median(mask, fallback):
        return np.median(f[mask], 0) if mask.sum() >= 8 else np.asarray(fallback, np.float32)

    spots = []  # four cheek spots; those in a cast shadow (hair, a glasses frame) are left out
    for i in (50, 280, 101, 330):
        spot = np.zeros((S, S), np.uint8)
        cv2.circle(spot, tuple(np.round(lm[i, :2]).astype(int)), max(2, int(0.05 * face.height)), 1, -1)
        spot = spot.reshape(-1).astype(bool)
        if spot.any():
            spots.append((spot, float(np.median(f[spot], 0).mean())))
    lit = max((lum for _, lum in spots), default=0.0)
    skin_mask = np.zeros(S * S, bool)
    for spot, lum in spots:
        if lum >= SKIN_SHADOW * lit:
            skin_mask |= spot
    skin = median(skin_mask, (0.8, 0.6, 0.5))
    lip = median(poly_mask(LIPS_UO + LIPS_LO[::-1], LIPS_UI + LIPS_LI[::-1]), skin * (1.0, 0.75, 0.75))
    scleras, lash, lids = [], [], []
    for eye, (up, lo) in enumerate(((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))):
        m = poly_mask(up + lo[::-1]).reshape(S, S)
        yy, xx = np.mgrid[0:S, 0:S]
        ew = eye_width(lm, eye)
        # the lid: a band of skin above the upper lid's margin
        px = _above(f, S, lm[list(up[2:-2]), :2], 2, 2 + 0.22 * ew)
        if len(px) >= 8:  # the brighter half: lashes, liner and brow hairs are not lid skin
            lum = px.mean(1)
            lids.append(np.median(px[lum >= np.median(lum)], 0))
        if wide:  # the drawn lash line above the refitted ring: inside it are white and iris only
            px = _above(f, S, lm[list(up[1:-1]), :2], -1, WIDE_LASH_BAND * ew)
            if len(px) >= 8:
                lash.append(_darkest(px))
        c = lm[468 + 5 * eye, :2]
        m &= (xx + 0.5 - c[0]) ** 2 + (yy + 0.5 - c[1]) ** 2 > (1.1 * iris_radius(lm, eye)) ** 2
        px = f[m.reshape(-1)]
        if len(px) >= 8:
            lum = px.mean(1)
            # a drawn eye's iris is larger than the mesh's: past it there is mostly iris left, and
            # the brighter 40% read it as a grey-violet white (Sylvie); its brightest tenth is white
            sc = np.median(px[lum >= np.percentile(lum, DRAWN_WHITE_PCT if drawn[eye] else 60)], 0)
            if not wide:
                lash.append(_darkest(px))
        else:
            sc = np.array([0.85, 0.83, 0.8], np.float32)
        scleras.append(np.clip(sc * 1.05, 0, 1))
    sclera_mean = np.mean(scleras, 0)
    teeth = _teeth(np.clip((0.85 * sclera_mean + 0.15 * lip) * 1.02, 0, 1), skin)
    cavity = lip * 0.3
    tongue = np.clip(lip * np.array([1.0, 0.78, 0.8]) * 0.95 + 0.04, 0, 1)
    grey = float(skin.max() - skin.min()) < GREY_SKIN  # a black-and-white portrait
    if grey and not cel:  # (a photo: no pink tongue)
        tongue = np.full(3, tongue.mean(), np.float32)
    if cel:  # drawn faces have no lip colour of their own to take (the mesh's lips are skin)
        if grey:  # black-and-white art (manga): stay grey
            cavity, tongue = skin.mean() * CEL_CAVITY.mean(), skin.mean() * CEL_TONGUE.mean()
            cavity, tongue = np.full(3, cavity, np.float32), np.full(3, tongue, np.float32)
        else:
            cavity, tongue = skin * CEL_CAVITY, skin * CEL_TONGUE
    lash_c = np.mean(lash, 0) if lash else skin * 0.3
    lid = 0.6 * np.mean(lids, 0) + 0.4 * skin if lids else skin * 0.9
    if any(drawn):
        lid = skin  # a drawn eye's lid is flat skin; the band above it is lash line and hair
    return np.stack([lip, cavity, teeth, tongue, scleras[0], scleras[1], skin, lash_c, lid])


def _above(f: np.ndarray, size: int, lid: np.ndarray, near: float, far: float) -> np.ndarray:
    """The picture's pixels (n, 3) in the band from `near` to `far` pixels above a run of lid
    points (image rows; `f` is the picture flattened to (size * size, 3))."""
    band = np.zeros((size, size), np.uint8)
    poly = np.concatenate([lid - [0, near], (lid - [0, far])[::-1]])
    cv2.fillPoly(band, [np.round(poly).astype(np.int32)], 1)
    return f[band.reshape(-1).astype(bool)]


def _darkest(px: np.ndarray) -> np.ndarray:
    """The median colour of the darkest 15% of pixels (n, 3): a lash line's."""
    lum = px.mean(1)
    return np.median(px[lum <= np.percentile(lum, 15)], 0)


def _teeth(sclera: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Teeth colour: the skin's tint at TEETH_TINT, TEETH_LIGHT times as bright as the brighter of
    the eye whites and the skin (at most TEETH_MAX_LUM)."""
    light = min(TEETH_MAX_LUM, TEETH_LIGHT * max(float(sclera.mean()), float(skin.mean())))
    return np.clip(light + TEETH_TINT * (skin - skin.mean()), 0.0, 1.0).astype(np.float32)


def shut_lid_row(img: np.ndarray, lm: np.ndarray, eye: int, lid: np.ndarray) -> float:
    """How far above a photographed eye's upper lid (in iris radii) the skin lies that the graph
    carries down over the shut lid: the row along the lid, between LID_ROW_RANGE, whose colour is
    nearest the lid colour and most even. Lashes curl up over an open lid and slid down with it as
    a dark curtain; a fixed height reached into the brow or a glasses frame on some faces."""
    up = EYE_R_UP if eye == 0 else EYE_L_UP
    pts = lm[list(up), :2]
    c0, c1 = pts[0], pts[-1]
    ax = (c1 - c0) / (np.linalg.norm(c1 - c0) + 1e-6)
    nrm = np.array([ax[1], -ax[0]])  # the eye's "up" (image y grows downward)
    if nrm[1] > 0:
        nrm = -nrm
    t = np.linspace(0.2, 0.8, 13)  # the lid's middle: its ends curve down into the corners
    seg = np.cumsum(np.r_[0, np.linalg.norm(np.diff(pts, axis=0), axis=1)])
    along = np.stack([np.interp(t * seg[-1], seg, pts[:, k]) for k in (0, 1)], -1)
    r = iris_radius(lm, eye)
    best, best_k = np.inf, LID_ROW_RANGE[0]
    for k in np.arange(LID_ROW_RANGE[0], LID_ROW_RANGE[1] + 1e-6, 0.1):
        p = along + nrm * k * r
        xy = np.round(p).astype(int)
        if (xy < 0).any() or (xy >= img.shape[0]).any():
            continue
        px = (
            img[xy[:, 1], xy[:, 0]].astype(np.float32) / 255.0
        )  # only the row's pixels, not a copy of the image
        score = float(np.linalg.norm(px.mean(0) - lid) + px.mean(1).std())
        if score < best - 1e-6:
            best, best_k = score, float(k)
    return best_k
