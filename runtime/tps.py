"""Thin-plate spline matrices (numpy only): the rig's warps and the texture's mouth closing solve
the same spline, folded into one (targets x points) matrix so that applying it is a product."""

from __future__ import annotations

import numpy as np


def tps_kernel(r2: np.ndarray) -> np.ndarray:
    return np.where(r2 > 1e-12, 0.5 * r2 * np.log(np.maximum(r2, 1e-12)), 0.0)


def _system(c: np.ndarray, reg: float) -> np.ndarray:
    """The spline's (k + 3) square system for points c (k, 2): kernel (smoothed by reg) and affine part."""
    k = len(c)
    L = np.zeros((k + 3, k + 3))
    L[:k, :k] = tps_kernel(((c[:, None] - c[None]) ** 2).sum(-1)) + reg * np.eye(k)
    L[:k, k] = 1
    L[:k, k + 1 :] = c
    L[k, :k] = 1
    L[k + 1 :, :k] = c.T
    return L


def tps_matrix(ctrl: np.ndarray, nodes: np.ndarray, use: np.ndarray, S: int, reg: float) -> np.ndarray:
    """(nodes x all points) matrix M with forward displacement at the nodes = M @ point displacement.
    Points not in `use` get a zero column. Coordinates are scaled by S for conditioning."""
    c = ctrl[use] / S
    g = nodes / S
    k = len(c)
    Linv = np.linalg.inv(_system(c, reg))[:, :k]  # weights = Linv @ displacements
    gd2 = ((g[:, None] - c[None]) ** 2).sum(-1)
    B = np.concatenate([tps_kernel(gd2), np.ones((len(g), 1)), g], 1)
    out = np.zeros((len(g), len(ctrl)))
    out[:, use] = B @ Linv
    return out


def tps_warp(
    ctrl: np.ndarray, disp: np.ndarray, targets: np.ndarray, use: np.ndarray, S: int, reg: float
) -> np.ndarray:
    """(targets, D) the spline through `disp` (points, D) at the points in `use`, evaluated at the
    targets: tps_matrix(...) @ disp without forming the matrix (many targets, one displacement)."""
    c = ctrl[use] / S
    k = len(c)
    rhs = np.zeros((k + 3, disp.shape[1]))
    rhs[:k] = disp[use]
    w = np.linalg.solve(_system(c, reg), rhs)
    g = targets / S
    out = w[k] + g @ w[k + 1 :]
    cc = (c * c).sum(1)
    for i in range(0, len(g), 4096):  # (chunks keep the kernel block small)
        gi = g[i : i + 4096]
        gd2 = np.maximum((gi * gi).sum(1)[:, None] + cc[None] - 2.0 * gi @ c.T, 0.0)
        out[i : i + 4096] += tps_kernel(gd2) @ w[:k]
    return out


def box_border(x0: int, y0: int, x1: int, y1: int, spacing: float) -> np.ndarray:
    """Fixed points along a box's edge (pixel-edge coordinates): a spline pinned there changes
    nothing outside the box."""
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
