"""The control points' depth, shaped so that head turns compress the far side instead of folding it.

The generator turns the control points in 3D (with the depth gains below) and warps the portrait
backward: every output pixel looks up one source pixel. Where the forward warp folds (the side of
the nose slides over the cheek behind it on a 20-degree turn), a pixel has several sources and the
inversion picks one or another from node to node: a torn, jagged seam down the nose and along the
cheek (seen on every dev portrait at +-20 degrees yaw). A backward warp cannot draw occlusion, so
the depth is changed, as little as possible, until the forward warp's Jacobian stays positive
(UNFOLD_MARGIN) up to UNFOLD_DEGREES of yaw and pitch. The warp is linear in the depth, so this is a
small least-squares problem solved by gradient steps once per avatar.
"""

from __future__ import annotations

import numpy as np

# Depth gains of a turn (mediapipe's depth is flatter than a head: turned as it is, 20 degrees reads
# back as ~13). Calibrated with both readers of benchmarks/generator_quality.py on the test portrait
# (dlib + solvePnP and mediapipe's mesh): yaw 2.0 since the unfolding below (1.85 before it).
YAW_DEPTH_GAIN = 2.0
PITCH_DEPTH_GAIN = (1.6, 1.15)  # chin down, chin up: the lower face foreshortens differently
UNFOLD_DEGREES = 20.0  # no fold up to this turn: the range the generator promises
# smallest area ratio of the forward warp at that turn (1 = no compression): the graph's Newton
# inversion trusts its Jacobian from 0.15 up. More margin (22 or 25 degrees) flattens more of the
# face: at 25 degrees dlib read a 20-degree turn of the test portrait as 16.3 (yaw gain 1.85).
UNFOLD_MARGIN = 0.15
UNFOLD_STEPS = 2000
FRONT_STIFFNESS = 0.05  # how freely the front-most point moves, against 1 for points well behind


def smooth_depth(p: np.ndarray, sigma: float) -> np.ndarray:
    """Depth averaged over neighbours (Gaussian): mediapipe's depth is noisy from point to point, and
    each wiggle is a slope that a turn magnifies."""
    if sigma <= 0:
        return p[:, 2]
    d2 = ((p[:, None, :2] - p[None, :, :2]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma**2))
    return (w @ p[:, 2]) / w.sum(1)


def _turns() -> list[tuple[int, float, float]]:
    """(axis, signed depth factor, cos) per checked pose: axis 0 = yaw (x moves), 1 = pitch (y)."""
    a = np.radians(UNFOLD_DEGREES)
    s, c = float(np.sin(a)), float(np.cos(a))
    return [
        (0, -YAW_DEPTH_GAIN * s, c),  # yaw +: x' = x cos - g z sin
        (0, YAW_DEPTH_GAIN * s, c),  # yaw -
        (1, PITCH_DEPTH_GAIN[1] * s, c),  # pitch + (chin up): y' = y cos + g z sin
        (1, -PITCH_DEPTH_GAIN[0] * s, c),  # pitch - (chin down)
    ]


def unfold_depth(
    ctrl: np.ndarray,
    rest: np.ndarray,
    head_w: np.ndarray,
    tps: np.ndarray,
    nodes: np.ndarray,
    pivot: np.ndarray,
) -> np.ndarray:
    """New depth for every control point (those that do not follow the head keep theirs).

    ctrl, rest (K, 3); head_w (K,); tps (W, G, K) for the W warps; nodes (Gh, Gw, 2); pivot (3,).
    For a pure turn about one axis the moved coordinate is u cos + f z (u = x or y about the pivot),
    so along that axis the warp's derivative is 1 + D(rest + w u (cos - 1)) + f D(w z), with D the
    TPS matrix differentiated along the axis on the grid: affine in z.
    """
    gh, gw = nodes.shape[:2]
    cell = (float(nodes[0, 1, 0] - nodes[0, 0, 0]), float(nodes[1, 0, 1] - nodes[0, 0, 1]))
    pts = ctrl + rest
    rel = pts - pivot
    z0 = rel[:, 2].copy()
    active = head_w > 0.05
    w = head_w[active]
    rows, fixed = [], []
    for axis, factor, c in _turns():
        for t in tps:
            grid = t.reshape(gh, gw, -1)
            d = np.gradient(grid, cell[axis], axis=1 - axis).reshape(gh * gw, -1)
            keep = np.abs(d).sum(1) > 1e-9
            d = d[keep]
            base = 1.0 + d @ (rest[:, axis] + head_w * rel[:, axis] * (c - 1.0))
            lin = factor * d[:, active] * w  # d(derivative)/dz for the active points
            fixed.append(base + factor * d[:, ~active] @ (head_w[~active] * rel[~active, 2]))
            rows.append(lin)
    m = np.concatenate(rows).astype(np.float64)
    b = np.concatenate(fixed)
    z = z0[active].copy()
    # Points in front (the nose) are stiff, points behind move freely: a fold is undone by bringing
    # the cheek beside the nose forward rather than by flattening the nose, whose tip carries the
    # turn for anyone reading the head's pose.
    behind = z - z.min()
    soft = FRONT_STIFFNESS + np.clip(behind / max(float(np.median(behind)), 1e-6), 0.0, 1.0)
    for _ in range(4):  # only nodes near the margin can bind: solve on those, then check them all
        near = b + m @ z < UNFOLD_MARGIN + 0.3
        if not (b + m @ z < UNFOLD_MARGIN - 1e-3).any():
            break
        mn, bn = m[near], b[near]
        ms = mn * np.sqrt(soft)
        lip = float(np.linalg.eigvalsh(ms.T @ ms).max())  # the penalty's curvature (points x points)
        for _ in range(UNFOLD_STEPS):
            short = np.maximum(UNFOLD_MARGIN - (bn + mn @ z), 0.0)
            if short.max() < 1e-3:
                break
            z += soft * (mn.T @ short) / lip
    out = rel[:, 2].copy()
    out[active] = z
    return out + pivot[2] - rest[:, 2]


def warp_area_ratio(rig: dict[str, np.ndarray], yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """(Gh, Gw) Jacobian determinant of the forward warp of both lips' variants (the smaller) at a
    pure head turn, as the graph computes it: below 0 the warp folds (a tear in the frame), below
    0.15 the graph's Newton inversion stops trusting its Jacobian. For tests and diagnostics."""
    ctrl, rest = rig["ctrl"].astype(np.float64), rig["rest"].astype(np.float64)
    pivot = rig["geom"][1:4].astype(np.float64)
    rel = ctrl + rest - pivot
    x, y, z = rel[:, 0], rel[:, 1], rel[:, 2]
    ya, pi = np.radians(yaw), np.radians(pitch)
    gain = PITCH_DEPTH_GAIN[0] if pitch < 0 else PITCH_DEPTH_GAIN[1]
    y1 = y * np.cos(pi) + gain * z * np.sin(pi)
    z1 = z * np.cos(pi) - y * np.sin(pi)
    x2 = x * np.cos(ya) - YAW_DEPTH_GAIN * z1 * np.sin(ya)
    moved = np.stack([x2, y1], -1)
    w = rig["head_weight"].astype(np.float64)[:, None]
    disp = rest[:, :2] + w * (moved - rel[:, :2])
    nodes = rig["grid_nodes"]
    gh, gw = nodes.shape[:2]
    cx, cy = float(nodes[0, 1, 0] - nodes[0, 0, 0]), float(nodes[1, 0, 1] - nodes[0, 0, 1])
    dets = []
    for t in rig["tps"].astype(np.float64):
        f = (t @ disp).reshape(gh, gw, 2)
        fx_x, fy_x = np.gradient(f[..., 0], cx, axis=1), np.gradient(f[..., 1], cx, axis=1)
        fx_y, fy_y = np.gradient(f[..., 0], cy, axis=0), np.gradient(f[..., 1], cy, axis=0)
        dets.append((1 + fx_x) * (1 + fy_y) - fx_y * fy_x)
    return np.minimum(*dets)
