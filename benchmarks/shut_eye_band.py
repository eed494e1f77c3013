"""The dark band a shut eye shows along its lashes: real blinks against rendered ones.

    python -m benchmarks.shut_eye_band [PORTRAIT ...]

Real: the eval-dev talking-head videos (internal material, read at run time only). Closed frames
are those whose mean mediapipe eye ratio (face_measure.mesh_ear) is under CLOSED_SHARE of the
clip's median; on each, the vertical brightness profile through the eye at 35%, 50% and 65% of the
way between its corners gives the band's width at half depth (in eye widths) and its darkest
point against the lid around it (75th percentile of the profile; 0 = black). Rendered: the same
on a full blink of each portrait (default: the dev portraits), with the corners read by mediapipe
on the open frame. Also printed: dlib's eye aspect ratio on the shut frame as a share of the open
one, the project's blink reading (seen below 0.75). This calibrated the graph's
PHOTO_LASH_W and PHOTO_LASH_SHADE (docs/generator.md, "A shut eye's lash band").
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import face_measure as fm
from .generator_quality import motion, portrait_paths
from .motion_stats import read_video

VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "eval-dev" / "videos"
CLOSED_SHARE = 0.35  # of the clip's median eye ratio: a frame this closed is a shut eye
CORNERS = ((33, 133), (263, 362))  # mediapipe mesh: each eye's outer and inner corner
ALONG = (0.35, 0.5, 0.65)  # where across the eye the profile is read
REACH = 0.35  # eye widths above and below the corners' line that the profile covers


def band(rgb: np.ndarray, mesh: np.ndarray, eye: int) -> tuple[float, float]:
    """(width at half depth in eye widths, darkest / lid brightness) of the darkest band across
    one eye, medians over the ALONG profiles."""
    a, b = (mesh[i, :2] for i in CORNERS[eye])
    ew = float(np.linalg.norm(a - b))
    grey = rgb.astype(np.float64).mean(axis=2)
    out = []
    for t in ALONG:
        x, yc = a + t * (b - a)
        ys = np.arange(int(yc - REACH * ew), int(yc + REACH * ew))
        col = grey[np.clip(ys, 0, grey.shape[0] - 1), int(round(x))]
        i = int(col.argmin())
        lid = float(np.percentile(col, 75))
        half = lid - (lid - col[i]) / 2
        lo, hi = i, i
        while lo > 0 and col[lo] < half:
            lo -= 1
        while hi < len(col) - 1 and col[hi] < half:
            hi += 1
        out.append(((hi - lo) / ew, col[i] / max(lid, 1e-6)))
    w, d = np.median(np.array(out), axis=0)
    return float(w), float(d)


def real_bands(video: Path) -> list[tuple[int, float, float]]:
    """(frame, width, depth) for both eyes of each closed frame of a clip."""
    from facecast.runtime.face_landmarks import face_mesh

    frames = [np.ascontiguousarray(f) for f in read_video(video)[0]]
    ears = np.array([np.mean(e) if (e := fm.mesh_ear(f)) else np.nan for f in frames])
    closed = np.nonzero(ears < CLOSED_SHARE * np.nanmedian(ears))[0]
    out = []
    for i in closed:
        mesh = face_mesh(frames[i])
        if mesh is not None:
            out += [(int(i), *band(frames[i], mesh, e)) for e in (0, 1)]
    return out


def rendered_bands(path: Path) -> tuple[list[tuple[float, float]], float]:
    """Both eyes' band on a full blink of the portrait, and dlib's shut/open eye ratio."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.face_landmarks import face_mesh
    from facecast.runtime.generator import Generator

    gen = Generator(prepare_avatar(path))
    opened, shut = (
        np.ascontiguousarray(f[..., :3])
        for f in gen.render(np.stack([motion(), motion(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)]))
    )
    mesh = face_mesh(opened)
    m_open, m_shut = fm.measure_frame(opened), fm.measure_frame(shut)
    ratio = m_shut.mean_ear / m_open.mean_ear if m_open and m_shut else float("nan")
    return [band(shut, mesh, e) for e in (0, 1)], ratio


def main(argv: list[str] | None = None) -> int:
    videos = sorted(VIDEOS.glob("*.mp4"))
    if videos:
        print("real blinks (eval-dev videos): eye band width (eye widths) and darkest / lid, median (range)")
        for v in videos:
            rows = np.array([r[1:] for r in real_bands(v)])
            if not len(rows):
                print(f"  {v.name[:28]:<28} no closed frame")
                continue
            (w_lo, d_lo), (w_md, d_md), (w_hi, d_hi) = np.percentile(rows, [0, 50, 100], axis=0)
            print(
                f"  {v.name[:28]:<28} {len(rows) // 2} closed frames: width {w_md:.3f} ({w_lo:.3f}-{w_hi:.3f}),"
                f" darkest/lid {d_md:.2f} ({d_lo:.2f}-{d_hi:.2f})"
            )
    else:
        print(f"no videos in {VIDEOS} (internal evaluation material): rendered bands only")
    print(
        "rendered full blinks: portrait, band width and darkest / lid (right eye, left eye), dlib shut/open"
    )
    for path in portrait_paths(argv, "shut-eye lash band, real against rendered"):
        try:
            bands, ratio = rendered_bands(path)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            print(f"  {path.name[:28]:<28} failed: {exc}")
            continue
        cells = "  ".join(f"{w:.3f} {d:.2f}" for w, d in bands)
        print(f"  {path.name[:28]:<28} {cells}  {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
