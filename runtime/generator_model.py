"""The generator as a torch module, exported to ONNX by scripts/export_generator.py.

Imported only by the export script and the tests (torch is not a runtime dependency); the runtime
runs the exported graph with onnxruntime (runtime/generator.py). Avatar tensors come from
runtime/rig.py and are graph inputs, so the file holds no per-avatar data.

Per frame: blendshape basis -> control points, head pose -> 3D rotation about the neck, projection
and translation; thin-plate spline forward displacement on a low-resolution grid (one matmul: the
system inverse is precomputed), inverted to a backward map by Newton steps; the mouth, eye and iris
layers are described by smooth distance fields on the same grid; everything is upsampled once,
the portrait is sampled once at full resolution, and the layers are composited with sharp masks
taken from the upsampled distance fields (crisp edges without full-resolution geometry).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .names import ARKIT_INDEX

INPUT_NAMES = (
    "motion",
    "texture",
    "background",
    "paste_index",
    "region_pix",
    "grid_nodes",
    "ctrl",
    "rest",
    "head_weight",
    "basis",
    "tps",
    "mouth_index",
    "eye_index",
    "iris_index",
    "iris_src",
    "geom",
    "colors",
)
OUTPUT_NAMES = ("frames",)
NEWTON_STEPS = 4
_B = ARKIT_INDEX


def _rot(yaw: torch.Tensor, pitch: torch.Tensor, roll: torch.Tensor) -> torch.Tensor:
    """(N, 3, 3) rotation in image axes (x right, y down, z away from the camera): yaw > 0 turns
    the face toward the viewer's right, pitch > 0 lifts the chin, roll > 0 is clockwise."""
    cy, sy, cp, sp, cr, sr = yaw.cos(), yaw.sin(), pitch.cos(), pitch.sin(), roll.cos(), roll.sin()
    o, z = torch.ones_like(yaw), torch.zeros_like(yaw)
    ry = torch.stack([cy, z, -sy, z, o, z, sy, z, cy], -1).reshape(-1, 3, 3)
    rx = torch.stack([o, z, z, z, cp, sp, z, -sp, cp], -1).reshape(-1, 3, 3)
    rz = torch.stack([cr, -sr, z, sr, cr, z, z, z, o], -1).reshape(-1, 3, 3)
    return rz @ ry @ rx


def _curve(u: torch.Tensor, uk: torch.Tensor, vk: torch.Tensor, sigma: float) -> torch.Tensor:
    """Kernel-regressed curve v(u) through points (uk, vk): (N, H, W) from (N, k) points."""
    w = torch.exp(-(((u.unsqueeze(-1) - uk[:, None, None, :]) / sigma) ** 2))
    return (w * vk[:, None, None, :]).sum(-1) / (w.sum(-1) + 1e-6)


def _frame(pts: torch.Tensor, c0: torch.Tensor, c1: torch.Tensor, down: torch.Tensor, nodes: torch.Tensor):
    """Local (u, v) frame of a feature: u in [-1, 1] corner to corner, v in pixels down the face."""
    centre = (c0 + c1) / 2
    vec = c1 - c0
    half = vec.norm(dim=-1, keepdim=True) / 2 + 1e-4
    ax = vec / (2 * half)
    nrm = torch.stack([-ax[:, 1], ax[:, 0]], -1)
    nrm = nrm * torch.sign((down * nrm).sum(-1, keepdim=True) + 1e-6)
    rel_p = pts - centre[:, None]
    rel_n = nodes.unsqueeze(0) - centre[:, None, None]
    up = (rel_p * ax[:, None]).sum(-1) / half
    vp = (rel_p * nrm[:, None]).sum(-1)
    un = (rel_n * ax[:, None, None]).sum(-1) / half[:, :, None]
    vn = (rel_n * nrm[:, None, None]).sum(-1)
    return up, vp, un, vn, half


class GeneratorModel(nn.Module):
    """Avatar tensors + (N, 62) motion vectors -> (N, S, S, 4) uint8 RGBA frames."""

    def forward(
        self,
        motion,
        texture,
        background,
        paste_index,
        region_pix,
        grid_nodes,
        ctrl,
        rest,
        head_weight,
        basis,
        tps,
        mouth_index,
        eye_index,
        iris_index,
        iris_src,
        geom,
        colors,
    ):
        n = motion.shape[0]
        size = texture.shape[-1]
        k = ctrl.shape[0]
        bs = motion[:, :52].clamp(0.0, 1.0)
        head = motion[:, 52:58]
        gaze = motion[:, 58:62]
        # mouthClose only closes the lips as far as the jaw has opened them (ARKit semantics).
        jaw = bs[:, _B["jawOpen"]]
        close = torch.minimum(bs[:, _B["mouthClose"]], jaw)
        i_close = _B["mouthClose"]
        bs = torch.cat([bs[:, :i_close], close[:, None], bs[:, i_close + 1 :]], 1)

        # --- control points: expression, then head pose (weighted for hair, neck, background).
        pts = ctrl + rest + (bs @ basis.reshape(52, -1)).reshape(n, k, 3)
        rad = 0.017453292519943295
        rot = _rot(head[:, 0] * rad, head[:, 1] * rad, head[:, 2] * rad)
        pivot = geom[1:4]
        turned = (pts - pivot) @ rot.transpose(1, 2) + pivot
        scale = head[:, 5].clamp(0.5, 2.0)
        shift = torch.stack([head[:, 3], -head[:, 4]], -1) * size
        moved = pivot[:2] + scale[:, None, None] * (turned[..., :2] - pivot[:2]) + shift[:, None]
        out2 = pts[..., :2] + head_weight[:, None] * (moved - pts[..., :2])  # (N, K, 2)

        # --- forward TPS displacement on the low-res grid, two variants (upper / lower lip pinned).
        gh, gw = grid_nodes.shape[0], grid_nodes.shape[1]
        disp = out2 - ctrl[:, :2]
        fwd = torch.matmul(tps.unsqueeze(0), disp.unsqueeze(1))  # (N, 2, G, 2)
        fwd = fwd.reshape(n * 2, gh, gw, 2).permute(0, 3, 1, 2)
        lo = grid_nodes[0, 0]
        span = grid_nodes[-1, -1] - lo
        cell = torch.stack([grid_nodes[0, 1, 0] - lo[0], grid_nodes[1, 0, 1] - lo[1]])
        padded = F.pad(fwd, (1, 1, 1, 1), mode="replicate")
        ddx = (padded[:, :, 1:-1, 2:] - padded[:, :, 1:-1, :-2]) / (2 * cell[0])
        ddy = (padded[:, :, 2:, 1:-1] - padded[:, :, :-2, 1:-1]) / (2 * cell[1])
        field = torch.cat([fwd, ddx, ddy], 1)  # Dx, Dy, dDx/dx, dDy/dx, dDx/dy, dDy/dy

        # --- invert: find q with q + D(q) = p for every grid node p (Newton, clamped steps).
        p = grid_nodes.unsqueeze(0)
        q = p - fwd.permute(0, 2, 3, 1)
        for _ in range(NEWTON_STEPS):
            s = F.grid_sample(
                field, (q - lo) / span * 2 - 1, mode="bilinear", padding_mode="border", align_corners=True
            )
            r = p - q - s[:, 0:2].permute(0, 2, 3, 1)
            a, c, b, e = 1 + s[:, 2], s[:, 3], s[:, 4], 1 + s[:, 5]
            det = a * e - b * c
            ok = det > 0.15
            safe = torch.where(ok, det, torch.ones_like(det))
            rx, ry = r[..., 0], r[..., 1]
            sx = torch.where(ok, (e * rx - b * ry) / safe, rx)
            sy = torch.where(ok, (a * ry - c * rx) / safe, ry)
            lim = 3 * cell.max()
            q = q + torch.stack([sx, sy], -1).clamp(-lim, lim)
        back = q.reshape(n, 2, gh, gw, 2)

        # --- mouth: lip curves in the mouth's frame, gap distance fields, and which map to use.
        lip = out2[:, mouth_index]
        up_pts, lo_pts = lip[:, :11], lip[:, 11:]
        down = (up_pts[:, 5] + lo_pts[:, 5]) / 2 - out2[:, iris_index].mean(1)
        uu, vu, un, vn, half_m = _frame(up_pts, up_pts[:, 0], up_pts[:, 10], down, grid_nodes)
        ul, vl, _, _, _ = _frame(lo_pts, up_pts[:, 0], up_pts[:, 10], down, grid_nodes)
        v_up = _curve(un, uu, vu, 0.12)
        v_lo = _curve(un, ul, vl, 0.12)
        d_top, d_bot = vn - v_up, v_lo - vn
        soft = 1.5 + 0.3 * F.relu(un.abs() - 1) * half_m[:, :, None]
        w_low = torch.sigmoid((vn - (v_up + v_lo) / 2) / soft).unsqueeze(-1)
        bmap = back[:, 0] * (1 - w_low) + back[:, 1] * w_low  # (N, Gh, Gw, 2) source pixels

        # --- eyes: lid distance fields and irises (moved by gaze), nearer eye wins per node.
        look = torch.stack(
            [
                (bs[:, _B["eyeLookOutLeft"]] - bs[:, _B["eyeLookInLeft"]]) * 30,
                (bs[:, _B["eyeLookUpLeft"]] - bs[:, _B["eyeLookDownLeft"]]) * 25,
                (bs[:, _B["eyeLookInRight"]] - bs[:, _B["eyeLookOutRight"]]) * 30,
                (bs[:, _B["eyeLookUpRight"]] - bs[:, _B["eyeLookDownRight"]]) * 25,
            ],
            -1,
        )
        use_gaze = gaze.abs().sum(-1, keepdim=True) > 1e-3
        gz = torch.where(use_gaze, gaze, look) * rad
        roll = head[:, 2] * rad
        cr, sr = roll.cos()[:, None, None], roll.sin()[:, None, None]
        eyes = []
        for e in range(2):
            idx = eye_index[18 * e : 18 * e + 18]
            lid = out2[:, idx]
            lu, ll = lid[:, :9], lid[:, 9:]
            eu, ev, enu, env, _ = _frame(lu, lu[:, 0], lu[:, 8], down, grid_nodes)
            elu, elv, _, _, _ = _frame(ll, lu[:, 0], lu[:, 8], down, grid_nodes)
            d_u = env - _curve(enu, eu, ev, 0.2)
            d_l = _curve(enu, elu, elv, 0.2) - env
            yaw_g = gz[:, 2 - 2 * e]
            pitch_g = gz[:, 3 - 2 * e]
            rho = 0.42 * geom[6 + e] * scale
            ox, oy = rho * yaw_g.sin(), -rho * pitch_g.sin()
            off = torch.stack([ox * cr[:, 0, 0] - oy * sr[:, 0, 0], ox * sr[:, 0, 0] + oy * cr[:, 0, 0]], -1)
            centre = out2[:, iris_index[e]] + off
            rel = grid_nodes.unsqueeze(0) - centre[:, None, None]
            r_out = geom[4 + e] * scale
            i_sdf = r_out[:, None, None] - rel.norm(dim=-1)
            inv = 1 / scale[:, None, None]
            isx = iris_src[e, 0] + (rel[..., 0] * cr + rel[..., 1] * sr) * inv
            isy = iris_src[e, 1] + (-rel[..., 0] * sr + rel[..., 1] * cr) * inv
            o_sdf = 1.08 * geom[4 + e] - (bmap - iris_src[e]).norm(dim=-1)
            dist = (grid_nodes.unsqueeze(0) - (lu[:, 0] + lu[:, 8])[:, None, None] / 2).norm(dim=-1)
            eyes.append((torch.stack([d_u, d_l, i_sdf, isx, isy, o_sdf, enu], 1), dist))
        pick = (eyes[0][1] < eyes[1][1]).unsqueeze(1)
        eye_ch = torch.where(pick, eyes[0][0], eyes[1][0])

        # --- one upsampling of every smooth field to the region's full resolution.
        norm = bmap / size * 2 - 1
        iris_n = eye_ch[:, 3:5] / size * 2 - 1
        low = torch.cat(
            [
                norm.permute(0, 3, 1, 2),
                torch.stack([d_top, d_bot, un], 1),
                eye_ch[:, 0:3],
                iris_n,
                eye_ch[:, 5:7],
            ],
            1,
        )
        rh, rw = region_pix.shape[0], region_pix.shape[1]
        full = F.interpolate(low, size=(rh, rw), mode="bilinear", align_corners=True)
        grid, m_top, m_bot, m_u = full[:, 0:2], full[:, 2:3], full[:, 3:4], full[:, 4:5]
        e_up, e_lo, e_iris, e_src, e_old, e_u = (
            full[:, 5:6],
            full[:, 6:7],
            full[:, 7:8],
            full[:, 8:10],
            full[:, 10:11],
            full[:, 11:12],
        )

        # --- sample the portrait once (irises from their own place), batch folded into the grid.
        m_eye = torch.sigmoid(e_up / 0.6) * torch.sigmoid(e_lo / 0.6) * torch.sigmoid((0.97 - e_u.abs()) * 40)
        m_iris = torch.sigmoid(e_iris / 0.6) * m_eye
        grid = grid + m_iris * (e_src - grid)
        flat = grid.permute(1, 0, 2, 3).reshape(1, 2, n * rh, rw).permute(0, 2, 3, 1)
        samp = F.grid_sample(texture, flat, mode="bilinear", padding_mode="border", align_corners=False)
        samp = samp.reshape(4, n, rh, rw).permute(1, 0, 2, 3)
        rgb, alpha = samp[:, 0:3], samp[:, 3:4]

        # --- sclera where the portrait's iris was and the moved iris is not.
        m_scl = m_eye * torch.sigmoid(e_old / 0.6) * (1 - m_iris)
        sclera = ((colors[4] + colors[5]) / 2)[None, :, None, None] * (0.8 + 0.2 * (e_up / 4).clamp(0, 1))
        rgb = rgb + m_scl * (sclera - rgb)

        # --- mouth interior: cavity, tongue, lower and upper teeth, in the portrait's colours.
        col = colors[:, :, None, None]
        fh = (geom[0] * scale)[:, None, None, None]
        half = half_m[:, :, None, None]
        u2 = m_u * m_u
        gap = F.relu(m_top + m_bot)
        m_in = (
            torch.sigmoid(m_top / 0.6) * torch.sigmoid(m_bot / 0.6) * torch.sigmoid((0.97 - m_u.abs()) * 40)
        )
        depth = (torch.minimum(m_top, m_bot) / (0.5 * gap + 1)).clamp(0, 1)
        cav = col[1] * (1 - 0.5 * depth) * (1 - 0.3 * u2)
        t_h = 0.4 * gap * F.relu(1 - u2 / 0.56)
        m_tg = torch.sigmoid((t_h - m_bot) / 0.8)
        tongue = col[3] * (0.7 + 0.3 * (1 - m_bot / (t_h + 1)).clamp(0, 1))
        k_t = m_u * half / (0.16 * half + 1e-3)
        seam = torch.exp(-(((k_t - torch.round(k_t)).abs() * 0.16 * half / 0.8) ** 2))
        t_shade = (1 - 0.35 * seam) * (1 - 0.45 * u2)
        lateral = torch.sigmoid((0.72 - m_u.abs()) * 25)
        up_h = 0.06 * fh * torch.sqrt(F.relu(1 - u2 / 0.64) + 1e-6)
        lo_h = 0.04 * fh * torch.sqrt(F.relu(1 - u2 / 0.49) + 1e-6)
        m_ut = torch.sigmoid((up_h - m_top) / 0.6) * lateral
        m_lt = torch.sigmoid((lo_h - m_bot) / 0.6) * lateral
        up_t = col[2] * t_shade * (0.72 + 0.28 * (m_top / (0.3 * up_h + 1e-3)).clamp(0, 1))
        lo_t = col[2] * t_shade * 0.85
        inside = cav + m_tg * (tongue - cav)
        inside = inside + m_lt * (lo_t - inside)
        inside = inside + m_ut * (up_t - inside)
        rgb = rgb + m_in * (inside - rgb)
        # tongue out: over the lower lip, below the upper lip.
        t_out = bs[:, _B["tongueOut"]][:, None, None, None]
        ext = 0.12 * fh * t_out
        ell = 1 - u2 / 0.18 - ((m_bot + 0.3 * ext) / (ext + 1)) ** 2
        m_to = torch.sigmoid(ell * 6) * torch.sigmoid(m_top / 0.6) * (t_out * 5).clamp(0, 1)
        rgb = rgb + m_to * (col[3] * (0.85 + 0.15 * ell.clamp(0, 1)) - rgb)
        alpha = torch.maximum(alpha, torch.maximum(m_in, m_to))

        # --- to uint8 and paste the region into the still background.
        region = torch.cat([rgb, alpha], 1).clamp(0, 1) * 255 + 0.5
        region = region.to(torch.uint8).permute(0, 2, 3, 1).reshape(n, rh * rw, 4)
        frames = torch.cat([background.expand(n, -1, -1), region], 1).index_select(1, paste_index)
        return frames.reshape(n, size, size, 4)
