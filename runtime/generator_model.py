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

import math

import torch
import torch.nn.functional as F
from torch import nn

from .names import ARKIT_INDEX, EYE_LOOK_DEGREES
from .rig_basis import IRIS_TURN
from .rig_depth import PITCH_DEPTH_GAIN, YAW_DEPTH_GAIN

INPUT_NAMES = (
    "motion",
    "texture",
    "texels",
    "bg_top",
    "bg_left",
    "bg_right",
    "bg_bottom",
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
    "mouth_box",
    "eye_box",
    "lid_patch",
    "lines_box",
)
OUTPUT_NAMES = ("frames",)
NEWTON_STEPS = 3
# jawOpen range over which the lips part (below: sealed; the project's own "shut" is jawOpen minus
# mouthClose under 0.1). Without it a resting jaw of 0.06-0.1 (quiet stretches, held sung notes)
# showed a dark line between the lips on faces with thin lips, which dlib reads as 0.012-0.022 of
# face height where other portraits read 0.005.
LIP_SEAL = (0.02, 0.15)
LID_TABLE, LID_U0, LID_DU = 17, -1.2, 0.15  # the lid-error table along the eye: u = -1.2 .. 1.2
# where the iris was, a photo's white is read beside it out to this many iris radii (past the rim)
WHITE_REACH = 1.35
WHITE_FILL = 1.3  # iris radii filled with that white (a drawn eye: 1.08)
WHITE_ROWS = 0.4  # and read in the rows within this many iris radii of the iris's centre
LID_BLUR = 0.6  # iris radii between the taps that blur the carried lid skin along the lid
CLOSED_FROM = 0.3  # blink from which a photo's shut lid takes the skin above its lashes
DRAWN_LID_REACH = 0.12  # of the half eye width: how far past its corners a drawn eye's lid reaches
DRAWN_SHUT_DEPTH = 0.5  # how far a drawn eye's shut line comes down: corners' line 0, lower outline 1
DRAWN_COVER_REACH = 0.35  # ... and how far its painted-over patch may show (the lash line's hooks)
# Mid-mouth, in face heights: upper teeth shown below the upper lip (photo, cel art) and lower
# teeth above the lower lip (photos; mostly behind it). 0.055 and 0.035 drew a wall of teeth: the
# middle of a mouth opened as far as real talkers open theirs was 0.85-1.0 teeth, theirs 0.42-0.76.
TEETH_SHOWN, LOWER_TEETH_SHOWN = (0.042, 0.055), 0.018
TONGUE_RISE = (0.35, 0.5)  # share of the opening the tongue fills from below (photo, cel art)
# Expression lines, drawn on the skin where the brows rise (forehead lines, AU1/2), lower (the
# furrows between the brows, AU4) and the nose wrinkles (AU9): how dark at full action, their
# spacing (interpupillary distances) and how far the forehead's lines arch down to the sides.
FOREHEAD_DEPTH, FOREHEAD_SPACING, FOREHEAD_ARCH, FOREHEAD_REACH = 0.1, 0.12, 0.12, 0.55
FURROW_DEPTH, FURROW_APART, FURROW_WIDTH = 0.15, 0.08, 0.035
NOSE_DEPTH, NOSE_SPACING = 0.09, 0.07
SKIN_LIKE = 0.14  # RGB distance from the skin colour within which a pixel takes lines (not hair, caps)
CEL_TEETH_SHARE = 0.3  # of the opening at most: a drawn mouth just opened showed all teeth
MOUTH_END = (0.75, 0.97)  # of the way to a corner: where the opening's rounded end begins and closes
CEL_MOUTH_LINE = 1.2  # pixels: the outline a cel-shaded face's open mouth gets inside its lips
# A photo's closed lash line: width (eye widths, the Gaussian's scale) and darkness (share of the
# lash colour). Real blinks in the dev videos show the bunched lashes as a dark band 0.12-0.28 eye
# widths across at half depth (medians 0.25 and 0.18 for the two speakers who blink), 0.00-0.38 of
# the lid's brightness at its darkest (benchmarks/shut_eye_band.py); 0.03 and 0.7 drew a line about
# half as wide, which read as a pencil stroke, and dlib's 68 points kept the eye open on it. At
# 0.08 and 0.5 the rendered band is 0.09-0.22 wide (median 0.16) on the nine portraits.
PHOTO_LASH_W, PHOTO_LASH_SHADE = 0.08, 0.5
DRAWN_LASH_W, DRAWN_LASH_SHADE = 0.07, 0.7  # a drawn eye's closed stroke, as thick as its lash line
_B = ARKIT_INDEX


def _decay(a: torch.Tensor) -> torch.Tensor:
    """exp(-a) for a >= 0, with a capped at 80 (exp(-80) = 2e-35, as good as zero here).
    onnxruntime's CPU Exp takes a slow path wherever the result would be subnormal (below
    exp(-87.3)): 15-20x the time per element, and the Gaussians here reach far past it."""
    return torch.exp(-a.clamp(max=80.0))


def _curve(u: torch.Tensor, uk: torch.Tensor, vk: torch.Tensor, sigma: float) -> torch.Tensor:
    """Kernel-regressed curve v(u) through points (uk, vk): (N, H, W) from (N, k) points."""
    return _curves(u, uk, vk[:, None], sigma)[:, 0]


def _curves(u: torch.Tensor, uk: torch.Tensor, vk: torch.Tensor, sigma: float) -> torch.Tensor:
    """Kernel-regressed curves through points at uk (N, k) with C values each (vk (N, C, k)):
    (N, C, H, W), one set of kernel weights for all C. The points run along axis 1 (N, k, H, W):
    onnxruntime broadcasts per-point values over the long H x W planes fast, where over a short
    last axis of k it took several times as long."""
    w = _decay(((u.unsqueeze(1) - uk[:, :, None, None]) * (1 / sigma)) ** 2)
    n, k, h, wd = w.shape
    # the weighted sums of every value and of the weights, as one small matmul
    sums = torch.matmul(torch.cat([vk, torch.ones_like(vk[:, :1])], 1), w.reshape(n, k, h * wd))
    c = vk.shape[1]
    return (sums[:, :c] / (sums[:, c:] + 1e-6)).reshape(n, c, h, wd)


def _axes(c0: torch.Tensor, c1: torch.Tensor, down: torch.Tensor):
    """A feature's axes from its corners (..., 2): centre, half length (..., 1), the unit axis from
    c0 to c1 and the unit normal turned to point down the face."""
    centre = (c0 + c1) / 2
    half = (c1 - c0).norm(dim=-1, keepdim=True) / 2 + 1e-4
    ax = (c1 - c0) / (2 * half)
    nrm = torch.stack([-ax[..., 1], ax[..., 0]], -1)
    nrm = nrm * torch.sign((down * nrm).sum(-1, keepdim=True) + 1e-6)
    return centre, half, ax, nrm


def _frame(pts: torch.Tensor, c0: torch.Tensor, c1: torch.Tensor, down: torch.Tensor, nx, ny):
    """Local (u, v) frame of a feature: u in [-1, 1] corner to corner, v in pixels down the face;
    for its points (N, k, 2) and for the grid nodes, given as x and y planes (Gh, Gw)."""
    centre, half, ax, nrm = _axes(c0, c1, down)
    rel_p = pts - centre[:, None]
    up = (rel_p * ax[:, None]).sum(-1) / half
    vp = (rel_p * nrm[:, None]).sum(-1)
    rx, ry = nx - centre[:, 0, None, None], ny - centre[:, 1, None, None]
    un = (rx * ax[:, 0, None, None] + ry * ax[:, 1, None, None]) / half[:, :, None]
    vn = rx * nrm[:, 0, None, None] + ry * nrm[:, 1, None, None]
    return up, vp, un, vn, half


class GeneratorModel(nn.Module):
    """Avatar tensors + (N, 62) motion vectors -> (N, S, S) int32 frames: packed RGBA, R in the
    low byte (runtime/generator.py views them as (N, S, S, 4) uint8 at no cost)."""

    def forward(
        self,
        motion,
        texture,
        texels,
        bg_top,
        bg_left,
        bg_right,
        bg_bottom,
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
        mouth_box,
        eye_box,
        lid_patch,
        lines_box,
    ):
        n = motion.shape[0]
        size = texture.shape[-1] // 2  # the texture is the portrait upscaled 2x
        k = ctrl.shape[0]
        bs = motion[:, :52].clamp(0.0, 1.0)
        head = motion[:, 52:58]
        gaze = motion[:, 58:62]
        # mouthClose only closes the lips as far as the jaw has opened them (ARKit semantics). The
        # first few millimetres of jaw drop keep the lips together (at rest the teeth are apart
        # and the lips closed): they part gradually from LIP_SEAL[0] and fully from LIP_SEAL[1].
        jaw = bs[:, _B["jawOpen"]]
        t = ((jaw - LIP_SEAL[0]) / (LIP_SEAL[1] - LIP_SEAL[0])).clamp(0.0, 1.0)
        seal = jaw * (1 - t * t * (3 - 2 * t))
        close = torch.minimum(torch.maximum(bs[:, _B["mouthClose"]], seal), jaw)
        bs = _with_column(bs, _B["mouthClose"], close)
        # The upper lids follow the eyes up and down (the lid rides with the eye's vertical turn):
        # gaze given as angles moves them as eyeLookUp/Down would (the larger of the two counts).
        for side, pitch in (("Left", gaze[:, 1]), ("Right", gaze[:, 3])):
            for name, amount in (("eyeLookUp", pitch), ("eyeLookDown", -pitch)):
                i = _B[name + side]
                bs = _with_column(
                    bs, i, torch.maximum(bs[:, i], (amount / EYE_LOOK_DEGREES[1]).clamp(0.0, 1.0))
                )

        # --- control points: expression, then head pose (weighted for hair, neck, background).
        pts = ctrl + rest + (bs @ basis.reshape(52, -1)).reshape(n, k, 3)
        rad = 0.017453292519943295
        pivot = geom[1:4]
        yaw, pitch, roll = (head[:, i : i + 1] * rad for i in range(3))
        rel = pts - pivot
        x, y, z = rel[..., 0], rel[..., 1], rel[..., 2]
        # pitch about x, then yaw about y with the depth gained (mediapipe's depth is flat: a turn
        # would otherwise read back ~35% short), then roll in the image plane
        p_gain = torch.where(pitch < 0, PITCH_DEPTH_GAIN[0], PITCH_DEPTH_GAIN[1])
        y1 = y * pitch.cos() + p_gain * z * pitch.sin()
        z1 = z * pitch.cos() - y * pitch.sin()
        x2 = x * yaw.cos() - YAW_DEPTH_GAIN * z1 * yaw.sin()
        turned = torch.stack([x2 * roll.cos() - y1 * roll.sin(), x2 * roll.sin() + y1 * roll.cos()], -1)
        turned = turned + pivot[:2]
        scale = head[:, 5].clamp(0.5, 2.0)
        shift = torch.stack([head[:, 3], -head[:, 4]], -1) * size
        moved = pivot[:2] + scale[:, None, None] * (turned - pivot[:2]) + shift[:, None]
        out2 = pts[..., :2] + head_weight[:, None] * (moved - pts[..., :2])  # (N, K, 2)

        # --- forward TPS displacement on the low-res grid, two variants (upper / lower lip pinned).
        gh, gw = grid_nodes.shape[0], grid_nodes.shape[1]
        disp = out2 - ctrl[:, :2]
        # one GEMM for the whole batch: the 10 MB spline matrix is read once, not once per frame
        g = tps.shape[1]
        fwd = torch.matmul(tps.reshape(2 * g, k), disp.permute(1, 0, 2).reshape(k, n * 2))  # (2G, N*2)
        fwd = fwd.reshape(2, gh, gw, n, 2).permute(3, 0, 4, 1, 2).reshape(n * 2, 2, gh, gw)
        lo = grid_nodes[0, 0]
        span = grid_nodes[-1, -1] - lo
        cell = torch.stack([grid_nodes[0, 1, 0] - lo[0], grid_nodes[1, 0, 1] - lo[1]])
        padded = F.pad(fwd, (1, 1, 1, 1), mode="replicate")
        ddx = (padded[:, :, 1:-1, 2:] - padded[:, :, 1:-1, :-2]) / (2 * cell[0])
        ddy = (padded[:, :, 2:, 1:-1] - padded[:, :, :-2, 1:-1]) / (2 * cell[1])
        field = torch.cat([fwd, ddx, ddy], 1)  # Dx, Dy, dDx/dx, dDy/dx, dDx/dy, dDy/dy

        # --- invert: find q with q + D(q) = p for every grid node p (Newton, clamped steps).
        # (x and y are kept as separate planes: onnxruntime broadcasts over a short last axis of
        # 2 several times slower per element than over whole planes)
        nx, ny = grid_nodes[..., 0], grid_nodes[..., 1]  # (Gh, Gw)
        qx, qy = nx - fwd[:, 0], ny - fwd[:, 1]
        lim = 3 * cell.max()
        for _ in range(NEWTON_STEPS):
            ax_ = (qx - lo[0]) / span[0] * (gw - 1)
            ay_ = (qy - lo[1]) / span[1] * (gh - 1)
            s = _bilinear(field, ax_.reshape(n * 2, -1), ay_.reshape(n * 2, -1))
            s = s.reshape(n * 2, 6, gh, gw)
            rx, ry = nx - qx - s[:, 0], ny - qy - s[:, 1]
            a, c, b, e = 1 + s[:, 2], s[:, 3], s[:, 4], 1 + s[:, 5]
            det = a * e - b * c
            ok = det > 0.15
            safe = torch.where(ok, det, torch.ones_like(det))
            qx = qx + torch.where(ok, (e * rx - b * ry) / safe, rx).clamp(-lim, lim)
            qy = qy + torch.where(ok, (a * ry - c * rx) / safe, ry).clamp(-lim, lim)
        back = torch.stack([qx, qy], 1).reshape(n, 2, 2, gh, gw)  # (N, pinned lip, xy, Gh, Gw)

        # --- mouth: lip curves in the mouth's frame, gap distance fields, and which map to use.
        lip = out2[:, mouth_index]
        up_pts, lo_pts = lip[:, :11], lip[:, 11:]
        down = (up_pts[:, 5] + lo_pts[:, 5]) / 2 - out2[:, iris_index].mean(1)
        uu, vu, un, vn, half_m = _frame(up_pts, up_pts[:, 0], up_pts[:, 10], down, nx, ny)
        ul, vl, _, _, _ = _frame(lo_pts, up_pts[:, 0], up_pts[:, 10], down, nx, ny)
        # each lip's inner line, and how far off its own map is there (_lip_error), as curves
        err = _lip_error(lip, ctrl[mouth_index, :2], back, lo, span)  # (N, 2 lips, 2, 11)
        up_c = _curves(un, uu, torch.cat([vu[:, None], err[:, 0]], 1), 0.12)  # (N, 3, Gh, Gw)
        lo_c = _curves(un, ul, torch.cat([vl[:, None], err[:, 1]], 1), 0.12)
        v_up, v_lo = up_c[:, 0], lo_c[:, 0]
        d_top, d_bot = vn - v_up, v_lo - vn
        soft = 1.5 + 0.3 * F.relu(un.abs() - 1) * half_m[:, :, None]
        w_low = torch.sigmoid((vn - (v_up + v_lo) / 2) / soft).unsqueeze(1)
        bmap = back[:, 0] * (1 - w_low) + back[:, 1] * w_low  # (N, 2, Gh, Gw) source pixels

        # --- eyes: lid distance fields, the nearer eye wins per node.
        eye_f, eye_v, eye_d, eye_c = [], [], [], []
        for e in range(2):
            lid = out2[:, eye_index[18 * e : 18 * e + 18]]
            lu, ll = lid[:, :9], lid[:, 9:]
            eu, ev, enu, env, _ = _frame(lu, lu[:, 0], lu[:, 8], down, nx, ny)
            elu, elv, _, _, _ = _frame(ll, lu[:, 0], lu[:, 8], down, nx, ny)
            d_u = env - _curve(enu, eu, ev, 0.2)
            d_l = _curve(enu, elu, elv, 0.2) - env
            eye_f.append(torch.stack([d_u, d_l, enu], 1))
            eye_v.append(env)
            eye_c.append((lu[:, 0] + lu[:, 8]) / 2)
            dx, dy = nx - eye_c[-1][:, 0, None, None], ny - eye_c[-1][:, 1, None, None]
            eye_d.append(dx * dx + dy * dy)  # (squared: only compared)
        eye_fields = torch.where((eye_d[0] < eye_d[1]).unsqueeze(1), eye_f[0], eye_f[1])
        eye_below = torch.where(eye_d[0] < eye_d[1], eye_v[0], eye_v[1]).unsqueeze(1)  # v from the corners

        # --- the portrait warped over the whole moving region: one upsampling of the map (in
        # texel units of the 2x texture), one nearest lookup of packed RGBA texels (an element
        # gather: ~50x cheaper than onnxruntime's GridSample; the region stays packed, only the
        # layer boxes are unpacked to floats).
        rh, rw = region_pix.shape[0], region_pix.shape[1]
        tex_w = texture.shape[-1]
        src_t = bmap * 2 + 0.01  # (N, 2, Gh, Gw); the offset breaks ties alike
        # bilinear upsampling (align_corners) as two matmuls with hat weights: rows, then columns
        ry = torch.arange(rh, dtype=torch.float32, device=motion.device) * ((gh - 1) / (rh - 1))
        cx = torch.arange(rw, dtype=torch.float32, device=motion.device) * ((gw - 1) / (rw - 1))
        wy = F.relu(1 - (ry[:, None] - torch.arange(gh, dtype=torch.float32, device=motion.device)).abs())
        wx = F.relu(1 - (torch.arange(gw, dtype=torch.float32, device=motion.device)[:, None] - cx).abs())
        grid = torch.matmul(torch.matmul(wy, src_t), wx)
        region = _texel_lookup(texels, grid, tex_w)  # (N * Rh * Rw,) packed RGBA, frame-major

        # --- layers, each drawn only inside a small box placed on its feature this frame.
        region_lo = region_pix[0, 0] - 0.5
        col = colors[:, :, None, None]
        fh = (geom[0] * scale)[:, None, None, None]
        gap_mid = (up_pts[:, 5] + lo_pts[:, 5]) / 2
        mouth_tl, mouth_xs, mouth_ys = _place(gap_mid, mouth_box, region_lo, rh, rw)
        # Each lip's map corrected by its error at the lip's inner line (_lip_error), on the grid:
        # in full at the nodes less than a cell outside the line (and in the gap), none further
        # into the lip, so between the line and its nearest nodes the sampled map is exact and the
        # correction fades out over the next cell. (Per pixel it cost 7% of a frame at batch 1.)
        beside = torch.sigmoid((1.1 - un.abs()) * 20)  # (not past the corners)
        near_up = (d_top > -cell.max()).to(torch.float32) * beside
        near_lo = (d_bot > -cell.max()).to(torch.float32) * beside
        fix = torch.stack([near_up.unsqueeze(1) * up_c[:, 1:], near_lo.unsqueeze(1) * lo_c[:, 1:]], 1)
        both = (back + fix).reshape(n, 4, gh, gw)  # upper-pinned and lower-pinned maps
        fields = torch.cat([torch.stack([d_top, d_bot, un], 1), both], 1)
        mf = _sample_at(fields, mouth_xs, mouth_ys, lo, span)
        # Around the lips each pixel takes the map of its own lip (above or below the gap's middle
        # line), sampled bilinearly: blending the two maps would show the portrait's teeth.
        src = torch.where(mf[:, 0:1] > mf[:, 1:2], mf[:, 5:7], mf[:, 3:5])
        base = _texels_float(_texel_lookup(texels, src * 2 + 0.01, tex_w), n, src.shape[2], src.shape[3])
        rgba, mask = _mouth_layer(mf, bs, col, fh, half_m[:, :, None, None], geom[16])
        rgba = torch.cat(
            [base[:, :3] + mask * (rgba[:, :3] - base[:, :3]), torch.maximum(base[:, 3:], mask)], 1
        )
        region = _composite(region, rgba, mouth_tl, n, rh, rw)

        # --- expression lines on the forehead and between the brows, attached to the skin
        mid = (eye_c[0] + eye_c[1]) / 2
        across = eye_c[1] - eye_c[0]
        up_o = torch.stack([across[:, 1], -across[:, 0]], -1) / across.norm(dim=-1, keepdim=True)
        centre = mid + up_o * (0.5 * across.norm(dim=-1, keepdim=True))
        lines_tl, lines_xs, lines_ys = _place(centre, lines_box, region_lo, rh, rw)
        bh, bw = lines_ys.shape[1], lines_xs.shape[1]
        base_l = _gather_box(region, lines_tl, n, rh, rw, bh, bw)
        # the lines are soft: drawn at half resolution, then scaled up
        src_l = _sample_at(bmap, lines_xs[:, ::2], lines_ys[:, ::2], lo, span)
        shade = _expression_lines(src_l, base_l[:, :3, ::2, ::2], bs, geom, colors[6])
        shade = F.interpolate(shade, scale_factor=2.0, mode="bilinear", align_corners=False)[:, :, :bh, :bw]
        lined = (base_l[:, :3] * (1 - shade)).clamp(0, 1)
        region = _composite(region, torch.cat([lined, base_l[:, 3:]], 1), lines_tl, n, rh, rw)

        rad_roll = head[:, 2] * rad
        cr, sr = rad_roll.cos(), rad_roll.sin()
        look = torch.stack(
            [
                (bs[:, _B["eyeLookOutLeft"]] - bs[:, _B["eyeLookInLeft"]]) * EYE_LOOK_DEGREES[0],
                (bs[:, _B["eyeLookUpLeft"]] - bs[:, _B["eyeLookDownLeft"]]) * EYE_LOOK_DEGREES[1],
                (bs[:, _B["eyeLookInRight"]] - bs[:, _B["eyeLookOutRight"]]) * EYE_LOOK_DEGREES[0],
                (bs[:, _B["eyeLookUpRight"]] - bs[:, _B["eyeLookDownRight"]]) * EYE_LOOK_DEGREES[1],
            ],
            -1,
        )
        use_gaze = gaze.abs().sum(-1, keepdim=True) > 1e-3
        gz = torch.where(use_gaze, gaze, look) * rad
        sclera = (colors[4] + colors[5]) / 2
        down_src = ctrl[mouth_index, :2].mean(0) - ctrl[iris_index, :2].mean(0)
        lid_u = torch.arange(LID_TABLE, dtype=torch.float32, device=motion.device) * LID_DU + LID_U0

        # Both eyes are one batch of 2N boxes, eye-major (rows [:N] the right eye, [N:] the left):
        # one set of nodes for both (the eye layer was 2,500 of the graph's ~3,900 nodes, each
        # with its fixed cost per run); per-eye values come from geom as (2N,) columns.
        def per_eye(i: int, step: int = 1) -> torch.Tensor:
            return _per_eye(torch.stack([geom[i], geom[i + step]]), n)

        def by_eye(x: torch.Tensor) -> torch.Tensor:  # (N, 2, ...) per frame and eye -> (2N, ...)
            return x.transpose(0, 1).reshape(m2, *x.shape[2:])

        def twice(x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x, x], 0)

        m2 = 2 * n
        r_iris, r_eye, warp, drawn_e = per_eye(4), per_eye(6), per_eye(8), per_eye(17)
        aspect, open_e, row_e = per_eye(14)[:, None, None], per_eye(19), per_eye(21)
        scale2, cr2, sr2 = twice(scale), twice(cr), twice(sr)
        iris_at = _per_eye(iris_src, n)  # (2N, 2): each eye's iris centre in the portrait
        tl, xs, ys = _place(torch.cat(eye_c, 0), eye_box, region_lo, rh, rw)
        bh, bw = ys.shape[1], xs.shape[1]
        ef = _sample_at(twice(torch.cat([eye_fields, bmap, eye_below], 1)), xs, ys, lo, span)
        # the iris: moved by gaze (a sphere's rotation seen from the front), rolled with the head
        rho = IRIS_TURN * r_eye * scale2 * open_e  # open_e = 0: an eye drawn shut
        ox = rho * by_eye(gz[:, [2, 0]]).sin()
        oy = -rho * by_eye(gz[:, [3, 1]]).sin()
        off = torch.stack([ox * cr2 - oy * sr2, ox * sr2 + oy * cr2], -1)
        centre = by_eye(out2[:, iris_index]) + off
        rel_x = xs[:, None, :] - centre[:, 0, None, None]  # (2N, 1, w)
        rel_y = ys[:, :, None] - centre[:, 1, None, None]  # (2N, h, 1)
        inv = 1 / scale2[:, None, None]
        c_, s_ = cr2[:, None, None], sr2[:, None, None]
        fu = rel_x * c_ + rel_y * s_  # in the face's axes (rolled with the head)
        fv = -rel_x * s_ + rel_y * c_
        # the iris is a circle, or an upright ellipse (height / width = geom[14 + e]) for drawn eyes
        i_sdf = (r_iris * scale2)[:, None, None] - (fu * fu + (fv / aspect) ** 2).sqrt()
        isx = iris_at[:, 0, None, None] + fu * inv
        isy = iris_at[:, 1, None, None] + fv * inv
        # the iris the portrait's upper lid hid (bared by a wide eye or a glance up) is read
        # from just under that lid, its shadowed top edge, not from the lid skin above it
        # (that showed as a pale band across the iris); drawn eyes keep their own drawing
        rows = torch.stack([eye_index[0:9], eye_index[18:27]])  # (2, 9): each eye's upper lid
        src_lid = [_per_eye(t, n) for t in _source_lid(ctrl[rows, :2], down_src, lid_u)]
        keep_drawn = (1 - drawn_e)[:, None, None, None]
        isx, isy = _under_source_lid(torch.stack([isx, isy], 1), src_lid, keep_drawn).unbind(1)
        iris_px = _bilinear(texture, (2 * isx - 0.5).reshape(1, -1), (2 * isy - 0.5).reshape(1, -1))
        iris_px = iris_px.reshape(3, m2, bh, bw).permute(1, 0, 2, 3)
        was = ef[:, 3:5] - iris_at[:, :, None, None]
        # (a photo's iris rim reaches past the mesh's iris radius: filled out to WHITE_FILL)
        fill = (WHITE_FILL + drawn_e * (1.08 - WHITE_FILL))[:, None, None]
        o_sdf = fill * r_iris[:, None, None] - (was[:, 0] ** 2 + (was[:, 1] / aspect) ** 2).sqrt()
        m_eye = torch.sigmoid(ef[:, 0] / 0.6) * torch.sigmoid(ef[:, 1] / 0.6)
        m_eye = (m_eye * torch.sigmoid((0.97 - ef[:, 2].abs()) * 40)).unsqueeze(1)
        m_iris = torch.sigmoid(i_sdf / 0.6).unsqueeze(1) * m_eye
        m_scl = m_eye * torch.sigmoid(o_sdf / 0.6).unsqueeze(1) * (1 - m_iris)
        # where the iris was is filled with white only as far as it moved away: at rest the eye
        # stays the portrait's (a drawn iris is rarely the circle this layer assumes)
        moved = off.norm(dim=-1) / (0.1 * r_iris * scale2 + 1e-3)
        m_scl = m_scl * moved.clamp(0, 1)[:, None, None, None]
        shade = 0.8 + 0.2 * (ef[:, 0:1] / 4).clamp(0, 1)
        flat_white = sclera[None, :, None, None] * shade
        # a photo's white where the iris was: the portrait's own white beside the old iris (a
        # flat colour showed as a paler or greyer disk ringed by the old iris's rim), read in
        # the rows near the iris's middle (higher up the lashes are beside it) and shaded under
        # the upper lid like the flat white; a drawn eye keeps its flat white (beside its large
        # iris are the outline strokes)
        r_src = r_iris[:, None, None]
        v_rel = torch.minimum(torch.maximum(was[:, 1] / aspect, -WHITE_ROWS * r_src), WHITE_ROWS * r_src)
        reach = F.relu((WHITE_REACH * r_src) ** 2 - v_rel * v_rel).sqrt() + 0.15 * r_src
        t_row = ((was[:, 0] + reach) / (2 * reach)).clamp(0, 1).unsqueeze(1)
        beside = torch.cat([iris_at[:, 0, None, None] - reach, iris_at[:, 0, None, None] + reach], 0)
        rows_y = (iris_at[:, 1, None, None] + v_rel * aspect).repeat(2, 1, 1)
        sides = _bilinear(texture, (2 * beside - 0.5).reshape(1, -1), (2 * rows_y - 0.5).reshape(1, -1))
        sides = sides.reshape(3, 2, m2, bh, bw)
        white = sides[:, 0] + t_row.permute(1, 0, 2, 3) * (sides[:, 1] - sides[:, 0])
        white = white.permute(1, 0, 2, 3) * shade
        drawn = drawn_e[:, None, None, None]
        white = white + drawn * (flat_white - white)
        base = _gather_box(region, tl, n, rh, rw, bh, bw)  # (both eyes read the region as it is here)
        blink = by_eye(bs[:, [_B["eyeBlinkRight"], _B["eyeBlinkLeft"]]]) * open_e
        blink = blink[:, None, None, None]
        # the lid band (from `band` above the lid's landmark curve down to it) re-mapped
        # exactly: the coarse map plus its error at the lid curve, faded toward the band's top
        d_u = ef[:, 0:1]
        r_scaled = (r_iris * scale2)[:, None, None, None]
        band = 1.6 * r_scaled
        t = ((d_u + band) / band).clamp(0, 1)
        w_slide = t * t * (3 - 2 * t) * torch.sigmoid((1.1 - ef[:, 2:3].abs()) * 20)
        w_slide = w_slide * torch.sigmoid((1.0 - d_u) / 0.5) * (blink * 4).clamp(0, 1)
        lid_now = by_eye(out2[:, rows])  # (2N, 9, 2): each eye's upper lid now
        table = _lid_error(lid_u[None].expand(m2, -1), lid_now, twice(down), src_lid, twice(bmap), lo, span)
        err = _table_lookup(table, ef[:, 2], LID_U0, LID_DU)
        # a photo's shut lid is the lid skin above its lashes carried down to the lash line
        closing = ((blink - CLOSED_FROM) / (1 - CLOSED_FROM)).clamp(0, 1)
        closing = closing * closing * (3 - 2 * closing) * (1 - drawn)  # drawn eyes: as before
        sp, carried, ax_s = _carry_lid_skin(ef[:, 3:5] + err * w_slide, src_lid, row_e * r_iris, closing)
        # taps along the lid blur the carried row (one row carried down showed as streaks);
        # snapped to 1/32 texel: the same motion must give the same pixels at any batch
        # position (reductions can round differently per position)
        step = (LID_BLUR * r_iris)[:, None, None, None] * ax_s
        taps = torch.cat([sp - step, sp, sp + step], 0)
        taps = (torch.round((taps * 2 - 0.5) * 32) / 32).permute(0, 2, 3, 1)
        taps = _bilinear(texture, taps[..., 0].reshape(1, -1), taps[..., 1].reshape(1, -1))
        taps = taps.reshape(3, 3, m2, bh, bw).permute(1, 2, 0, 3, 4)
        slid = taps[1] + carried * (taps.mean(0) - taps[1])
        rgb = base[:, 0:3] + w_slide * (slid - base[:, 0:3])  # (the matte stays the warp's)
        rgb = rgb + m_scl * (white - rgb)
        rgb = rgb + m_iris * (iris_px - rgb)
        # the eyelid: the warp brings the lid (with its own lashes) most of the way down
        # (rig_basis.py); this layer covers what is left of the eye with lid skin and a lash line
        warp = warp[:, None, None, None]
        cover = blink * (1 - warp) / (1 - warp * blink + 1e-3)
        # the lid's line comes down to the lower lid; a drawn eye's only DRAWN_SHUT_DEPTH of the
        # way from its corners' line to it (a closed anime eye is a shallow arc, not the lower
        # outline's U)
        reach_down = d_u + ef[:, 1:2] - drawn * (1 - DRAWN_SHUT_DEPTH) * (ef[:, 5:6] + ef[:, 1:2])
        edge = cover * F.relu(reach_down)
        # a closing lid also covers a little below the lower lid's landmark curve: the visible
        # lid margin sits there, and the iris would show through as a sliver under the lashes
        over = 0.25 * r_scaled * cover * cover
        # a drawn eye's lid line also reaches past the corners over its outline strokes
        lateral = torch.sigmoid((1.0 + DRAWN_LID_REACH * drawn - ef[:, 2:3].abs()) * 30)
        # (and starts a little above the lid's curve, to blend into the re-mapped lid)
        band = 0.5 * over
        t_top = ((d_u + band) / (0.8 * band + 0.6)).clamp(0, 1)
        m_top = t_top * t_top * (3 - 2 * t_top)
        # a drawn eye's shut lid is its patch (drawn_lids.py), shown above the closing lid's line
        # wherever the patch painted the eye over: its lash line's ends and strokes past the
        # corners too, so it has no top edge of its own
        m_top = m_top + drawn * (1 - m_top)
        lat_cover = torch.sigmoid((1.0 + DRAWN_COVER_REACH * drawn - ef[:, 2:3].abs()) * 30)
        m_lid = torch.sigmoid((edge + over - d_u) / 0.6)
        # (and, as it shuts, below the line too: the closed frame has no eye left)
        m_lid = m_lid + drawn * ((blink - 0.8) / 0.2).clamp(0, 1) * (1 - m_lid)
        m_lid = m_top * m_lid * lat_cover * (blink > 0.02)
        start = ((blink - 0.02) / 0.1).clamp(0, 1)  # (a drawn lash line is not swapped at once)
        m_lid = m_lid * (1 + drawn * (start - 1))
        # a little darker toward the seam (a photographed lid is convex, its lower edge in shadow;
        # a drawn one is flat): per-eye brightness and darkening from geom (rig_basis.lid_shade)
        t_seam = ((d_u + band) / (edge + over + band + 1e-3)).clamp(0, 1)
        lid_light, lid_dark = per_eye(10, 2)[:, None, None, None], per_eye(11, 2)[:, None, None, None]
        lid = colors[8][None, :, None, None] * (lid_light - lid_dark * t_seam)
        # the patch's texels (twice the portrait's), each eye in its own patch
        pu = 2 * (ef[:, 3] - per_eye(23, 2)[:, None, None]) - 0.5
        pv = 2 * (ef[:, 4] - per_eye(24, 2)[:, None, None]) - 0.5
        patch = _nearest(lid_patch, pu.reshape(2, -1), pv.reshape(2, -1))  # (2, 4, N * h * w)
        patch = patch.reshape(2, 4, n, bh, bw).permute(0, 2, 1, 3, 4).reshape(m2, 4, bh, bw)
        lid = lid + drawn * (patch[:, 0:3] - lid)
        m_lid = m_lid * (1 + drawn * (patch[:, 3:4] - 1))
        rgb = rgb + m_lid * (lid - rgb)
        # closed, a drawn eye is one bold stroke, as thick as its drawn lash line
        lash_w = (PHOTO_LASH_W + (DRAWN_LASH_W - PHOTO_LASH_W) * drawn) * r_eye[:, None, None, None]
        lash_w = lash_w * scale2[:, None, None, None]
        from_line = (d_u - edge - 0.3 * over).abs()
        soft = _decay((from_line / lash_w) ** 2)  # a photo's lashes
        crisp = torch.sigmoid((lash_w - from_line) / 0.6)  # a drawn stroke: edges a pixel wide
        m_lash = (soft + drawn * (crisp - soft)) * lateral * (cover * 3).clamp(0, 1)
        shade = PHOTO_LASH_SHADE + (DRAWN_LASH_SHADE - PHOTO_LASH_SHADE) * drawn
        rgb = rgb + m_lash * (colors[7][None, :, None, None] * shade - rgb)
        eyes = torch.cat([rgb, base[:, 3:4]], 1)
        # written one eye after the other, so where the two boxes overlap (over the nose's bridge,
        # where neither layer draws) the left eye's pixels are the ones kept, as before
        region = _composite(region, eyes[:n], tl[:n], n, rh, rw)
        region = _composite(region, eyes[n:], tl[n:], n, rh, rw)

        # --- paste the region into the still background (four slabs around it: plain copies).
        region = region.reshape(n, rh, rw)
        mid = torch.cat([bg_left.expand(n, -1, -1), region, bg_right.expand(n, -1, -1)], 2)
        return torch.cat([bg_top.expand(n, -1, -1), mid, bg_bottom.expand(n, -1, -1)], 1)


def _with_column(x: torch.Tensor, i: int, column: torch.Tensor) -> torch.Tensor:
    """x (N, C) with its column i replaced (a concatenation: exports as three ONNX nodes)."""
    return torch.cat([x[:, :i], column[:, None], x[:, i + 1 :]], 1)


def _per_eye(x: torch.Tensor, n) -> torch.Tensor:
    """Per-eye values (2, ...) as the eye batch's rows (2N, ...): each eye's value N times."""
    return x.unsqueeze(1).expand(x.shape[0], n, *x.shape[1:]).reshape(-1, *x.shape[1:])


def _source_lid(lid_src, down_src, table_u):
    """The portrait's upper lids (lid_src (E, 9, 2), fixed per avatar) as their axes (centre (E, 2),
    half length (E, 1), axis and normal (E, 2): _axes) and their curves v tabulated at table_u (M,)
    along the eye (E, M), for the eye layer's lid re-mapping (_lid_error) and shut lid
    (_carry_lid_skin)."""
    centre, half, ax, nrm = _axes(lid_src[:, 0], lid_src[:, -1], down_src)
    uk = ((lid_src - centre[:, None]) * ax[:, None]).sum(-1) / half
    vk = ((lid_src - centre[:, None]) * nrm[:, None]).sum(-1)
    u = table_u[None, :, None].expand(lid_src.shape[0], -1, 1)
    return centre, half, ax, nrm, _curve(u, uk, vk, 0.2)[:, :, 0]


def _lid_error(u, lid_now, down_now, src_lid, bmap, lo, span):
    """How far off the coarse map is at the upper lid, at positions u (N, M) along the eye (-1 and
    1 are the corners).

    The low-res warp cannot squeeze the eye's opening to a seam within a few pixels, so while a lid
    closes the portrait's lash line lags above the lid's landmark curve. This is the source position
    of the lid curve in the portrait minus where the coarse map reads the current lid curve:
    (N, 2, M), in source pixels. The eye layer adds it (faded over the lid band) to re-map the lid
    exactly; it depends on u alone, so a short table along the eye is enough."""
    centre, half, ax, nrm = _axes(lid_now[:, 0], lid_now[:, -1], down_now)
    uk = ((lid_now - centre[:, None]) * ax[:, None]).sum(-1) / half
    vk = ((lid_now - centre[:, None]) * nrm[:, None]).sum(-1)
    v_lid = _curve(u[:, :, None], uk, vk, 0.2)[:, :, 0]  # (N, M)
    seam = centre[:, None] + (u * half).unsqueeze(-1) * ax[:, None] + v_lid.unsqueeze(-1) * nrm[:, None]
    # the same lid curve in the portrait (tabulated at the same u)
    centre_s, half_s, ax_s, nrm_s, v_src = src_lid
    want = centre_s[:, None] + (u * half_s).unsqueeze(-1) * ax_s[:, None] + v_src[:, :, None] * nrm_s[:, None]
    return want.permute(0, 2, 1) - _read_map(bmap, seam, lo, span)


def _lip_error(lip_now, lip_src, back, lo, span):
    """How far off each lip's coarse map is at its inner line: (N, 2 lips, 2 xy, 11 points), in
    source pixels. lip_now (N, 22, 2): the inner lip points this frame (upper, then lower); lip_src
    (22, 2): the same points in the portrait; back (N, 2 pinned lip, 2 xy, Gh, Gw): the maps.

    The low-res warp cannot squeeze the portrait's opening to a seam within a few pixels (as at the
    upper lids, _lid_error): closing a portrait's parted lips, each lip's map read the current inner
    line 2-4 pixels into the opening, and a line of the portrait's teeth showed between the shut
    lips. This is, per point, the point's source position minus where its lip's map reads it."""
    n, gh, gw = back.shape[0], back.shape[3], back.shape[4]
    got = _read_map(back.reshape(n * 2, 2, gh, gw), lip_now.reshape(n * 2, 11, 2), lo, span)  # (2N, 2, 11)
    want = lip_src.reshape(2, 11, 2).permute(0, 2, 1)
    return want - got.reshape(n, 2, 2, 11)


def _read_map(fields: torch.Tensor, pts: torch.Tensor, lo: torch.Tensor, span: torch.Tensor) -> torch.Tensor:
    """Low-res fields (B, C, Gh, Gw) read bilinearly at pixel positions pts (B, M, 2): (B, C, M)."""
    gh, gw = fields.shape[2], fields.shape[3]
    at = (pts - lo) / span * torch.stack([gw - 1 + lo[0] * 0, gh - 1 + lo[1] * 0])
    return _bilinear(fields, at[..., 0], at[..., 1])


def _lid_coords(sp, src_lid):
    """Source positions (N, 2, h, w) in the portrait's upper-lid frame (src_lid: _source_lid):
    along the eye u (-1, 1 at the corners), across it v (source pixels, down positive), and the
    lid curve's v at that u (its tabulated curve interpolated: a kernel sum per pixel costs more)."""
    centre, half, ax, nrm, table = src_lid
    rel = sp - centre[:, :, None, None]
    u = (rel * ax[:, :, None, None]).sum(1) / half[:, :, None]
    v = (rel * nrm[:, :, None, None]).sum(1)
    v_lid = _table_lookup(table[:, None], u, LID_U0, LID_DU)[:, 0]
    return u, v, v_lid


def _under_source_lid(sp, src_lid, amount):
    """Source positions (N, 2, h, w) more than a pixel above the portrait's upper-lid curve
    (src_lid: _source_lid, one row per source) moved down to a pixel above it, by `amount` (N, 1, 1,
    1; 0..1). (The pixel leaves the eye's soft edge at rest as the portrait has it.)"""
    _, v, v_lid = _lid_coords(sp, src_lid)
    drop = F.relu(v_lid - v - 1.0).unsqueeze(1) * amount
    return sp + drop * src_lid[3][:, :, None, None]


def _carry_lid_skin(sp, src_lid, row, closing):
    """Source positions (N, 2, h, w) of a closing lid moved up to at least `row` (N,) source pixels
    above the portrait's upper-lid curve (src_lid: _source_lid, one row per source), as far as
    `closing` (N, 1, 1, 1) says.

    A photo's upper lashes curl up over the open lid; slid down with it they showed as a dark,
    streaky curtain over the shut eye, and a painted liner as a second, wavy line. Everything
    below the row (lashes, liner, the eye) takes the row's skin instead, so the shut lid is the
    lid skin down to the drawn lash line. Also returns how far each source moved, as a 0..1 weight
    (where the row is carried, the caller blurs it along the lid), and the lid's axis (N, 2, 1, 1).
    """
    _, _, ax, nrm, _ = src_lid
    u, v, v_lid = _lid_coords(sp, src_lid)
    lift = F.relu(v - v_lid + row[:, None, None]).unsqueeze(1) * closing
    lift = lift * torch.sigmoid((1.1 - u.abs()) * 20).unsqueeze(1)
    carried = (lift / (0.3 * row[:, None, None, None] + 1e-3)).clamp(0, 1)
    return sp - lift * nrm[:, :, None, None], carried, ax[:, :, None, None]


def _table_lookup(table: torch.Tensor, u: torch.Tensor, u0: float, du: float) -> torch.Tensor:
    """Linear interpolation in a table (N, C, M) sampled at u0 + i * du, at u (N, h, w): (N, C, h, w)."""
    n, c, m = table.shape
    f = ((u - u0) / du).clamp(0, m - 1.001)
    i0 = torch.floor(f)
    frac = (f - i0).reshape(n, 1, -1)
    idx = i0.to(torch.int32).reshape(n, 1, -1).expand(-1, c, -1)
    a = torch.gather(table, 2, idx)
    b = torch.gather(table, 2, idx + 1)
    return (a + frac * (b - a)).reshape(n, c, u.shape[1], u.shape[2])


def _place(centre: torch.Tensor, box: torch.Tensor, region_lo: torch.Tensor, rh, rw):
    """Integer top-left (N, 2) of a box centred on `centre`, kept inside the region, and the
    box's pixel-centre coordinates: the box is axis-aligned, so its columns' x (N, w) and its
    rows' y (N, h)."""
    dims = torch.stack([box[0, -1, 0] + 0.5, box[-1, 0, 1] + 0.5])  # (w, h) as floats
    limit = torch.stack([region_lo[0] * 0 + rw, region_lo[1] * 0 + rh]) - dims
    tl = torch.round(centre - region_lo - dims / 2)
    tl = torch.minimum(torch.maximum(tl, torch.zeros_like(tl)), limit)
    at = tl + region_lo
    return tl, box[0, :, 0] + at[:, 0:1], box[:, 0, 1] + at[:, 1:2]


def _texel_lookup(texels: torch.Tensor, coords: torch.Tensor, tex_w) -> torch.Tensor:
    """Nearest packed RGBA texels (N * h * w,) int32 at 2x-texture coordinates (N, 2, h, w),
    border-clamped. An element gather (GatherElements) of one int32 per pixel is ~10x cheaper in
    onnxruntime than a row gather of 4 bytes. (Clamped first, the coordinates are >= 0, so the cast's
    truncation is the floor.)"""
    t = coords.clamp(min=0, max=tex_w - 1).to(torch.int32)
    flat = t[:, 1] * tex_w + t[:, 0]
    return torch.gather(texels, 0, flat.reshape(-1))


def _unpack(packed: torch.Tensor) -> torch.Tensor:
    """Packed RGBA int32 (M,) (R in the low byte) -> floats (4, M) in 0..1, channels first.

    Split into 16-bit halves with float32 and int32 arithmetic (exact: float32's rounding of the
    int32 is corrected by one step), each op on whole (M,) vectors with scalar constants.
    onnxruntime runs a broadcast over a short last axis ((M, 4) by (4,)) and int64 division
    several times slower per element; the (M, 4) int64 form took 7x as long."""
    hi = torch.floor(packed.to(torch.float32) * 2.0**-16)
    lo = packed - hi.to(torch.int32) * 65536
    fix = torch.floor(lo.to(torch.float32) * 2.0**-16)
    hi = hi + fix  # -32768..32767: blue and the signed alpha byte
    lo = (lo - fix.to(torch.int32) * 65536).to(torch.float32)  # 0..65535: red and green
    g = torch.floor(lo * (1.0 / 256))
    a = torch.floor(hi * (1.0 / 256))
    b = hi - a * 256
    a = a - torch.floor(a * (1.0 / 256)) * 256
    return torch.stack([lo - g * 256, g, b, a], 0) / 255


def _pack(rgba: torch.Tensor) -> torch.Tensor:
    """Floats (4, M) in 0..1, channels first -> packed RGBA int32 (M,), rounded to the nearest byte.
    Built from two 16-bit halves (exact in float32), the alpha byte signed so nothing overflows."""
    q = torch.floor(rgba.clamp(0, 1) * 255 + 0.5)
    alpha = q[3] - (q[3] >= 128).to(torch.float32) * 256
    lo = (q[0] + q[1] * 256).to(torch.int32)
    hi = (q[2] + alpha * 256).to(torch.int32)
    return hi * 65536 + lo


def _texels_float(packed: torch.Tensor, n, h, w) -> torch.Tensor:
    """Packed texels (N * h * w,) as a float box (N, 4, h, w) in 0..1."""
    return _unpack(packed).reshape(4, n, h, w).permute(1, 0, 2, 3)


def _bilinear(data: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """data (B, C, H, W) read bilinearly at index coordinates u (along W) and v (along H), both
    (B, P), clamped to the border: what GridSample does (align_corners=True in index units), as four
    element gathers, since onnxruntime's CPU GridSample costs ~20 ns per sample and channel."""
    b, c, h, w = data.shape
    one = torch.ones_like(u[:1, :1])
    u = torch.minimum(u.clamp(min=0), (w - 1) * one)
    v = torch.minimum(v.clamp(min=0), (h - 1) * one)
    x0 = torch.minimum(torch.floor(u), (w - 2) * one)
    y0 = torch.minimum(torch.floor(v), (h - 2) * one)
    fx, fy = (u - x0).unsqueeze(1), (v - y0).unsqueeze(1)
    flat = data.reshape(b, c, h * w)
    base = (y0 * w + x0).to(torch.int32).unsqueeze(1).expand(-1, c, -1)
    c00 = torch.gather(flat, 2, base)
    c01 = torch.gather(flat, 2, base + 1)
    c10 = torch.gather(flat, 2, base + w)
    c11 = torch.gather(flat, 2, base + w + 1)
    top = c00 + fx * (c01 - c00)
    bottom = c10 + fx * (c11 - c10)
    return top + fy * (bottom - top)


def _nearest(data: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """data (B, C, H, W) at the nearest index to u (along W) and v (along H), (B, P), clamped: one
    gather (a quarter of _bilinear's) where the data is already at twice the needed resolution."""
    b, c, h, w = data.shape
    one = torch.ones_like(u[:1, :1])
    x = torch.minimum(torch.round(u).clamp(min=0), (w - 1) * one)
    y = torch.minimum(torch.round(v).clamp(min=0), (h - 1) * one)
    idx = (y * w + x).to(torch.int32).unsqueeze(1).expand(-1, c, -1)
    return torch.gather(data.reshape(b, c, h * w), 2, idx)


def _sample_at(
    fields: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor, lo: torch.Tensor, span: torch.Tensor
):
    """Low-res fields (N, C, Gh, Gw) read bilinearly (border-clamped) at a box's pixel centres
    (columns' x (N, w), rows' y (N, h): _place). The box is axis-aligned, so bilinear interpolation
    is a product of hat weights along y and x: two small matmuls, several times cheaper than
    onnxruntime's GridSample."""
    gh, gw = fields.shape[2], fields.shape[3]
    fy = (ys - lo[1]) / span[1] * (gh - 1)  # (N, h) in grid rows
    fx = (xs - lo[0]) / span[0] * (gw - 1)  # (N, w) in grid columns
    fy = torch.minimum(fy.clamp(min=0), (gh - 1) * torch.ones_like(fy[:1, :1]))
    fx = torch.minimum(fx.clamp(min=0), (gw - 1) * torch.ones_like(fx[:1, :1]))
    rows = torch.arange(gh, dtype=torch.float32, device=fy.device)
    cols = torch.arange(gw, dtype=torch.float32, device=fx.device)
    wy = F.relu(1 - (fy[:, :, None] - rows).abs())  # (N, h, Gh)
    wx = F.relu(1 - (fx[:, None, :] - cols[:, None]).abs())  # (N, Gw, w)
    return torch.matmul(torch.matmul(wy.unsqueeze(1), fields), wx.unsqueeze(1))


def _box_index(tl: torch.Tensor, n, rh, rw, bh, bw) -> torch.Tensor:
    """The flat region's indices (B * h * w,) int32 of B boxes with top-left tl (B, 2); box i is on
    frame i mod N (the eye batch holds each frame twice)."""
    ti = tl.to(torch.int32)
    iy = torch.arange(bh, dtype=torch.int32, device=ti.device)[None, :, None] + ti[:, 1, None, None]
    ix = torch.arange(bw, dtype=torch.int32, device=ti.device)[None, None, :] + ti[:, 0, None, None]
    box = torch.arange(ti.shape[0], dtype=torch.int32, device=ti.device)
    frame = (torch.remainder(box, n) * (rh * rw))[:, None, None]
    return (frame + iy * rw + ix).reshape(-1)


# Boxes are read and written as element gathers and scatters (GatherElements, ScatterElements):
# onnxruntime's Gather and ScatterND over single elements cost 2-5x as much per pixel.


def _gather_box(region: torch.Tensor, tl, n, rh, rw, bh, bw) -> torch.Tensor:
    idx = _box_index(tl, n, rh, rw, bh, bw)
    return _texels_float(torch.gather(region, 0, idx), tl.shape[0], bh, bw)


def _composite(region, rgba, tl, n, rh, rw):
    """Write a box layer (N, 4, h, w), floats 0..1, into the flat packed region."""
    bh, bw = rgba.shape[2], rgba.shape[3]
    idx = _box_index(tl, n, rh, rw, bh, bw)
    return region.scatter(0, idx, _pack(rgba.permute(1, 0, 2, 3).reshape(4, -1)))


def _expression_lines(src, rgb, bs, geom, skin):
    """How much darker (N, 1, h, w; negative: lighter) each pixel of the lines box is for the face's
    expression lines, from its source position src (N, 2, h, w) in the portrait: creases across the
    middle of the forehead as the brows rise (the inner brows more than the outer), two furrows
    between the brows as they lower, folds across the nose's bridge as it wrinkles. They belong to
    the skin (they move with it) and show only on skin-coloured pixels; cel art (geom[16]) has none.
    geom[27:29]: the point between the brows; 29:31: the face's right axis; 31: the interpupillary
    distance; 32: the brows' tops and 33: the forehead's top, above that point (ipd units)."""
    rel = src - geom[27:29][None, :, None, None]
    ax = geom[29:31][None, :, None, None]
    ipd = geom[31]
    u = (rel * ax).sum(1, keepdim=True) / ipd
    v = (rel[:, 0:1] * ax[:, 1:2] - rel[:, 1:2] * ax[:, 0:1]) / ipd  # up from the brows' middle
    act = lambda name: bs[:, _B[name]][:, None, None, None]  # noqa: E731
    inner = act("browInnerUp")
    outer = (act("browOuterUpLeft") + act("browOuterUpRight")) / 2
    lower = (act("browDownLeft") + act("browDownRight")) / 2
    sneer = (act("noseSneerLeft") + act("noseSneerRight")) / 2
    # forehead: soft folds (narrow creases, lit rolls) from just above the brows to short of the
    # hairline, arching down at the sides
    above = v - geom[32] + FOREHEAD_ARCH * u * u
    room = geom[33] - geom[32]
    top = torch.minimum(0.85 * room, FOREHEAD_REACH * torch.ones_like(room))
    band = torch.sigmoid((above - 0.08) * 30) * torch.sigmoid((top - above) * 20)
    side = torch.sigmoid((0.33 - u.abs()) * 20)  # the middle of the forehead (the box's width)
    fore = FOREHEAD_DEPTH * (0.7 * inner + 0.3 * outer)
    crease = F.relu(torch.cos(above * (2 * math.pi / FOREHEAD_SPACING))) ** 2  # narrow creases
    shade = fore * (1.4 * crease - 0.35) * band * side  # (the rolls between them a little lit)
    # between the brows: two vertical grooves with the muscle's bulge lit between them
    groove = _decay(((u.abs() - FURROW_APART) / FURROW_WIDTH) ** 2)
    bulge = _decay((u / FURROW_WIDTH) ** 2)
    reach = torch.sigmoid((v + 0.08) * 30) * torch.sigmoid((0.3 - v) * 25)
    shade = shade + FURROW_DEPTH * lower * (groove - 0.5 * bulge) * reach
    # the nose's bridge: soft folds across it below the brows
    below = -v
    nose = torch.cos(below * (2 * math.pi / NOSE_SPACING))
    nose = nose * torch.sigmoid((below - 0.1) * 30) * torch.sigmoid((0.34 - below) * 30)
    nose = nose * torch.sigmoid((0.15 - u.abs()) * 30)
    shade = shade + NOSE_DEPTH * sneer * nose
    like = _decay(((rgb - skin[None, :, None, None]) ** 2).sum(1, keepdim=True) / (2 * SKIN_LIKE**2))
    return shade.clamp(-0.3, 0.5) * like * (1 - geom[16])


def _mouth_layer(
    mf: torch.Tensor,
    bs: torch.Tensor,
    col: torch.Tensor,
    fh: torch.Tensor,
    half: torch.Tensor,
    flat: torch.Tensor,
):
    """Mouth interior from the lip-gap distance fields: dark cavity, tongue, lower and upper teeth
    (soft shapes shaded from the portrait's own colours), and the tongue out over the lower lip.
    `flat` = 1 draws it the way cel art does: flat fills, one band of upper teeth without seams,
    no lower teeth, no shading toward the corners or the inner lip."""
    shade = 1 - flat
    m_top, m_bot, m_u = mf[:, 0:1], mf[:, 1:2], mf[:, 2:3]
    u2 = m_u * m_u
    gap = F.relu(m_top + m_bot)
    # the opening ends in rounded caps short of the corners (the lip curves, smoothed through their
    # points, had not met there, and a cut across them left a blunt, square end): from MOUTH_END[0]
    # of the way to a corner its half-height shrinks as an ellipse's, to nothing at MOUTH_END[1]
    e = (F.relu(m_u.abs() - MOUTH_END[0]) * (1 / (MOUTH_END[1] - MOUTH_END[0]))).clamp(max=1.0)
    cut = 0.5 * gap * (1 - torch.sqrt(1 - e * e + 1e-6))
    m_in = torch.sigmoid((m_top - cut) / 0.6) * torch.sigmoid((m_bot - cut) / 0.6)
    m_in = m_in * torch.sigmoid((MOUTH_END[1] - m_u.abs()) * 40)
    depth = (torch.minimum(m_top, m_bot) / (0.5 * gap + 1)).clamp(0, 1)
    cav = col[1] * (1 - 0.35 * shade * depth) * (1 - 0.3 * shade * u2)
    rim = _decay(torch.minimum(m_top, m_bot).clamp(min=0) / (0.012 * fh + 0.5))  # inner lip surface
    cav = cav + 0.45 * shade * rim * (col[0] * 0.6 - cav)
    t_h = (TONGUE_RISE[0] * shade + TONGUE_RISE[1] * flat) * gap * F.relu(1 - u2 / 0.56)
    # where the lips just meet the line between them is the cavity's shadow, no teeth or tongue yet
    parted = (gap / 1.5).clamp(0, 1)
    m_tg = torch.sigmoid((t_h - m_bot) / 0.8) * parted
    tongue = col[3] * (1 - shade * (0.15 + 0.3 * (m_bot / (t_h + 1)).clamp(0, 1)))
    # teeth: narrower toward the corners (the arch turns away), soft seams, rounded tips
    k_t = (m_u + 0.35 * m_u * m_u.abs()) / 0.2
    d_seam = (k_t - torch.round(k_t)).abs() * 0.2 * half  # pixels to the nearest seam
    seam = _decay((d_seam / 0.45) ** 2)
    tip = _decay((d_seam / (0.05 * half + 1)) ** 2)
    lateral = torch.sigmoid((0.75 - m_u.abs()) * 25)
    arch = torch.sqrt(F.relu(1 - u2 / 0.64) + 1e-6)
    up_h = TEETH_SHOWN[0] * fh * arch * (1 - 0.12 * shade * tip)
    # cel art draws a band of upper teeth across the top of its opening, never filling it
    up_h = shade * up_h + flat * torch.minimum(TEETH_SHOWN[1] * fh * arch, CEL_TEETH_SHARE * gap)
    # the gaps between teeth show most at their biting edges
    edge = (m_top / (up_h + 1e-3)).clamp(0, 1)
    t_shade = (1 - 0.2 * shade * seam * edge) * (1 - 0.4 * shade * u2)
    lo_h = LOWER_TEETH_SHOWN * shade * fh * torch.sqrt(F.relu(1 - u2 / 0.3) + 1e-6) * (1 - 0.12 * tip)
    m_ut = torch.sigmoid((up_h - m_top) / 0.6) * lateral * parted
    m_lt = torch.sigmoid((lo_h - m_bot) / 0.6) * lateral
    up_t = col[2] * t_shade * (1 - 0.28 * shade * (1 - (m_top / (0.3 * up_h + 1e-3)).clamp(0, 1)))
    lo_t = col[2] * t_shade * 0.85
    inside = cav + m_tg * (tongue - cav)
    inside = inside + m_lt * (lo_t - inside)
    inside = inside + m_ut * (up_t - inside)
    # cel art outlines the opening with its line colour (fading in as the lips part: shut, the
    # drawn mouth is its own line)
    line = flat * torch.sigmoid((CEL_MOUTH_LINE - torch.minimum(m_top, m_bot)) / 0.4) * (gap / 3).clamp(0, 1)
    inside = inside + line * (col[7] * 0.8 - inside)
    t_out = bs[:, _B["tongueOut"]][:, None, None, None]
    ext = 0.085 * fh * t_out
    ell = 1 - u2 / 0.13 - ((m_bot + 0.15 * ext) / (ext + 1)) ** 2
    m_to = torch.sigmoid(ell * 8) * torch.sigmoid(m_top / 0.6) * (t_out * 5).clamp(0, 1)
    groove = _decay((m_u * half / (0.04 * half + 0.5)) ** 2)  # the tongue's middle line
    tongue_out = col[3] * (0.72 + 0.28 * ell.clamp(0, 1).sqrt()) * (1 - 0.12 * groove)
    mask = torch.maximum(m_in, m_to)
    rgb = inside + m_to / (mask + 1e-6) * (tongue_out - inside)
    return torch.cat([rgb, mask], 1), mask
