"""The rig's blendshape basis: how each ARKit blendshape moves the control points (numpy only).

Built from the face's own anatomy in face units, so it scales with the face; the graph only adds
weighted basis rows per frame.
"""

from __future__ import annotations

import numpy as np

from .face_anatomy import (
    BROW_L,
    BROW_R,
    EYE_L_LO,
    EYE_L_UP,
    EYE_R_LO,
    EYE_R_UP,
    LIPS_LI,
    LIPS_LO,
    LIPS_UI,
    LIPS_UO,
    FaceFrame,
    eye_lid_frame,
    eye_width,
)
from .names import ARKIT_INDEX, EYE_LOOK_DEGREES

# A blink is mostly warp: the upper lid (with its own lashes) slides LID_WARP of the eye's opening
# down and the lower lid LID_RISE up, so the portrait's lash line lands on the lower lid; the
# graph's lid layer (generator_model.py) covers the sliver left. The warp stops short of closing
# fully: two lid curves on the same pixel would fold the thin-plate warp.
LID_WARP = 0.92
# A drawn (anime) eye is tall, with hair close above it: sliding its lid drags the hair over the
# eye (0.3 of a blink dragged Sylvie's fringe down), so it does not slide (DRAWN_LID_WARP) and the
# lid layer draws the blink as an animator does: the eye painted over above the lid's line
# (drawn_lids.py) and one bold stroke on it.
# An eye whose opening is over DRAWN_EYE_RATIO of its width is a drawn one (opening / width: photos
# and paintings 0.22-0.36, the 3D cartoon 0.47, anime eyes refitted by drawn_eyes.py 0.79-1.0).
DRAWN_LID_WARP, DRAWN_EYE_RATIO = 0.0, 0.6
EYE_OPENING = 0.3  # a photographed eye's opening over its width, about the middle of 0.22-0.36
# The drawn lid's brightness (times the lid colour) at its top and how much darker it gets toward
# the seam: a photographed lid is convex with its lower edge in shadow, a cel-shaded one is flat.
LID_SHADE, DRAWN_LID_SHADE = (0.95, 0.12), (1.0, 0.04)
LID_RISE = 0.06
# The eyeball's turning radius in eye widths (the iris centre moves IRIS_TURN x sin(gaze): the
# generator's eye layer) and the share of the iris's rise the upper lid follows looking up (a real
# lid rides up with the eye nearly one to one).
IRIS_TURN, LOOK_UP_LID = 0.42, 0.8
# the jaw's drop at jawOpen 1, face units: the spread of rendered openings over the dev portraits
# centred in real talkers' range (0.05-0.09, dlib's mean of three inner-lip gaps). 0.225 while the
# whole lower lip dropped alike; the tapered opening reads smaller to dlib, and 0.245 centres it.
JAW_DROP = 0.245
# the mouth corners drop this share of the jaw; the lower lip between drops
# JAW_CORNER + (1 - JAW_CORNER) sqrt(1 - (a / corner)^2): three real talkers' inner-lip gaps
# (mediapipe) at 0.48, 0.66 and 0.78 of the way to the corner are 0.82, 0.60 and 0.34 of the
# middle's; nine portraits rendered read 0.83, 0.63 and 0.37 (0.87, 0.66, 0.40 when it all dropped
# alike). A parabola instead of the square root read 0.82, 0.60, 0.35, but dlib's lip points on
# the grimace with glasses then read its opening out of order (jaw r 0.79; docs/generator.md).
JAW_CORNER = 0.35
# The mouth corners' rise at mouthSmile 1 and fall at mouthFrown 1, face units (about 11 and 8 mm
# on an adult): a full ARKit smile or frown. At 0.07 and 0.05 (with a Gaussian that raised the
# whole mouth), "happy" read as happy to a FER-2013 classifier on 3 of 9 portraits; now on 5
# (docs/generator.md, "Emotions, measured").
SMILE_LIFT, FROWN_DROP = 0.10, 0.07
# Corners within CORNER_LEVEL of the lips' middle count as level (neutral portraits: -0.03..0.03);
# beyond it, up to CORNER_ROOM_MAX, the opposite shape moves them further.
CORNER_LEVEL, CORNER_ROOM_MAX = 0.01, 0.08


def smoothstep(x0: float, x1: float, x: np.ndarray) -> np.ndarray:
    """0 up to x0, 1 from x1, a cubic between: weights that fade without a kink (x1 < x0 reverses)."""
    t = np.clip((x - x0) / (x1 - x0), 0, 1)
    return t * t * (3 - 2 * t)


MOUTH_CORNERS = (61, 291, 78, 308)  # outer and inner corners


def jaw_weights(lm: np.ndarray, face: FaceFrame) -> np.ndarray:
    """(len(lm),) share of the jaw's drop each point follows: everything below the mouth line,
    fading toward the jaw angles; the lips part most in the middle and close into the corners
    (the upper lip's sides follow the corners down). jawOpen and the closing of a portrait's open
    mouth (mouth_close.py) move points by it."""
    n = len(lm)
    a, b = face.local(lm)
    upper = _point_mask(n, list(LIPS_UO + LIPS_UI)) > 0
    lower = _point_mask(n, list(LIPS_LO + LIPS_LI)) > 0
    corners = list(MOUTH_CORNERS)
    a_corner = float(np.abs(a[corners]).mean())
    arc = np.sqrt(np.clip(1 - (a / a_corner) ** 2, 0, 1))
    wj = smoothstep(-0.03, 0.06, b) * np.clip(1 - (np.abs(a) - 0.5) / 0.9, 0, 1)
    wj[upper] = JAW_CORNER * (1 - arc[upper])
    wj[lower] = JAW_CORNER + (1 - JAW_CORNER) * arc[lower]
    wj[corners] = JAW_CORNER
    return wj


def blendshape_basis(
    src: np.ndarray, lm: np.ndarray, face: FaceFrame, mesh_idx, K: int, drawn: tuple[bool, bool]
) -> np.ndarray:
    """(52, K, 3) pixel displacement of every control point at blendshape weight 1. Built from the
    face's anatomy in face units (so it scales with the face): jaw drop below the mouth line, lip
    contours, lid arcs, brow arches, smile corners. `drawn`: which eyes are drawn ones
    (is_drawn_eye), whose lids slide less."""
    n = len(lm)
    a, b = face.local(lm)
    D: dict[str, np.ndarray] = {}
    zero = np.zeros(n)

    def put(name, da=zero, db=zero, dz=zero):
        D[name] = D.get(name, np.zeros((n, 3))) + face.vec(da, db, dz)

    UO, LO, UI, LI = (np.array(x) for x in (LIPS_UO, LIPS_LO, LIPS_UI, LIPS_LI))
    upper = _point_mask(n, list(LIPS_UO + LIPS_UI)) > 0
    lower = _point_mask(n, list(LIPS_LO + LIPS_LI)) > 0
    corners = np.array(MOUTH_CORNERS)
    lips = upper | lower
    a_corner = float(np.abs(a[corners]).mean())
    lp = np.clip(1 - (a / a_corner) ** 2, 0, 1)  # 1 mid-lip, 0 at the corners
    wj = jaw_weights(lm, face)  # the jaw: everything below the mouth line drops
    # JAW_DROP face units at jawOpen 1: speech (jawOpen p90 0.36-0.45) then opens the lips at its
    # 90th percentile by 0.05-0.09 of face height, real talkers' range, on every dev portrait and
    # clip (docs/motion-quality.md)
    drop = JAW_DROP * (0.85 + 0.15 * np.clip(b / 0.5, 0, 1))
    put("jawOpen", -0.12 * np.clip(a, -a_corner, a_corner) * wj * lips, drop * wj, 0.05 * wj)
    put("jawForward", zero, -0.01 * wj, -0.08 * wj)
    put("jawLeft", 0.08 * wj)
    put("jawRight", -0.08 * wj)
    close = np.where(lips & ~np.isin(np.arange(n), corners), -drop * wj, 0.0)
    put("mouthClose", zero, close)
    put("tongueOut", zero, 0.3 * drop * wj)

    # Lips and mouth corners.
    gm = np.exp(-((a / 0.75) ** 2) - (b / 0.2) ** 2)
    gm[lips] = 1.0
    put("mouthFunnel", -0.15 * a * lips, (-0.03 * _point_mask(n, UI) + 0.05 * _point_mask(n, LI)) * lp
        + (-0.015 * _point_mask(n, UO) + 0.02 * _point_mask(n, LO)) * lp, -0.06 * gm)  # fmt: skip
    put(
        "mouthPucker",
        -0.32 * a * gm,
        (-0.01 * _point_mask(n, UO) + 0.01 * _point_mask(n, LO)) * lp,
        -0.1 * gm,
    )
    put("mouthLeft", 0.12 * gm)
    put("mouthRight", -0.12 * gm)
    roll_low = np.zeros((n, 3))
    roll_low[LO] = 0.7 * (lm[LI] - lm[LO])
    roll_up = np.zeros((n, 3))
    roll_up[UO] = 0.7 * (lm[UI] - lm[UO])
    D["mouthRollLower"], D["mouthRollUpper"] = roll_low, roll_up
    gchin = np.exp(-((a / 0.55) ** 2) - ((b - 0.15) / 0.2) ** 2) * (b > -0.02)
    gchin[lower] = 1.0
    put("mouthShrugLower", zero, -0.035 * gchin)
    put("mouthShrugUpper", zero, -0.025 * upper * lp)
    # A portrait that already smiles (corners above the lips' middle) needs its corners brought
    # further down to look sad, one that already frowns further up to look happy: the corners'
    # own lift beyond CORNER_LEVEL is added to the frown's drop, their droop to the smile's lift.
    # A smile on top of a smile (corners already up, or the mouth already wide) swelled the lower
    # face into a grimace (dlib's identity distance 0.48 -> 0.59 on the smiling older man): it
    # moves at most half as far there.
    lift = float(b[[13, 14]].mean() - b[[61, 291]].mean())
    smile_room = np.clip(-lift - CORNER_LEVEL, 0.0, CORNER_ROOM_MAX)
    frown_room = np.clip(lift - CORNER_LEVEL, 0.0, CORNER_ROOM_MAX)
    smiling = max(smoothstep(0.02, 0.07, np.array(lift)), smoothstep(0.85, 1.0, np.array(a[291] - a[61])))
    smile_gain = 1.0 - 0.5 * float(smiling)
    for side, s in (("Left", 1.0), ("Right", -1.0)):
        gs = np.exp(-(((a - s * a_corner) / 0.38) ** 2) - (b / 0.2) ** 2)
        cheek = np.exp(-(((a - 0.65 * s) / 0.3) ** 2) - ((b + 0.3) / 0.15) ** 2)
        sw = smoothstep(-0.2, 0.3, s * a)
        lat = np.exp(-(((a - 0.22 * s) / 0.25) ** 2))
        # corners rise or fall while the middle of the lips stays (the narrower gv): a wide
        # Gaussian raised the whole mouth, and the corners barely moved against its middle
        gv = np.exp(-(((a - s * a_corner) / (0.65 * a_corner)) ** 2) - (b / 0.2) ** 2)
        put(
            f"mouthSmile{side}",
            0.11 * smile_gain * s * gs,
            -(SMILE_LIFT * smile_gain + smile_room) * gv - 0.04 * cheek,
        )
        put(f"mouthFrown{side}", 0.01 * s * gs, (FROWN_DROP + frown_room) * gv)
        put(f"mouthDimple{side}", 0.045 * s * gs, -0.005 * gs, 0.02 * gs)
        put(f"mouthStretch{side}", 0.08 * s * gs, 0.03 * gs + 0.02 * lower * sw)
        press = np.zeros((n, 3))
        press[UO] = 0.35 * (lm[UI] - lm[UO])
        press[LO] = 0.35 * (lm[LI] - lm[LO])
        D[f"mouthPress{side}"] = press * sw[:, None] + face.vec(0.02 * s * gs * lips, zero)
        put(f"mouthLowerDown{side}", zero, 0.06 * lat * lower * sw)
        nose_side = np.exp(-(((a - 0.2 * s) / 0.15) ** 2) - ((b + 0.2) / 0.08) ** 2)
        put(f"mouthUpperUp{side}", zero, -0.05 * lat * upper * sw - 0.015 * nose_side)
        put(f"noseSneer{side}", zero, -0.035 * nose_side - 0.012 * lat * upper * sw)
        cheek_puff = np.exp(-(((np.abs(a) - 0.8) / 0.3) ** 2) - ((b + 0.1) / 0.2) ** 2) * (s * a > 0)
        put("cheekPuff", 0.07 * s * cheek_puff, zero, -0.05 * cheek_puff)

    # Brows.
    for side, s, brow, up, lo in (
        ("Left", 1.0, BROW_L, EYE_L_UP, EYE_L_LO),
        ("Right", -1.0, BROW_R, EYE_R_UP, EYE_R_LO),
    ):
        bi = np.array(brow)
        ab, bb = a[bi].mean(), b[bi].mean()
        gb = np.exp(-(((a - ab) / 0.45) ** 2) - ((b - bb) / 0.1) ** 2)
        gb[bi] = 1.0
        inner = np.exp(-(((a - (ab - 0.3 * s)) / 0.25) ** 2) - ((b - bb) / 0.1) ** 2)
        outer = np.exp(-(((a - (ab + 0.25 * s)) / 0.25) ** 2) - ((b - bb) / 0.1) ** 2)
        # a lowered brow pushes the skin below it only a little way: with the brow's own reach
        # (0.1) it dragged the upper lid down and shut narrow eyes to slits
        below = np.where(b > bb, np.exp(-(((b - bb) / 0.055) ** 2) + ((b - bb) / 0.1) ** 2), 1.0)
        put(f"browDown{side}", -0.06 * s * inner * below, (0.05 * gb + 0.045 * inner) * below)
        put("browInnerUp", zero, -0.08 * inner)
        put(f"browOuterUp{side}", zero, -0.075 * outer)
        put(f"noseSneer{side}", zero, 0.012 * inner)
        # Eyes: lid arcs in the eye's own frame.
        uv, vu, vl, nrm = eye_lid_frame(lm, up, lo)
        u, v = uv(lm)
        open_h = np.clip(vl(u) - vu(u), 0, None)
        eye_h = float(open_h.max()) + 1e-6
        fade = np.clip(1.25 - np.abs(u), 0, 1) ** 0.5
        above = v < (vu(u) + vl(u)) / 2
        w_up = np.where(v >= vu(u) - 0.5, 1.0, np.clip(1 - (vu(u) - v) / (1.3 * eye_h), 0, 1)) * fade * above
        w_lo = np.where(v <= vl(u) + 0.5, 1.0, np.clip(1 - (v - vl(u)) / (1.0 * eye_h), 0, 1)) * fade * ~above
        nv = np.append(nrm, 0.0)
        # most of the closing is the warp (the lid and its lashes slide down); the graph's lid layer
        # covers the rest (it reads the same fraction from geom, rig.py)
        eye = 1 if side == "Left" else 0
        warp = lid_warp(drawn[eye])
        D[f"eyeBlink{side}"] = (w_up * warp * open_h - w_lo * LID_RISE * open_h)[:, None] * nv
        D[f"eyeSquint{side}"] = (w_up * 0.1 * open_h - w_lo * 0.3 * open_h)[:, None] * nv
        # a wide-open eye bares a few millimetres above the iris whatever its resting opening:
        # narrow (hooded, smiling) eyes widen by as much as an average one (EYE_OPENING of width)
        D[f"eyeWide{side}"] = (-w_up * 0.25 * max(eye_h, EYE_OPENING * eye_width(lm, eye)))[:, None] * nv
        D[f"eyeLookDown{side}"] = (w_up * 0.2 * open_h)[:, None] * nv
        # looking up, the upper lid rises with the eye (LOOK_UP_LID of the iris centre's rise at
        # eyeLookUp 1, the generator's eyeball turning 0.42 eye widths x sin(25 degrees)): a tenth
        # of the opening hid a hooded eye's iris under its lid, an eye rolled up
        rise = LOOK_UP_LID * IRIS_TURN * np.sin(np.radians(EYE_LOOK_DEGREES[1])) * eye_width(lm, eye)
        D[f"eyeLookUp{side}"] = (-w_up * rise)[:, None] * nv
        under = np.exp(
            -(((a - a[list(lo)].mean()) / 0.35) ** 2) - ((b - (b[list(lo)].mean() + 0.1)) / 0.1) ** 2
        )
        D[f"cheekSquint{side}"] = face.vec(zero, -0.03 * under) - (w_lo * 0.15 * open_h)[:, None] * nv

    basis = np.zeros((len(ARKIT_INDEX), K, 3))
    for name, d in D.items():
        basis[ARKIT_INDEX[name], : len(mesh_idx)] = d[mesh_idx]
    return basis


def is_drawn_eye(lm: np.ndarray, eye: int) -> bool:
    """An eye opened over DRAWN_EYE_RATIO of its width is a drawn (anime) one."""
    up, lo = ((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))[eye]
    uv, vu, vl, _ = eye_lid_frame(lm, up, lo)
    u, _ = uv(lm[list(up[1:-1]), :2])
    return float(np.max(vl(u) - vu(u))) > DRAWN_EYE_RATIO * eye_width(lm, eye)


def lid_warp(drawn: bool) -> float:
    """How much of a blink the lid of a drawn (is_drawn_eye) or photographed eye slides (the rest
    is drawn by the graph's lid layer)."""
    return DRAWN_LID_WARP if drawn else LID_WARP


def lid_shade(drawn: bool) -> tuple[float, float]:
    """The drawn lid's brightness at its top and its darkening toward the seam."""
    return DRAWN_LID_SHADE if drawn else LID_SHADE


def _point_mask(n: int, idx: np.ndarray) -> np.ndarray:
    """1 on the given landmarks, 0 elsewhere."""
    m = np.zeros(n)
    m[idx] = 1.0
    return m
