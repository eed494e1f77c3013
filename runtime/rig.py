"""The generator's per-avatar tensors, built once from an Avatar (numpy only, no torch).

No pretrained talking-head weights exist here, so the generator is a rig: the face mesh's landmarks
(with depth) plus rings of extra points (hair, ears, neck) are the control points of a thin-plate
spline; each ARKit blendshape is a displacement of those points (rig_basis.py). This module picks
the control points and solves everything that depends only on the portrait, so the ONNX graph needs
no linear solve: the TPS system inverse is folded into one (grid x points) matrix per warp. Two
warps are built: one pins the upper inner lip, one the lower, so the mouth can open without the
spline tearing between two coincident points (the graph picks per pixel). Landmark groups come from
face_anatomy.py, the drawn layers' colours from rig_colors.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from .drawn_eyes import drawn_eyes_shut
from .drawn_lids import shut_lid_patches
from .errors import AvatarError
from .face_anatomy import (
    BROW_TOPS,
    EYE_L_LO,
    EYE_L_UP,
    EYE_R_LO,
    EYE_R_UP,
    FACE_OVAL,
    IRIS_CENTERS,
    LIPS_LI,
    LIPS_UI,
    FaceFrame,
    eye_reach,
    eye_width,
    iris_axes,
    iris_radius,
    select_mesh_points,
)
from .mouth_close import close_rest_mouth, mouth_for_rig
from .names import ARKIT_INDEX
from .rig_basis import blendshape_basis, is_drawn_eye, lid_shade, lid_warp, smoothstep
from .rig_colors import portrait_colors, shut_lid_row
from .rig_depth import smooth_depth, unfold_depth
from .tps import box_border, tps_matrix

log = logging.getLogger("facecast")

RIG_VERSION = 1
EYE_BOX_REACH = 2.6  # eye box height / the lids' largest reach from the corners' line (margin for the lid)
LINES_BOX = (0.95, 1.05)  # the expression lines' box, interpupillary distances (across, down)
GLABELLA, FOREHEAD_TOP = 9, 10  # mesh points: between the brows, the forehead's top
CELL = 8  # low-resolution warp grid spacing in pixels at 512 (scaled with the output size)


@dataclass
class RigOptions:
    """Geometry knobs of the rig (fractions of the face size unless noted)."""

    min_spacing: float = 0.035  # thinning of interior mesh points, fraction of face height
    hair_rings: tuple[float, ...] = (1.15, 1.35)  # face-oval scale of the hair/ear rings
    ring_weights: tuple[float, ...] = (1.0, 0.8)  # how much each ring follows the head
    # the warp fades to zero between these distances from moving points (face heights)
    falloff: tuple[float, float] = (0.1, 0.26)
    region_margin: float = 0.28  # margin of the moving region around the head, face heights
    max_depth: float = 0.4  # depth cap behind the face's median depth, in iris distances
    max_front: float = 0.6  # and in front of it (a very long nose would fold over the cheek)
    depth_smooth: float = 0.06  # Gaussian smoothing of the face's depth, in iris distances
    tps_reg: float = 1e-4  # thin-plate smoothing (keeps the spline calm between close points)
    unfold: bool = True  # flatten the depth just enough that turns never fold the warp (rig_depth)


def build_rig(avatar, options: RigOptions | None = None) -> dict[str, np.ndarray]:
    """All avatar inputs of the generator graph, keyed by graph input name."""
    opt = options or RigOptions()
    img = np.asarray(avatar.image)
    S = int(avatar.size)
    if img.shape != (S, S, 3) or img.dtype != np.uint8:
        raise AvatarError(f"avatar image must be ({S}, {S}, 3) uint8, got {img.shape} {img.dtype}")
    lm = np.asarray(avatar.landmarks, np.float64)
    if lm.shape != (478, 3):
        raise AvatarError(f"avatar landmarks must have shape (478, 3), got {lm.shape}")
    matte = np.clip(np.asarray(avatar.matte, np.float32), 0, 1)

    # a photo's parted mouth is closed in the picture once (mouth_close.py); cel art's at rest
    src, img = mouth_for_rig(img, lm, bool(avatar.cel_shaded))
    face = FaceFrame.from_landmarks(src)
    lm = close_rest_mouth(src, face)  # neutral = lips together, whatever the portrait shows

    # --- control points: chosen mesh points, iris centres, rings, neck, region border.
    mesh_idx = select_mesh_points(src, face, opt.min_spacing)
    pts = [src[mesh_idx]]
    rest = [lm[mesh_idx] - src[mesh_idx]]
    weights = [np.ones(len(mesh_idx))]
    index_of = {int(i): k for k, i in enumerate(mesh_idx)}
    n = len(mesh_idx)
    for i in IRIS_CENTERS:
        index_of[i] = n
        pts.append(src[i : i + 1])
        rest.append(np.zeros((1, 3)))
        weights.append(np.ones(1))
        n += 1
    ring_pts, ring_w = head_rings(src, face, opt.hair_rings, opt.ring_weights, matte, S)
    pts.append(ring_pts)
    rest.append(np.zeros_like(ring_pts))
    weights.append(ring_w)
    n_moving = n + len(ring_pts)
    moving = np.concatenate(pts)[np.concatenate(weights) > 0.05, :2]
    x0, y0, x1, y1 = _region_box(moving, face, opt.region_margin, S)
    border = box_border(x0, y0, x1, y1, spacing=S / 10)
    border = np.concatenate([border, _background_anchors(matte, moving, (x0, y0, x1, y1), face, S)])
    pts.append(np.column_stack([border, np.full(len(border), face.depth_behind)]))
    rest.append(np.zeros((len(border), 3)))
    weights.append(np.zeros(len(border)))
    ctrl = np.concatenate(pts)
    # The face's edge (and the hair ring) sits far behind the cheeks in mediapipe's depth: turning
    # it would fold the far cheek over it and tear the warp. Capping the depth keeps the far side
    # compressing instead; the pose still reads back right (nose, eyes and mouth carry it).
    zc = face.pivot[2] - 0.5 * face.ipd
    ctrl[:, 2] = np.clip(ctrl[:, 2], zc - opt.max_front * face.ipd, zc + opt.max_depth * face.ipd)
    ctrl[:n, 2] = smooth_depth(ctrl[:n], opt.depth_smooth * face.ipd)
    rest_disp = np.concatenate(rest)
    head_w = np.concatenate(weights)
    K = len(ctrl)

    def idx(lst):
        return np.array([index_of[i] for i in lst], np.int64)

    cel = bool(avatar.cel_shaded)
    drawn = (is_drawn_eye(src, 0), is_drawn_eye(src, 1))
    basis = blendshape_basis(src, lm, face, mesh_idx, K, drawn)
    # an eye drawn shut (anime ^^) neither blinks nor looks around: the layers would smear its arc
    shut_arcs = drawn_eyes_shut(img, src) if cel and not all(drawn) else (False, False)
    shut = [shut_arcs[e] and not drawn[e] for e in (0, 1)]
    for e, side in ((0, "Right"), (1, "Left")):
        if shut[e]:
            for name in (f"eyeBlink{side}", f"eyeLookDown{side}", f"eyeLookUp{side}", f"eyeSquint{side}"):
                basis[ARKIT_INDEX[name]] = 0.0

    # --- low-resolution grid over the moving region, and the two TPS warps.
    Rh, Rw = y1 - y0, x1 - x0
    cell = CELL * S / 512
    Gh, Gw = int(np.ceil((Rh - 1) / cell)) + 1, int(np.ceil((Rw - 1) / cell)) + 1
    gy = y0 + 0.5 + np.linspace(0, Rh - 1, Gh)
    gx = x0 + 0.5 + np.linspace(0, Rw - 1, Gw)
    nodes = np.stack(np.meshgrid(gx, gy), -1)  # (Gh, Gw, 2) pixel-centre coordinates
    tps_cols = np.zeros(K, bool)
    tps_cols[:n] = True
    tps_cols[n_moving:] = True
    for i in IRIS_CENTERS:
        tps_cols[index_of[i]] = False
    upper_only = tps_cols.copy()
    upper_only[idx(LIPS_LI[1:-1])] = False
    lower_only = tps_cols.copy()
    lower_only[idx(LIPS_UI[1:-1])] = False
    tps = np.stack(
        [tps_matrix(ctrl[:, :2], nodes.reshape(-1, 2), m, S, opt.tps_reg) for m in (upper_only, lower_only)]
    )
    # Nodes far from anything that moves get exactly zero displacement: a spline bends everywhere,
    # and even a tenth of a pixel of drift would make the background shimmer.
    dist = np.min(np.linalg.norm(nodes.reshape(-1, 1, 2) - moving[None], axis=-1), axis=1)
    tps *= smoothstep(opt.falloff[1], opt.falloff[0], dist / face.height)[None, :, None]
    if opt.unfold:
        ctrl[:, 2] = unfold_depth(ctrl, rest_disp, head_w, tps, nodes, face.pivot)

    ry, rx = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
    region_pix = np.stack([rx, ry], -1)

    background = packed_rgba(np.concatenate([img, np.round(matte * 255).astype(np.uint8)[..., None]], -1))[
        None
    ]
    colors = portrait_colors(img, src, face, cel, drawn, bool(avatar.wide_eyes))
    iris = [iris_shape(src, e, drawn[e]) for e in (0, 1)]
    lid_rows = [0.0 if drawn[e] else shut_lid_row(img, src, e, colors[8]) for e in (0, 1)]
    # a drawn eye's shut lid: the eye painted over in the skin around it (photos: an empty patch)
    lid_patch, lid_origin = shut_lid_patches(img, src, drawn)
    # per-avatar scalars, read by index in generator_model.py (e = 0 right eye, 1 left eye)
    geom = np.array(
        [
            face.height,  # 0
            face.pivot[0],  # 1-3: the head's turning point
            face.pivot[1],
            face.pivot[2],
            *(iris[e][0] for e in (0, 1)),  # 4 + e: iris radius
            eye_width(src, 0),  # 6 + e
            eye_width(src, 1),
            lid_warp(drawn[0]),  # 8 + e: share of a blink the warp slides
            lid_warp(drawn[1]),
            *lid_shade(drawn[0]),  # 10 + 2e, 11 + 2e: closed lid brightness, darkening to the seam
            *lid_shade(drawn[1]),
            *(iris[e][1] for e in (0, 1)),  # 14 + e: iris height / width
            1.0 if cel else 0.0,  # 16: flat (cel) drawing of the mouth interior
            *(1.0 if drawn[e] else 0.0 for e in (0, 1)),  # 17 + e: drawn eye, bold lid line
            *(0.0 if shut[e] else 1.0 for e in (0, 1)),  # 19 + e: the eye can blink and look around
            *(lid_rows[e] for e in (0, 1)),  # 21 + e: iris radii above the lid of a shut lid's skin
            *lid_origin.reshape(-1),  # 23 + 2e, 24 + 2e: a drawn eye's lid patch's top-left corner
            # 27-33: where the expression lines go (generator_model._expression_lines)
            *lines_frame(src, face),
        ],
        np.float32,
    )
    max_eye_w = max(eye_width(src, 0), eye_width(src, 1))
    max_reach = max(eye_reach(src, 0), eye_reach(src, 1))
    log.info("rig: %d control points, region %dx%d at (%d, %d), warp grid %dx%d", K, Rw, Rh, x0, y0, Gw, Gh)
    return textures(avatar, img) | {
        # the still frame around the moving region: above, left, right, below (the graph pastes
        # the region between them with two concatenations)
        "bg_top": np.ascontiguousarray(background[:, :y0]),
        "bg_left": np.ascontiguousarray(background[:, y0:y1, :x0]),
        "bg_right": np.ascontiguousarray(background[:, y0:y1, x1:]),
        "bg_bottom": np.ascontiguousarray(background[:, y1:]),
        "region_pix": region_pix,
        "grid_nodes": nodes.astype(np.float32),
        "ctrl": ctrl.astype(np.float32),
        "rest": rest_disp.astype(np.float32),
        "head_weight": head_w.astype(np.float32),
        "basis": basis.astype(np.float32),
        "tps": tps.astype(np.float32),
        "mouth_index": np.concatenate([idx(LIPS_UI), idx(LIPS_LI)]),
        "eye_index": np.concatenate([idx(EYE_R_UP), idx(EYE_R_LO), idx(EYE_L_UP), idx(EYE_L_LO)]),
        "iris_index": idx(IRIS_CENTERS),
        "iris_src": src[list(IRIS_CENTERS), :2].astype(np.float32),
        "geom": geom,
        "mouth_box": _box_offsets(1.5 * np.linalg.norm(src[291, :2] - src[61, :2]), 0.5 * face.height),
        # tall enough for a drawn eye's lids too (it is centred on the corners; Sylvie's refitted
        # eyes reach 0.5 eye widths above and below them)
        "lines_box": _box_offsets(LINES_BOX[0] * face.ipd, LINES_BOX[1] * face.ipd),
        "eye_box": _box_offsets(1.6 * max_eye_w, max(1.1 * max_eye_w, EYE_BOX_REACH * max_reach)),
        "colors": colors.astype(np.float32),
        "lid_patch": lid_patch,
        # not graph inputs: the picture the textures are made from (a parted mouth closed in it),
        # so that a rig loaded from the cache need not close it again (textures), and its landmarks
        PORTRAIT: img,
        LANDMARKS: src.astype(np.float32),
    }


TEXTURE_FIELDS = ("texture", "texels")
PORTRAIT, LANDMARKS = "portrait", "landmarks"  # the rig's own picture (textures) and its landmarks


def textures(avatar, image: np.ndarray) -> dict[str, np.ndarray]:
    """The portrait and its matte upscaled 2x, as the graph samples them: two thirds of a rig's
    bytes but a few milliseconds to make, so the rig cache (rig_cache.py) does not store them.

    The warp samples the portrait with nearest-neighbour lookups (several times cheaper than
    bilinear in onnxruntime's CPU GridSample) from a copy upscaled 2x, which keeps the lookup error
    at a quarter pixel. `texels` is the same texture as RGBA bytes packed into one int32 per texel
    (R in the low byte; rounded exactly as the graph rounds its output): the region lookup is a
    gather of one element per pixel, and the region stays packed up to the output. `texture` (the
    float copy the eye layers read bilinearly) keeps RGB only: they never read its matte, and a
    fourth channel was a quarter of their texture lookups. A photo's parted mouth is closed in it
    (mouth_close.mouth_for_rig): the rig opens it from there. `image`: that picture, as the rig
    keeps it (rig[PORTRAIT])."""
    S = int(avatar.size)
    matte = np.clip(np.asarray(avatar.matte, np.float32), 0, 1)
    texture = np.concatenate([image.astype(np.float32) / 255.0, matte[..., None]], -1)
    texture = np.clip(cv2.resize(texture, (2 * S, 2 * S), interpolation=cv2.INTER_CUBIC), 0, 1)
    texels = packed_rgba((texture * np.float32(255) + np.float32(0.5)).astype(np.uint8)).reshape(-1)
    rgb = np.ascontiguousarray(texture[..., :3].transpose(2, 0, 1)[None], np.float32)
    return {"texture": rgb, "texels": texels}


def packed_rgba(rgba: np.ndarray) -> np.ndarray:
    """(..., 4) uint8 RGBA -> (...) int32 holding the four bytes in memory order: the form of the
    graph's `texels` and still frame (a benchmark swaps in its own texture this way)."""
    return np.ascontiguousarray(rgba, np.uint8).view("<i4")[..., 0].astype(np.int32)


def _region_box(moving: np.ndarray, face, margin: float, S: int) -> tuple[int, int, int, int]:
    """The part of the frame that can change: the head, hair and neck plus a margin; outside it the
    graph copies the portrait, which is what keeps the background still (and the render cheap)."""
    m = margin * face.height
    lo = np.floor(moving.min(0) - m).astype(int)
    hi = np.ceil(moving.max(0) + m).astype(int)
    x0, y0 = np.clip(lo, 0, S - 16)
    x1, y1 = np.clip(hi, x0 + 16, S)
    return int(x0), int(y0), int(x1), int(y1)


def iris_shape(lm: np.ndarray, eye: int, drawn: bool) -> tuple[float, float]:
    """(radius across, height / width) of the iris the eye layer draws: a circle of the mesh's mean
    radius, or for a drawn (anime, rig_basis.is_drawn_eye) eye the upright ellipse drawn_eyes.py
    measured."""
    if not drawn:
        return iris_radius(lm, eye), 1.0
    across, half_height = iris_axes(lm, eye)
    return across, half_height / across


def _box_offsets(w: float, h: float) -> np.ndarray:
    """Pixel-centre offsets (h, w, 2) of a layer box: the graph draws the mouth and each eye only
    inside such a box, placed per frame on the feature (its shape sets the box size)."""
    yy, xx = np.mgrid[0 : int(np.ceil(h)), 0 : int(np.ceil(w))].astype(np.float32) + 0.5
    return np.stack([xx, yy], -1)


def _background_anchors(matte, moving, box, face, S: int) -> np.ndarray:
    """Fixed points inside the moving region: a spline bends everywhere, so the background and
    the body are pinned wherever they are not next to the head."""
    x0, y0, x1, y1 = box
    step = S / 14
    gy, gx = np.mgrid[y0 + step / 2 : y1 : step, x0 + step / 2 : x1 : step]
    cand = np.column_stack([gx.ravel(), gy.ravel()])
    m = cv2.GaussianBlur(matte, (0, 0), S / 100)
    ci = np.clip(cand.astype(int), 0, S - 1)
    bg = m[ci[:, 1], ci[:, 0]] < 0.05
    _, b = face.local(cand)
    body = b > 0.75  # shoulders and chest: the head turns, the body stays
    far = np.min(np.linalg.norm(cand[:, None] - moving[None], axis=-1), axis=1) > 0.3 * face.height
    return cand[(bg | body) & far]


def lines_frame(lm: np.ndarray, face: FaceFrame) -> list[float]:
    """The expression lines' frame in the portrait: the point between the brows (x, y), the face's
    right axis, the interpupillary distance, and how far above that point the brows' tops and the
    forehead's top lie (interpupillary distances)."""
    glabella = lm[GLABELLA, :2]
    ax = face.right / np.linalg.norm(face.right)

    def up(p: np.ndarray) -> np.ndarray:
        rel = p - glabella
        return (rel[..., 0] * ax[1] - rel[..., 1] * ax[0]) / face.ipd

    brows = float(np.mean(up(lm[list(BROW_TOPS), :2])))
    top = float(up(lm[FOREHEAD_TOP, :2]))
    return [*glabella, *ax, face.ipd, brows, max(top, brows + 0.3)]


def head_rings(lm, face: FaceFrame, scales, weights, matte: np.ndarray, S: int):
    """Hair, ears and neck points that follow the head with falling weight; where the matte says
    background, the weight drops to zero so the background stays put."""
    oval = lm[list(FACE_OVAL)]
    centre = oval[:, :2].mean(0)
    out, w = [], []
    for sc, wt in zip(scales, weights):
        p = centre + (oval[:, :2] - centre) * sc
        z = oval[:, 2]  # hair and ears turn with the face's edge (more depth here folds the warp)
        _, b = face.local(p)
        lower = np.clip(b / 0.4, 0, 1)  # below the mouth the ring is neck: follows less
        out.append(np.column_stack([p, z]))
        w.append(wt * (1 - 0.5 * lower))
    chin = lm[152, :2]
    for depth, wt in ((0.3, 0.5),):
        for lat in (-0.55, 0.0, 0.55):
            p = chin + face.down * depth * face.height + face.right * lat * face.ipd
            out.append(np.array([[p[0], p[1], face.pivot[2]]]))
            w.append(np.array([wt]))
    pts, wts = np.concatenate(out), np.concatenate(w)
    inside = np.all((pts[:, :2] > 2) & (pts[:, :2] < S - 2), axis=1)
    pts, wts = pts[inside], wts[inside]
    m = cv2.GaussianBlur(matte, (0, 0), S / 64)
    mi = np.clip(pts[:, :2].astype(int), 0, S - 1)
    wts = wts * np.clip(m[mi[:, 1], mi[:, 0]] * 1.5, 0, 1)
    keep = _thin(pts[:, :2], 0.25 * face.ipd)
    return pts[keep], wts[keep]


def _thin(p: np.ndarray, dmin: float) -> np.ndarray:
    keep: list[int] = []
    for i in range(len(p)):
        if all(np.linalg.norm(p[i] - p[j]) >= dmin for j in keep):
            keep.append(i)
    return np.array(keep, np.int64)
