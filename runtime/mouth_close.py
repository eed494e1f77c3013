"""Closing a portrait's open mouth once, in the picture the rig samples (numpy and OpenCV only).

The rig shows shut lips at rest whatever the portrait shows, and opens them from there. It used to
close a parted mouth in every frame, moving the lips together through the warp's 8-pixel grid:
what lay between the lips (a smile's teeth, most of a wide-open mouth) then came through between
them, as a line of teeth or, on a shout, a pale smear over the upper lip (docs/generator.md, "A
portrait's open mouth"). Here the mouth is closed once per avatar, at full resolution: the jaw
rises by what the lips cannot close by themselves, the lips meet at a seam, and the rig is built
from the closed portrait and its closed landmarks exactly as from a portrait whose mouth is shut.
"""

from __future__ import annotations

import cv2
import numpy as np

from .face_anatomy import LIPS_LI, LIPS_LO, LIPS_UI, LIPS_UO, FaceFrame, select_mesh_points
from .lip_edges import PARTED, around_lips, lip_colour, opening_mask, parted_lip_edges
from .rig_basis import jaw_weights, smoothstep
from .tps import box_border, tps_warp

# Face heights of opening the lips close by themselves; the jaw rises by the rest. A broad smile
# parts the lips this far over teeth held together (the astronaut 0.096, the smiling dev portrait
# 0.112); a shout or a sung note opens further (a speaker in the eval-dev videos 0.23). Telling
# the teeth's gap by colour was tried: under red lipstick the tongue reads as teeth.
LIPS_CLOSE = 0.11
SEAM_INSET = 0.75  # pixels (at 512) into each lip the seam reads from: the lip's edge row is half opening
# The part of the portrait the closing may change, from the mouth: half-width in interpupillary
# distances, top and bottom in face heights (the jaw's weight fades out within it).
BOX_HALF_WIDTH, BOX_TOP, BOX_BOTTOM = 1.6, -0.45, 1.0
FADE = 0.12  # share of the box, at its edges, over which the change fades to none
GRID = 4  # pixels between the spline's evaluations (bilinear between: it bends smoothly)
SEAM_SOFT = 0.75  # pixels either side of the seam over which the two lips' maps blend
CORNER_BLEND = 0.25  # beyond a corner: face heights (per iris distance out) where the two lips' maps blend
MESH_SPACING = 0.035  # face heights between the spline's interior mesh points (as the rig's)
TPS_REG = 1e-4


def mouth_for_rig(img: np.ndarray, lm: np.ndarray, cel: bool) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks (478, 3), image) a rig is built from: a photo's parted mouth closed in the
    picture (its landmarks moved to match); shut mouths and cel art (whose drawn mouth is
    drawn_mouth.py's) come back as they are, the same arrays."""
    closing = mouth_closing(img, lm, cel)
    if closing is None:
        return lm, img
    face, edges, closed = closing
    return closed, close_in_picture(without_opening(img, edges, face), edges, closed, face)


def mouth_closing(
    img: np.ndarray, lm: np.ndarray, cel: bool
) -> tuple[FaceFrame, np.ndarray, np.ndarray] | None:
    """(face frame, lip-edge landmarks, closed landmarks) of a photo's parted mouth, from which
    close_in_picture redraws it shut; None for shut mouths and cel art (left as they are)."""
    if cel:
        return None
    face = FaceFrame.from_landmarks(lm)
    edges = parted_lip_edges(img, lm, face)
    if edges is lm:
        return None
    return face, edges, closed_landmarks(edges, face)


def close_rest_mouth(lm: np.ndarray, face: FaceFrame) -> np.ndarray:
    """Move a parted mouth's lip contours together (the inner lines meet halfway, the outer ones
    follow by 0.3 of the gap); shut mouths come back as a copy."""
    out = lm.copy()
    ui, li = np.array(LIPS_UI), np.array(LIPS_LI)
    gap = np.clip((lm[li, :2] - lm[ui, :2]) @ face.down, 0, None)
    if gap.max() < PARTED * face.height:
        return out
    d = face.down
    out[list(LIPS_UI), :2] += 0.5 * gap[:, None] * d
    out[list(LIPS_LI), :2] -= 0.5 * gap[:, None] * d
    out[list(LIPS_UO), :2] += 0.3 * gap[:, None] * d
    out[list(LIPS_LO), :2] -= 0.3 * gap[:, None] * d
    return out


def closed_landmarks(edges: np.ndarray, face: FaceFrame) -> np.ndarray:
    """The landmarks of the same face with its mouth shut: the jaw (and everything that follows
    it, rig_basis.jaw_weights) rises by the opening beyond LIPS_CLOSE, never past shut, then the
    lips close the rest (close_rest_mouth). The mesh's points between the lip contours follow
    their lip."""
    ui, li = np.array(LIPS_UI[1:-1]), np.array(LIPS_LI[1:-1])
    gap = (edges[li, :2] - edges[ui, :2]) @ face.down
    wj = jaw_weights(edges, face)
    share = wj[li] - wj[ui]  # how much of a unit of jaw each column's opening loses
    jaw = max(0.0, float(gap.max()) - LIPS_CLOSE * face.height)
    ok = share > 1e-3
    if ok.any():
        jaw = min(jaw, float(np.min(np.maximum(gap[ok], 0.0) / share[ok])))
    risen = edges.copy()
    risen[:, :2] -= jaw * wj[:, None] * face.down
    closed = close_rest_mouth(risen, face)
    return _carry_lip_interior(edges, closed, face)


def _carry_lip_interior(edges: np.ndarray, closed: np.ndarray, face: FaceFrame) -> np.ndarray:
    """Mesh points inside a lip (between its outer and inner contour) moved as their lip moved
    (a spline through the lip's two contours): the contours alone moved in closed_landmarks."""
    contour = sorted(set(LIPS_UO + LIPS_LO + LIPS_UI + LIPS_LI))
    outline = np.round(edges[list(LIPS_UO + LIPS_LO[::-1]), :2]).astype(np.float32)
    inside = [
        i
        for i in range(468)
        if i not in contour
        and cv2.pointPolygonTest(outline, (float(edges[i, 0]), float(edges[i, 1])), False) >= 0
    ]
    if not inside:
        return closed
    inside = np.array(inside)
    a, b = face.local(edges[inside])
    mid = 0.5 * (np.interp(a, *_curve(edges, LIPS_UI, face)) + np.interp(a, *_curve(edges, LIPS_LI, face)))
    out = closed.copy()
    for lip, points in ((LIPS_UO + LIPS_UI, inside[b < mid]), (LIPS_LO + LIPS_LI, inside[b >= mid])):
        if len(points):
            ids = np.array(sorted(set(lip)))
            moved = closed[ids, :2] - edges[ids, :2]
            use = np.ones(len(ids), bool)
            out[points, :2] = edges[points, :2] + tps_warp(
                edges[ids, :2], moved, edges[points, :2], use, 512, TPS_REG
            )
    return out


def _curve(lm: np.ndarray, contour: tuple[int, ...], face: FaceFrame) -> tuple[np.ndarray, np.ndarray]:
    """A lip contour as (a, b) in face units, sorted across the face (for np.interp)."""
    a, b = face.local(lm[list(contour)])
    order = np.argsort(a)
    return a[order], b[order]


def without_opening(img: np.ndarray, edges: np.ndarray, face: FaceFrame) -> np.ndarray:
    """The portrait with its mouth's opening painted over from the lips around it: the part
    between the lips' inner edges and the teeth and dark in one piece with it inside the lips'
    outline (a tooth's tip between two control points of the inner line), so that whatever the
    closed seam reads is lip."""
    origin, crop = around_lips(img, edges, face)
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
    at = edges[:, :2] - origin
    inner = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillPoly(inner, [np.round(at[list(LIPS_UI + LIPS_LI[::-1])]).astype(np.int32)], 1)
    lips = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(at[list(LIPS_UO + LIPS_LO[::-1])]).astype(np.int32)], 1)
    opening = ((opening_mask(lab, lip_colour(lab, at)) & (lips > 0)) | (inner > 0)).astype(np.uint8)
    _, labels = cv2.connectedComponents(opening, connectivity=8)
    touching = np.unique(labels[inner > 0])
    mask = np.isin(labels, touching[touching > 0]).astype(np.uint8)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))  # (their soft edges too)
    out = img.copy()
    x0, y0 = origin.astype(int)
    out[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = cv2.inpaint(crop, mask, 3, cv2.INPAINT_TELEA)
    return out


def close_in_picture(img: np.ndarray, edges: np.ndarray, closed: np.ndarray, face: FaceFrame) -> np.ndarray:
    """The portrait (S, S, 3) uint8 redrawn with its landmarks at `closed`: each pixel near the
    mouth reads the portrait where a thin-plate spline through the mesh's points puts it, the
    upper lip's spline above the seam, the lower lip's below (two splines: the lips' inner points
    meet at the seam but come from either side of the opening)."""
    S = img.shape[0]
    box = _box(closed, face, S)
    x0, y0, x1, y1 = box
    idx = select_mesh_points(edges, face, MESH_SPACING)
    # (points outside the box are still: its border pins the spline there)
    idx = idx[np.all((closed[idx, :2] > [x0, y0]) & (closed[idx, :2] < [x1, y1]), axis=1)]
    # each lip's inner points read SEAM_INSET into the lip: the edge row blends into the opening
    inset = SEAM_INSET * S / 512
    src = edges[idx, :2].copy()
    src[np.isin(idx, LIPS_UI[1:-1])] -= inset * face.down
    src[np.isin(idx, LIPS_LI[1:-1])] += inset * face.down
    dst = closed[idx, :2]
    border = box_border(x0, y0, x1, y1, spacing=S / 24)
    ctrl = np.concatenate([dst, border])
    disp = np.concatenate([src - dst, np.zeros_like(border)])
    upper = np.ones(len(ctrl), bool)
    upper[: len(idx)] = ~np.isin(idx, LIPS_LI[1:-1])
    lower = np.ones(len(ctrl), bool)
    lower[: len(idx)] = ~np.isin(idx, LIPS_UI[1:-1])
    gx = np.arange(x0, x1 + GRID, GRID, dtype=np.float64)
    gy = np.arange(y0, y1 + GRID, GRID, dtype=np.float64)
    nodes = np.stack(np.meshgrid(gx + 0.5, gy + 0.5), -1).reshape(-1, 2)
    maps = []
    for use in (upper, lower):
        coarse = tps_warp(ctrl, disp, nodes, use, S, TPS_REG).reshape(len(gy), len(gx), 2)
        fine = cv2.resize(coarse.astype(np.float32), ((len(gx) - 1) * GRID + 1, (len(gy) - 1) * GRID + 1))
        maps.append(fine[: y1 - y0, : x1 - x0])
    ry, rx = np.mgrid[y0:y1, x0:x1].astype(np.float64) + 0.5
    a, b = face.local(np.stack([rx, ry], -1))
    seam_a, seam_b = _curve(closed, LIPS_UI, face)
    below = b - np.interp(a, seam_a, seam_b)
    beyond = np.maximum(0.0, np.abs(a) - np.abs(seam_a[[0, -1]]).mean())
    # a pixel wide along the seam (no stair steps), wider beyond the corners (no crease)
    soft = np.maximum(CORNER_BLEND * beyond, SEAM_SOFT / face.height)
    w_lower = smoothstep(-soft, soft, below)
    d = maps[0] * (1 - w_lower[..., None]) + maps[1] * w_lower[..., None]
    d *= _fade(x1 - x0, y1 - y0)[..., None]
    map_x = (rx - 0.5 + d[..., 0]).astype(np.float32)
    map_y = (ry - 0.5 + d[..., 1]).astype(np.float32)
    out = img.copy()
    out[y0:y1, x0:x1] = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out


def _box(lm: np.ndarray, face: FaceFrame, S: int) -> tuple[int, int, int, int]:
    """The pixels the closing may change (x0, y0, x1, y1): the mouth and the jaw around it."""
    corners = []
    for sa in (-BOX_HALF_WIDTH, BOX_HALF_WIDTH):
        for sb in (BOX_TOP, BOX_BOTTOM):
            corners.append(face.mouth + sa * face.ipd * face.right + sb * face.height * face.down)
    c = np.array(corners)
    x0, y0 = np.clip(np.floor(c.min(0)), 0, S - 2).astype(int)
    x1, y1 = np.clip(np.ceil(c.max(0)), [x0 + 2, y0 + 2], S).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def _fade(w: int, h: int) -> np.ndarray:
    """(h, w) weight 1 inside the box, falling to 0 at its edges over FADE of its size."""
    fx = smoothstep(0.0, FADE, np.minimum(np.arange(w) + 0.5, w - 0.5 - np.arange(w)) / w)
    fy = smoothstep(0.0, FADE, np.minimum(np.arange(h) + 0.5, h - 0.5 - np.arange(h)) / h)
    return fy[:, None] * fx[None, :]
