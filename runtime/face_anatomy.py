"""Where the parts of a face are, in mediapipe's 478-point face mesh (numpy only).

The rig's control points, blendshapes and colour samples all need the same landmark groups and the
same face-aligned frame; they live here once, so the index tables have one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import AvatarError

# Mediapipe face-mesh index groups (the subject's right eye is on the image's left).
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
BROW_TOPS = BROW_R[:5] + BROW_L[4::-1]  # both brows' upper edges, across the face
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


def iris_radius(lm: np.ndarray, eye: int) -> float:
    """Iris radius in pixels (eye 0 = the subject's right), from the mesh's four iris-edge points."""
    c = 468 + 5 * eye
    return float(np.linalg.norm(lm[c + 1 : c + 5, :2] - lm[c, :2], axis=1).mean())


def iris_axes(lm: np.ndarray, eye: int) -> tuple[float, float]:
    """The iris's half-width and half-height in pixels (mediapipe's edge points: right, top,
    left, bottom)."""
    c = 468 + 5 * eye
    d = np.linalg.norm(lm[c + 1 : c + 5, :2] - lm[c, :2], axis=1)
    return float((d[0] + d[2]) / 2), float((d[1] + d[3]) / 2)


def eye_width(lm: np.ndarray, eye: int) -> float:
    """Corner-to-corner width of an eye in pixels (eye 0 = the subject's right)."""
    a, b = ((33, 133), (263, 362))[eye]
    return float(np.linalg.norm(lm[a, :2] - lm[b, :2]))


def eye_reach(lm: np.ndarray, eye: int) -> float:
    """How far (pixels) the eye's lids reach from the line through its corners, up or down: a
    drawn (anime) eye reaches several times as far as a human one."""
    up, lo = ((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))[eye]
    c0, c1 = lm[up[0], :2], lm[up[-1], :2]
    ax = (c1 - c0) / max(float(np.linalg.norm(c1 - c0)), 1e-6)
    d = lm[list(up + lo), :2] - c0
    return float(np.abs(d[:, 0] * ax[1] - d[:, 1] * ax[0]).max())


def eye_lid_frame(lm: np.ndarray, up: tuple, lo: tuple):
    """Eye-local frame and lid curves, for lid motions: (uv, upper_v, lower_v, normal) where uv(p)
    gives u across the eye (-1..1 corner to corner) and v down it (pixels), and upper_v(u) / lower_v(u)
    are the lids' v."""
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
