"""How light the teeth in an open mouth are against the cheeks: real talkers against renders.

    python -m benchmarks.teeth_light [PORTRAIT ...]

Real: the eval-dev talking-head videos (internal material, read at run time only), every frame
whose inner-lip gap (mediapipe, upper to lower inner lip at the middle, over forehead-to-chin) is
over OPEN_GAP. Rendered: each portrait (default: the dev portraits) at jawOpen 0.3, 0.45 and 0.6
and one stretched opening. In each frame the teeth are the lightest 15% of the pixels inside the
inner-lip outline, the skin the median of four cheek points; printed are the medians of the
teeth's Lab lightness over the cheeks', the teeth's a* and b*, and the darkest fifth inside the
lips over the cheeks. This calibrated rig_colors.TEETH_LIGHT.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from facecast.runtime.face_anatomy import LIPS_LI, LIPS_UI

from .generator_quality import motion, portrait_paths
from .motion_stats import read_video

VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "eval-dev" / "videos"
OPEN_GAP = 0.06  # of the face's height: a mouth open this far shows its teeth
CHEEKS = (50, 280, 205, 425)  # mediapipe mesh points on both cheeks


def mouth_light(rgb: np.ndarray, mesh: np.ndarray) -> tuple[float, ...] | None:
    """(gap, teeth L / cheek L, teeth a*, teeth b*, darkest fifth L / cheek L), or None when the
    lips hold too few pixels to tell."""
    inner = np.concatenate([mesh[list(LIPS_UI), :2], mesh[list(LIPS_LI), :2][::-1]])
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 1)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float64)
    inside = lab[mask > 0]
    if len(inside) < 30:
        return None
    light = inside[:, 0]
    teeth = inside[light >= np.percentile(light, 85)].mean(axis=0)
    h, w = rgb.shape[:2]
    cheek = np.median([lab[min(int(mesh[i, 1]), h - 1), min(int(mesh[i, 0]), w - 1), 0] for i in CHEEKS])
    gap = np.linalg.norm(mesh[13, :2] - mesh[14, :2]) / np.linalg.norm(mesh[10, :2] - mesh[152, :2])
    return gap, teeth[0] / cheek, teeth[1] - 128, teeth[2] - 128, np.percentile(light, 20) / cheek


def _row(name: str, rows: list) -> str:
    if not rows:
        return f"  {name[:28]:<28} no open mouth"
    _, ratio, a, b, dark = np.median(np.array(rows), axis=0)
    return f"  {name[:28]:<28} {len(rows):4d} frames  teeth/cheek {ratio:.2f}  a* {a:5.1f}  b* {b:5.1f}  dark/cheek {dark:.2f}"


def real_rows(video: Path) -> list:
    from facecast.runtime.face_landmarks import face_mesh

    rows = []
    for f in read_video(video)[0]:
        rgb = np.ascontiguousarray(f)
        mesh = face_mesh(rgb)
        r = mouth_light(rgb, mesh) if mesh is not None else None
        if r is not None and r[0] > OPEN_GAP:
            rows.append(r)
    return rows


def rendered_rows(path: Path) -> list:
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.face_landmarks import face_mesh
    from facecast.runtime.generator import Generator

    openings = [motion(jawOpen=j) for j in (0.3, 0.45, 0.6)]
    openings.append(motion(jawOpen=0.35, mouthStretchLeft=0.4, mouthStretchRight=0.4))
    rows = []
    for f in Generator(prepare_avatar(path)).render(np.stack(openings)):
        rgb = np.ascontiguousarray(f[..., :3])
        mesh = face_mesh(rgb)
        r = mouth_light(rgb, mesh) if mesh is not None else None
        if r is not None:
            rows.append(r)
    return rows


def main(argv: list[str] | None = None) -> int:
    videos = sorted(VIDEOS.glob("*.mp4"))
    print("real talkers (eval-dev videos), medians over open-mouth frames:")
    for v in videos:
        print(_row(v.name, real_rows(v)))
    if not videos:
        print(f"  no videos in {VIDEOS} (internal evaluation material)")
    print("rendered openings:")
    for path in portrait_paths(argv, "teeth lightness, real against rendered"):
        try:
            print(_row(path.name, rendered_rows(path)))
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            print(f"  {path.name[:28]:<28} failed: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
