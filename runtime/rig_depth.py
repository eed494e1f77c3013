"""The control points' depth, shaped so that head turns compress the far side instead of folding it.

The generator turns the control points in 3D (with the depth gains below) and warps the portrait
backward: every output pixel looks up one source pixel. Where the forward warp folds (the side of
the nose slides over the cheek behind it on a 20-degree turn), a pixel has several sources and the
inversion picks one or another from node to node: a torn, jagged seam down the nose and along the
cheek (seen on every dev portrait at +-20 degrees yaw). A backward warp cannot draw occlusion, so
the depth is changed, as little as possible, until the forward warp's Jacobian stays at or above
UNFOLD_MARGIN at every turn of UNFOLD_POSES; turns past those are eased off (ease_turns). The
displacements are affine in the depth, so this is a small penalty problem, solved once per avatar
by a few linearised rounds of gradient steps.
"""

from __future__ import annotations

import numpy as np

from .facemotion import HEAD_INDEX

# the motion vector's (yaw, pitch) and (x, y) columns, as slices (views, eased in place)
TURN = slice(HEAD_INDEX["yaw"], HEAD_INDEX["pitch"] + 1)
SHIFT = slice(HEAD_INDEX["x"], HEAD_INDEX["y"] + 1)

# Depth gains of a turn (mediapipe's depth is flatter than a head: turned as it is, 20 degrees reads
# back as ~13). Calibrated with both readers of benchmarks/generator_quality.py on the test portrait
# (dlib + solvePnP and mediapipe's mesh) since the unfolding below: yaw 2.0 (1.85 before it), chin
# down 1.45 (1.6 before; at 1.6 and above dlib read the shaped face's chin-down turn short, 14-17
# for 20, while mediapipe read it long, 22-25).
YAW_DEPTH_GAIN = 2.0
PITCH_DEPTH_GAIN = (1.45, 1.15)  # chin down, chin up: the lower face foreshortens differently
# Beyond EASE_FROM degrees the generator eases a turn off toward TURN_LIMIT: one photo holds no
# far side of the head to show, and past it the warp would fold.
EASE_FROM = 20.0
TURN_LIMIT = 26.0
# Head shifts (x and y together, fractions of the frame) past SHIFT_EASE_FROM are eased off toward
# SHIFT_LIMIT in the picture (ease_shifts); natural motion (intensity 1) reaches about 0.025.
SHIFT_EASE_FROM = 0.025
SHIFT_LIMIT = 0.035
SHIFT_FADE = (10.0, 24.0)  # degrees of turn over which a shift fades out of the picture
# Turns (yaw, pitch) at which the warp must not fold: the +-20 degrees the generator promises and
# a little beyond, alone and combined (the generator eases turns off toward TURN_LIMIT beyond 20).
UNFOLD_POSES = ((22, 0), (-22, 0), (0, 22), (0, -22), (20, 12), (-20, 12), (20, -12), (-20, -12))
# smallest area ratio of the forward warp at those turns (1 = no compression); the graph's Newton
# inversion trusts its Jacobian from 0.15 up. More (25 degrees at 0.25) flattens more of the face:
# dlib then read a 20-degree turn of the test portrait as 16.3 (yaw gain 1.85).
UNFOLD_MARGIN = 0.2
UNFOLD_ROUNDS = 8
UNFOLD_TOLERANCE = 0.005  # of the area ratio: a node this close to the margin is on it
UNFOLD_STEPS = 200
FRONT_STIFFNESS = 0.05  # how freely the front-most point moves, against 1 for points well behind


def smooth_depth(p: np.ndarray, sigma: float) -> np.ndarray:
    """Depth averaged over neighbours (Gaussian): mediapipe's depth is noisy from point to point, and
    each wiggle is a slope that a turn magnifies."""
    if sigma <= 0:
        return p[:, 2]
    d2 = ((p[:, None, :2] - p[None, :, :2]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma**2))
    return (w @ p[:, 2]) / w.sum(1)


def ease_turns(motion: np.ndarray) -> np.ndarray:
    """A copy of (N, 62) FaceMotion vectors whose head turn (yaw and pitch together: the angle
    between the face's direction and the camera's, roughly) is eased off past EASE_FROM toward
    TURN_LIMIT: identity up to EASE_FROM, smooth after, direction kept. The FaceMotion itself keeps
    its angles: 3D and Live2D avatars can turn further than a warped portrait."""
    out = np.array(motion, np.float32, copy=True)
    _ease(out[:, TURN], EASE_FROM, TURN_LIMIT)
    return out


def ease_shifts(motion: np.ndarray) -> np.ndarray:
    """A copy of (N, 62) FaceMotion vectors whose head shift (x, y together, fractions of the frame)
    is eased off past SHIFT_EASE_FROM toward SHIFT_LIMIT, direction kept, as ease_turns does for
    turns: the hair and background beside a head shifted further compress until the warp folds
    (intensity 2 with an emotion reaches 0.045 across and 0.03 up; at that the AI painting's warp
    folds, while every dev portrait keeps an area ratio of 0.27 or more up to 0.035). During a
    large turn, which the depth shaping holds just above UNFOLD_MARGIN, the shift fades out from
    SHIFT_FADE[0] to SHIFT_FADE[1] degrees of turn: the shift the motion engine pairs with a
    20-degree turn folded the forehead's hairline on the AI painting (a notch from 0.01 up)."""
    out = np.array(motion, np.float32, copy=True)
    shift = out[:, SHIFT]  # a view: eased in place
    _ease(shift, SHIFT_EASE_FROM, SHIFT_LIMIT)
    turn = np.hypot(*out[:, TURN].T)
    shift *= np.clip((SHIFT_FADE[1] - turn) / (SHIFT_FADE[1] - SHIFT_FADE[0]), 0.0, 1.0)[:, None]
    return out


def _ease(pairs: np.ndarray, start: float, limit: float) -> None:
    """In place on (N, 2) pairs: their length is left alone up to `start` and eased toward `limit`
    after it (a tanh), direction kept."""
    r = np.hypot(pairs[:, 0], pairs[:, 1])
    over = r > start
    if over.any():
        room = limit - start
        pairs[over] *= ((start + room * np.tanh((r[over] - start) / room)) / r[over])[:, None]


def _pose_terms(
    rel: np.ndarray, rest: np.ndarray, head_w: np.ndarray, yaw: float, pitch: float
) -> tuple[np.ndarray, np.ndarray]:
    """Displacement of every control point under a head turn (pitch, then yaw, as the graph does;
    roll is in the image plane and cannot fold), written as const + lin * z: (K, 2) each."""
    ya, pi = np.radians(yaw), np.radians(pitch)
    g = PITCH_DEPTH_GAIN[0] if pitch < 0 else PITCH_DEPTH_GAIN[1]
    x, y = rel[:, 0], rel[:, 1]
    # y1 = y cos p + g z sin p;  x2 = x cos a - G (z cos p - y sin p) sin a
    const = np.stack(
        [
            rest[:, 0] + head_w * (x * (np.cos(ya) - 1) + YAW_DEPTH_GAIN * np.sin(ya) * np.sin(pi) * y),
            rest[:, 1] + head_w * y * (np.cos(pi) - 1),
        ],
        -1,
    )
    lin = np.stack([-head_w * YAW_DEPTH_GAIN * np.sin(ya) * np.cos(pi), head_w * g * np.sin(pi)], -1)
    return const, lin


def _derivatives(tps: np.ndarray, nodes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per warp, the TPS matrix differentiated along x and along y on the grid: (G, K) each."""
    gh, gw = nodes.shape[:2]
    cx, cy = float(nodes[0, 1, 0] - nodes[0, 0, 0]), float(nodes[1, 0, 1] - nodes[0, 0, 1])
    out = []
    for t in tps:
        grid = t.reshape(gh, gw, -1).astype(np.float64)
        out.append(
            (
                np.gradient(grid, cx, axis=1).reshape(gh * gw, -1),
                np.gradient(grid, cy, axis=0).reshape(gh * gw, -1),
            )
        )
    return out


def _area_ratio(dx, dy, const, lin, z, rows=slice(None), with_gradient=False):
    """Jacobian determinant of the forward warp at the grid nodes `rows` (and its gradient in z)."""
    dx, dy = dx[rows], dy[rows]
    ux, uy = const[:, 0] + lin[:, 0] * z, const[:, 1] + lin[:, 1] * z
    a, b = dx @ ux, dy @ ux  # d(disp x)/dx, d(disp x)/dy
    c, d = dx @ uy, dy @ uy  # d(disp y)/dx, d(disp y)/dy
    det = (1 + a) * (1 + d) - b * c
    if not with_gradient:
        return det
    grad = (
        (1 + d)[:, None] * (dx * lin[:, 0])
        + (1 + a)[:, None] * (dy * lin[:, 1])
        - c[:, None] * (dy * lin[:, 0])
        - b[:, None] * (dx * lin[:, 1])
    )
    return det, grad


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
    The displacements are affine in the depth, so the warp's area ratio at a node is a product of
    affine terms: each round linearises it at the current depth on the nodes near the limit and
    takes gradient steps on the shortfall below UNFOLD_MARGIN.
    """
    rel = ctrl + rest - pivot
    active = head_w > 0.05
    z = rel[:, 2].copy()
    # Points in front (the nose) are stiff, points behind move freely: a fold is undone by bringing
    # the cheek beside the nose forward rather than by flattening the nose, whose tip carries the
    # turn for anyone reading the head's pose.
    behind = z - z[active].min()
    soft = np.where(
        active, FRONT_STIFFNESS + np.clip(behind / max(float(np.median(behind[active])), 1e-6), 0, 1), 0
    )
    derivs = _derivatives(tps, nodes)
    terms = [_pose_terms(rel, rest, head_w, y, p) for y, p in UNFOLD_POSES]
    cols = np.nonzero(active)[0]
    w = soft[cols]
    for _ in range(UNFOLD_ROUNDS):
        grads, base = [], []
        for dx, dy in derivs:
            for const, lin in terms:
                det = _area_ratio(dx, dy, const, lin, z)
                near = np.nonzero(det < UNFOLD_MARGIN + 0.05)[0]
                if near.size:
                    det_n, grad = _area_ratio(dx, dy, const, lin, z, near, with_gradient=True)
                    grads.append(grad[:, cols])
                    base.append(det_n)
        if not base or min(float(b.min()) for b in base) > UNFOLD_MARGIN - UNFOLD_TOLERANCE:
            break
        m, b0 = np.concatenate(grads), np.concatenate(base)
        # accelerated gradient steps on the linearised shortfall (stiffness as preconditioner)
        step = 1.0 / _largest_eigenvalue(m * np.sqrt(w))
        x = prev = np.zeros(len(cols))
        for k in range(UNFOLD_STEPS):
            y = x + (k / (k + 3)) * (x - prev)
            short = np.maximum(UNFOLD_MARGIN - (b0 + m @ y), 0.0)
            if short.max() < UNFOLD_TOLERANCE:
                x = y
                break
            prev, x = x, y + w * (m.T @ short) * step
        z[cols] += x
    return z + pivot[2] - rest[:, 2]


def _largest_eigenvalue(a: np.ndarray, iterations: int = 30) -> float:
    """Largest eigenvalue of a.T @ a by power iteration (a few matrix-vector products instead of a
    full eigendecomposition); a little over, never under, so the steps stay stable."""
    v = np.ones(a.shape[1]) / np.sqrt(a.shape[1])
    lam = 0.0
    for _ in range(iterations):
        u = a.T @ (a @ v)
        lam = float(np.linalg.norm(u))
        v = u / max(lam, 1e-30)
    return 1.1 * lam + 1e-12


def turned_points(rig: dict[str, np.ndarray], yaw: float, pitch: float) -> np.ndarray:
    """(K, 2) the control points where the graph puts them under a head turn (no expression, roll,
    shift or scale): for comparing the rig's turn with a real one (benchmarks/turn_realism.py)."""
    rest = rig["rest"].astype(np.float64)
    rel = rig["ctrl"].astype(np.float64) + rest - rig["geom"][1:4].astype(np.float64)
    const, lin = _pose_terms(rel, rest, rig["head_weight"].astype(np.float64), yaw, pitch)
    return rig["ctrl"][:, :2].astype(np.float64) + const + lin * rel[:, 2:3]


def warp_area_ratio(
    rig: dict[str, np.ndarray], yaw: float = 0.0, pitch: float = 0.0, x: float = 0.0, y: float = 0.0
) -> np.ndarray:
    """(Gh, Gw) Jacobian determinant of the forward warp of both lips' variants (the smaller) at a
    head turn and shift (x, y: FaceMotion's, fractions of the frame), as the graph computes it:
    below 0 the warp folds (a tear in the frame), below 0.15 the graph's Newton inversion stops
    trusting its Jacobian. For tests and diagnostics."""
    rest = rig["rest"].astype(np.float64)
    rel = rig["ctrl"].astype(np.float64) + rest - rig["geom"][1:4].astype(np.float64)
    head_w = rig["head_weight"].astype(np.float64)
    const, lin = _pose_terms(rel, rest, head_w, yaw, pitch)
    size = rig["texture"].shape[-1] // 2  # the texture is the portrait upscaled 2x
    const = const + head_w[:, None] * np.array([x, -y]) * size
    nodes = rig["grid_nodes"]
    dets = [_area_ratio(dx, dy, const, lin, rel[:, 2]) for dx, dy in _derivatives(rig["tps"], nodes)]
    return np.minimum(*dets).reshape(nodes.shape[:2])
