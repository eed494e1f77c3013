"""The generator's per-avatar tensors, built once from an Avatar (numpy only, no torch).

No pretrained talking-head weights exist here, so the generator is a rig: the face mesh's landmarks
(with depth) plus rings of extra points (hair, ears, neck) are the control points of a thin-plate
spline; each ARKit blendshape is a displacement of those points derived from the face's own anatomy
and scaled to it (rig_py). Everything that depends only on the portrait is solved here, so
the ONNX graph needs no linear solve: the TPS system inverse is folded into one (grid x points)
matrix per warp. Two warps are built: one pins the upper inner lip, one the lower, so the mouth can
open without the spline tearing between two coincident points (the graph picks per pixel).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import AvatarError

# A blink is mostly warp: the upper lid (with its own lashes) slides LID_WARP of the eye's opening
# down and the lower lid LID_RISE up, so the portrait's lash line lands on the lower lid; the
# graph's lid layer (generator_model.py) covers the sliver left. The warp stops short of closing
# fully: two lid curves on the same pixel would fold the thin-plate warp.
LID_WARP = 0.92
LID_RISE = 0.06

log = logging.getLogger("facecast")

RIG_VERSION = 1
CELL = 8  # low-resolution warp grid spacing in pixels at 512 (scaled with the output size)

# Colour slots in rig["colors"] (RGB 0..1), all taken from the portrait itself.
COLOR_SLOTS = ("lip", "cavity", "teeth", "tongue", "sclera_r", "sclera_l", "skin", "lash", "lid")


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

    face = FaceFrame.from_landmarks(lm)
    lm = close_rest_mouth(lm, face)  # neutral = lips together, whatever the portrait shows
    src = np.asarray(avatar.landmarks, np.float64)

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
    border = _box_border(x0, y0, x1, y1, spacing=S / 10)
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
    ctrl[:n, 2] = _smooth_depth(ctrl[:n], opt.depth_smooth * face.ipd)
    rest_disp = np.concatenate(rest)
    head_w = np.concatenate(weights)
    K = len(ctrl)

    def idx(lst):
        return np.array([index_of[i] for i in lst], np.int64)

    basis = blendshape_basis(src, lm, face, mesh_idx, K)

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
        [_tps_matrix(ctrl[:, :2], nodes.reshape(-1, 2), m, S, opt.tps_reg) for m in (upper_only, lower_only)]
    )
    # Nodes far from anything that moves get exactly zero displacement: a spline bends everywhere,
    # and even a tenth of a pixel of drift would make the background shimmer.
    dist = np.min(np.linalg.norm(nodes.reshape(-1, 1, 2) - moving[None], axis=-1), axis=1)
    tps *= _smooth(opt.falloff[1], opt.falloff[0], dist / face.height)[None, :, None]

    ry, rx = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
    region_pix = np.stack([rx, ry], -1)

    # The warp samples the portrait with nearest-neighbour lookups (several times cheaper than
    # bilinear in onnxruntime's CPU GridSample) from a copy upscaled 2x, which keeps the lookup
    # error at a quarter pixel.
    texture = np.concatenate([img.astype(np.float32) / 255.0, matte[..., None]], -1)
    texture = np.clip(cv2.resize(texture, (2 * S, 2 * S), interpolation=cv2.INTER_CUBIC), 0, 1)
    # the same texture as RGBA bytes packed into one int32 per texel (R in the low byte; rounded
    # exactly as the graph rounds its output): the region lookup is a gather of one element per
    # pixel, and the region stays packed up to the output
    texels = _packed((texture * np.float32(255) + np.float32(0.5)).astype(np.uint8)).reshape(-1)
    background = _packed(np.concatenate([img, np.round(matte * 255).astype(np.uint8)[..., None]], -1))[None]
    colors = portrait_colors(img, src, face)
    geom = np.array(
        [
            face.height,
            face.pivot[0],
            face.pivot[1],
            face.pivot[2],
            iris_radius(src, 0),
            iris_radius(src, 1),
            eye_width(src, 0),
            eye_width(src, 1),
        ],
        np.float32,
    )
    log.info("rig: %d control points, region %dx%d at (%d, %d), warp grid %dx%d", K, Rw, Rh, x0, y0, Gw, Gh)
    return {
        "texture": np.ascontiguousarray(texture.transpose(2, 0, 1)[None], np.float32),
        "texels": texels,
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
        "eye_box": _box_offsets(
            1.6 * max(eye_width(src, 0), eye_width(src, 1)), 1.1 * max(eye_width(src, 0), eye_width(src, 1))
        ),
        "colors": colors.astype(np.float32),
    }


def _packed(rgba: np.ndarray) -> np.ndarray:
    """(..., 4) uint8 RGBA -> (...) int32 holding the four bytes in memory order."""
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


def _smooth_depth(p: np.ndarray, sigma: float) -> np.ndarray:
    """Depth averaged over neighbours: the side of the nose is so steep that a 20-degree turn folds
    it over the cheek (a warp then tears); smoothing lowers the slope, the face keeps its relief."""
    if sigma <= 0:
        return p[:, 2]
    d2 = ((p[:, None, :2] - p[None, :, :2]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma**2))
    return (w @ p[:, 2]) / w.sum(1)


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


def _box_border(x0: int, y0: int, x1: int, y1: int, spacing: float) -> np.ndarray:
    """Fixed points along the moving region's edge (pixel-edge coordinates)."""
    nx = max(2, int(np.ceil((x1 - x0) / spacing)) + 1)
    ny = max(2, int(np.ceil((y1 - y0) / spacing)) + 1)
    xs = np.linspace(x0, x1, nx)
    ys = np.linspace(y0, y1, ny)[1:-1]
    return np.concatenate(
        [
            np.column_stack([xs, np.full(nx, y0)]),
            np.column_stack([xs, np.full(nx, y1)]),
            np.column_stack([np.full(len(ys), x0), ys]),
            np.column_stack([np.full(len(ys), x1), ys]),
        ]
    )


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    return np.where(r2 > 1e-12, 0.5 * r2 * np.log(np.maximum(r2, 1e-12)), 0.0)


def _tps_matrix(ctrl: np.ndarray, nodes: np.ndarray, use: np.ndarray, S: int, reg: float) -> np.ndarray:
    """(nodes x all points) matrix M with forward displacement at the nodes = M @ point displacement.
    Points not in `use` get a zero column. Coordinates are scaled by S for conditioning."""
    c = ctrl[use] / S
    g = nodes / S
    k = len(c)
    d2 = ((c[:, None] - c[None]) ** 2).sum(-1)
    L = np.zeros((k + 3, k + 3))
    L[:k, :k] = _tps_kernel(d2) + reg * np.eye(k)
    L[:k, k] = 1
    L[:k, k + 1 :] = c
    L[k, :k] = 1
    L[k + 1 :, :k] = c.T
    Linv = np.linalg.inv(L)[:, :k]  # weights = Linv @ displacements
    gd2 = ((g[:, None] - c[None]) ** 2).sum(-1)
    B = np.concatenate([_tps_kernel(gd2), np.ones((len(g), 1)), g], 1)
    out = np.zeros((len(g), len(ctrl)))
    out[:, use] = B @ Linv
    return out


# ---------------------------------------------------------------------------------------------
# Face anatomy: mediapipe face-mesh index groups (subject's right eye is on the image's left).
LIPS_UO = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)  # upper lip, outer edge, corner to corner
LIPS_LO = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_UI = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)  # upper lip, inner edge
LIPS_LI = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
EYE_R_UP = (33, 246, 161, 160, 159, 158, 157, 173, 133)
EYE_R_LO = (33, 7, 163, 144, 145, 153, 154, 155, 133)
EYE_L_UP = (263, 466, 388, 387, 386, 385, 384, 398, 362)
EYE_L_LO = (263, 249, 390, 373, 374, 380, 381, 382, 362)
IRIS_CENTERS = (468, 473)
BROW_R = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)  # outer to inner, upper then lower edge
BROW_L = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)  # fmt: skip
NOSE = (1, 2, 4, 5, 6, 168, 195, 197, 98, 327, 94, 164, 129, 358, 49, 279)
FEATURES = LIPS_UO + LIPS_LO + LIPS_UI + LIPS_LI + EYE_R_UP + EYE_R_LO + EYE_L_UP + EYE_L_LO
FEATURES += BROW_R + BROW_L + FACE_OVAL + NOSE


@dataclass
class FaceFrame:
    """A face-aligned frame: `right` and `down` unit vectors, sizes in pixels, the neck pivot."""

    mouth: np.ndarray  # (2,) centre of the lips
    right: np.ndarray
    down: np.ndarray
    ipd: float  # iris to iris
    height: float  # eye line to chin
    pivot: np.ndarray  # (3,) head rotation centre (neck, behind the face)
    depth_behind: float

    @classmethod
    def from_landmarks(cls, lm: np.ndarray) -> FaceFrame:
        er, el = lm[468, :2], lm[473, :2]
        mid = (er + el) / 2
        chin = lm[152, :2]
        down = chin - mid
        height = float(np.linalg.norm(down))
        ipd = float(np.linalg.norm(el - er))
        if height < 8 or ipd < 4:
            raise AvatarError("the face in this avatar is too small to animate")
        down = down / height
        right = np.array([down[1], -down[0]])
        mouth = (lm[13, :2] + lm[14, :2]) / 2
        zc = float(np.median(lm[:468, 2]))
        pivot2 = mid + down * 0.55 * height
        pivot = np.array([pivot2[0], pivot2[1], zc + 0.5 * ipd])
        return cls(mouth, right, down, ipd, height, pivot, zc + 0.5 * ipd)

    def local(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(a, b): across the face in iris distances, down the face in face heights, from the mouth."""
        d = p[..., :2] - self.mouth
        return d @ self.right / self.ipd, d @ self.down / self.height

    def vec(self, da: np.ndarray, db: np.ndarray, dz: np.ndarray | float = 0.0) -> np.ndarray:
        """Displacements given in face units (a, b, z in iris distances) as pixel (x, y, z)."""
        da, db = np.asarray(da, float), np.asarray(db, float)
        xy = da[..., None] * self.right * self.ipd + db[..., None] * self.down * self.height
        z = np.broadcast_to(np.asarray(dz, float) * self.ipd, da.shape)
        return np.concatenate([xy, z[..., None]], -1)


def close_rest_mouth(lm: np.ndarray, face: FaceFrame) -> np.ndarray:
    """Neutral motion shows closed lips even when the portrait's mouth is open: move the lip contours
    together (the upper lip then covers the portrait's teeth); jawOpen opens from there."""
    out = lm.copy()
    ui, li = np.array(LIPS_UI), np.array(LIPS_LI)
    gap = np.clip((lm[li, :2] - lm[ui, :2]) @ face.down, 0, None)
    if gap.max() < 0.01 * face.height:
        return out
    d = face.down
    out[list(LIPS_UI), :2] += 0.5 * gap[:, None] * d
    out[list(LIPS_LI), :2] -= 0.5 * gap[:, None] * d
    out[list(LIPS_UO), :2] += 0.3 * gap[:, None] * d
    out[list(LIPS_LO), :2] -= 0.3 * gap[:, None] * d
    return out


def select_mesh_points(lm: np.ndarray, face: FaceFrame, min_spacing: float) -> np.ndarray:
    """Feature contours always, other mesh points thinned to a minimum spacing (a dense, uneven
    point set makes the spline stiff and slow)."""
    chosen = list(dict.fromkeys(FEATURES))
    pts = [lm[i, :2] for i in chosen]
    eye_inner = set(range(468, 478))
    for i in range(468):
        if i in chosen or i in eye_inner:
            continue
        d = np.min(np.linalg.norm(np.array(pts) - lm[i, :2], axis=1))
        if d > min_spacing * face.height:
            chosen.append(i)
            pts.append(lm[i, :2])
    return np.array(chosen, np.int64)


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


def iris_radius(lm: np.ndarray, eye: int) -> float:
    c = 468 + 5 * eye
    return float(np.linalg.norm(lm[c + 1 : c + 5, :2] - lm[c, :2], axis=1).mean())


def eye_width(lm: np.ndarray, eye: int) -> float:
    a, b = ((33, 133), (263, 362))[eye]
    return float(np.linalg.norm(lm[a, :2] - lm[b, :2]))


def _smooth(x0: float, x1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - x0) / (x1 - x0), 0, 1)
    return t * t * (3 - 2 * t)


def _eye_lids(lm: np.ndarray, up: tuple, lo: tuple):
    """Eye-local frame (u across, v down, pixels) and lid curves, for lid motions."""
    c0, c1 = lm[up[0], :2], lm[up[-1], :2]
    centre, half = (c0 + c1) / 2, np.linalg.norm(c1 - c0) / 2
    ax = (c1 - c0) / (2 * half)
    nrm = np.array([-ax[1], ax[0]])
    if nrm @ (lm[lo[4], :2] - lm[up[4], :2]) < 0:
        nrm = -nrm

    def uv(p):
        d = p[..., :2] - centre
        return d @ ax / half, d @ nrm

    uu, vu = uv(lm[list(up)])
    ul, vl = uv(lm[list(lo)])
    ou, ol = np.argsort(uu), np.argsort(ul)
    return uv, (lambda u: np.interp(u, uu[ou], vu[ou])), (lambda u: np.interp(u, ul[ol], vl[ol])), nrm


def blendshape_basis(src: np.ndarray, lm: np.ndarray, face: FaceFrame, mesh_idx, K: int) -> np.ndarray:
    """(52, K, 3) pixel displacement of every control point at blendshape weight 1. Built from the
    face's anatomy in face units (so it scales with the face): jaw drop below the mouth line, lip
    contours, lid arcs, brow arches, smile corners."""
    from .names import ARKIT_INDEX

    n = len(lm)
    a, b = face.local(lm)
    D: dict[str, np.ndarray] = {}
    zero = np.zeros(n)

    def put(name, da=zero, db=zero, dz=zero):
        D[name] = D.get(name, np.zeros((n, 3))) + face.vec(da, db, dz)

    UO, LO, UI, LI = (np.array(x) for x in (LIPS_UO, LIPS_LO, LIPS_UI, LIPS_LI))
    upper = np.zeros(n, bool)
    upper[UO] = upper[UI] = True
    lower = np.zeros(n, bool)
    lower[LO] = lower[LI] = True
    corners = np.array([61, 291, 78, 308])
    lips = upper | lower
    a_corner = float(np.abs(a[corners]).mean())
    lp = np.clip(1 - (a / a_corner) ** 2, 0, 1)  # 1 mid-lip, 0 at the corners

    # Jaw: everything below the mouth line drops, fading toward the jaw angles.
    wj = _smooth(-0.03, 0.06, b) * np.clip(1 - (np.abs(a) - 0.5) / 0.9, 0, 1)
    wj[upper] = 0.0
    wj[lower] = 1.0
    wj[corners] = 0.35
    drop = 0.21 * (0.85 + 0.15 * np.clip(b / 0.5, 0, 1))
    put("jawOpen", -0.12 * np.clip(a, -a_corner, a_corner) * wj * lips, drop * wj, 0.05 * wj)
    put("jawForward", zero, -0.01 * wj, -0.08 * wj)
    put("jawLeft", 0.08 * wj)
    put("jawRight", -0.08 * wj)
    close = np.where(lower & ~np.isin(np.arange(n), corners), -drop * wj, 0.0)
    put("mouthClose", zero, close)
    put("tongueOut", zero, 0.3 * drop * wj)

    # Lips and mouth corners.
    gm = np.exp(-((a / 0.75) ** 2) - (b / 0.2) ** 2)
    gm[lips] = 1.0
    put("mouthFunnel", -0.15 * a * lips, (-0.03 * UI_mask(n, UI) + 0.05 * UI_mask(n, LI)) * lp
        + (-0.015 * UI_mask(n, UO) + 0.02 * UI_mask(n, LO)) * lp, -0.06 * gm)  # fmt: skip
    put("mouthPucker", -0.32 * a * gm, (-0.01 * UI_mask(n, UO) + 0.01 * UI_mask(n, LO)) * lp, -0.1 * gm)
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
    for side, s in (("Left", 1.0), ("Right", -1.0)):
        gs = np.exp(-(((a - s * a_corner) / 0.38) ** 2) - (b / 0.2) ** 2)
        cheek = np.exp(-(((a - 0.65 * s) / 0.3) ** 2) - ((b + 0.3) / 0.15) ** 2)
        sw = _smooth(-0.2, 0.3, s * a)
        lat = np.exp(-(((a - 0.22 * s) / 0.25) ** 2))
        put(f"mouthSmile{side}", 0.08 * s * gs, -0.07 * gs - 0.03 * cheek)
        put(f"mouthFrown{side}", 0.01 * s * gs, 0.05 * gs)
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
        put(f"browDown{side}", -0.03 * s * inner, 0.045 * gb)
        put("browInnerUp", zero, -0.06 * inner)
        put(f"browOuterUp{side}", zero, -0.06 * outer)
        put(f"noseSneer{side}", zero, 0.012 * inner)
        # Eyes: lid arcs in the eye's own frame.
        uv, vu, vl, nrm = _eye_lids(lm, up, lo)
        u, v = uv(lm)
        open_h = np.clip(vl(u) - vu(u), 0, None)
        eye_h = float(open_h.max()) + 1e-6
        fade = np.clip(1.25 - np.abs(u), 0, 1) ** 0.5
        above = v < (vu(u) + vl(u)) / 2
        w_up = np.where(v >= vu(u) - 0.5, 1.0, np.clip(1 - (vu(u) - v) / (1.3 * eye_h), 0, 1)) * fade * above
        w_lo = np.where(v <= vl(u) + 0.5, 1.0, np.clip(1 - (v - vl(u)) / (1.0 * eye_h), 0, 1)) * fade * ~above
        nv = np.append(nrm, 0.0)
        # most of the closing is the warp (the lid and its lashes slide down); the graph's lid layer
        # covers the rest (LID_WARP in generator_model.py)
        D[f"eyeBlink{side}"] = (w_up * LID_WARP * open_h - w_lo * LID_RISE * open_h)[:, None] * nv
        D[f"eyeSquint{side}"] = (w_up * 0.1 * open_h - w_lo * 0.3 * open_h)[:, None] * nv
        D[f"eyeWide{side}"] = (-w_up * 0.25 * eye_h)[:, None] * nv
        D[f"eyeLookDown{side}"] = (w_up * 0.2 * open_h)[:, None] * nv
        D[f"eyeLookUp{side}"] = (-w_up * 0.1 * eye_h)[:, None] * nv
        under = np.exp(
            -(((a - a[list(lo)].mean()) / 0.35) ** 2) - ((b - (b[list(lo)].mean() + 0.1)) / 0.1) ** 2
        )
        D[f"cheekSquint{side}"] = face.vec(zero, -0.03 * under) - (w_lo * 0.15 * open_h)[:, None] * nv

    basis = np.zeros((len(ARKIT_INDEX), K, 3))
    for name, d in D.items():
        basis[ARKIT_INDEX[name], : len(mesh_idx)] = d[mesh_idx]
    return basis


def UI_mask(n: int, idx: np.ndarray) -> np.ndarray:  # noqa: N802
    m = np.zeros(n)
    m[idx] = 1.0
    return m


def portrait_colors(img: np.ndarray, lm: np.ndarray, face: FaceFrame) -> np.ndarray:
    """Colours for the drawn layers, measured in the portrait (so a painting gets painted teeth and
    a black-and-white photo grey ones): lips, mouth cavity, teeth, tongue, scleras, skin, lashes."""
    S = img.shape[0]
    f = img.reshape(-1, 3).astype(np.float32) / 255.0

    def poly_mask(*contours):
        m = np.zeros((S, S), np.uint8)
        for i, c in enumerate(contours):
            cv2.fillPoly(m, [np.round(lm[list(c), :2]).astype(np.int32)], 1 if i == 0 else 0)
        return m.reshape(-1).astype(bool)

    def median(mask, fallback):
        return np.median(f[mask], 0) if mask.sum() >= 8 else np.asarray(fallback, np.float32)

    skin_mask = np.zeros((S, S), np.uint8)
    for i in (50, 280, 101, 330):
        cv2.circle(skin_mask, tuple(np.round(lm[i, :2]).astype(int)), max(2, int(0.05 * face.height)), 1, -1)
    skin = median(skin_mask.reshape(-1).astype(bool), (0.8, 0.6, 0.5))
    lip = median(poly_mask(LIPS_UO + LIPS_LO[::-1], LIPS_UI + LIPS_LI[::-1]), skin * (1.0, 0.75, 0.75))
    scleras, lash, lids = [], [], []
    for eye, (up, lo) in enumerate(((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))):
        m = poly_mask(up + lo[::-1]).reshape(S, S)
        yy, xx = np.mgrid[0:S, 0:S]
        # the lid: a band of skin above the upper lid's margin
        band = np.zeros((S, S), np.uint8)
        lift = 0.22 * eye_width(lm, eye)
        top = lm[list(up[2:-2]), :2]
        poly = np.concatenate([top - [0, 2], (top - [0, 2 + lift])[::-1]])
        cv2.fillPoly(band, [np.round(poly).astype(np.int32)], 1)
        if band.sum() >= 8:  # the brighter half: lashes, liner and brow hairs are not lid skin
            px = f[band.reshape(-1).astype(bool)]
            lum = px.mean(1)
            lids.append(np.median(px[lum >= np.median(lum)], 0))
        c = lm[468 + 5 * eye, :2]
        m &= (xx + 0.5 - c[0]) ** 2 + (yy + 0.5 - c[1]) ** 2 > (1.1 * iris_radius(lm, eye)) ** 2
        px = f[m.reshape(-1)]
        if len(px) >= 8:
            lum = px.mean(1)
            sc = np.median(px[lum >= np.percentile(lum, 60)], 0)
            lash.append(np.median(px[lum <= np.percentile(lum, 15)], 0))
        else:
            sc = np.array([0.85, 0.83, 0.8], np.float32)
        scleras.append(np.clip(sc * 1.05, 0, 1))
    sclera_mean = np.mean(scleras, 0)
    teeth = np.clip((0.85 * sclera_mean + 0.15 * lip) * 1.02, 0, 1)
    cavity = lip * 0.3
    tongue = np.clip(lip * np.array([1.0, 0.78, 0.8]) * 0.95 + 0.04, 0, 1)
    lash_c = np.mean(lash, 0) if lash else skin * 0.3
    lid = 0.6 * np.mean(lids, 0) + 0.4 * skin if lids else skin * 0.9
    return np.stack([lip, cavity, teeth, tongue, scleras[0], scleras[1], skin, lash_c, lid])
