"""How a rig's head turn compares with real ones, without reading a pose off a rendered frame.

    python -m benchmarks.turn_realism [--pairs 24] [--seed 0] [--yaw-gain G]

From the eval-dev talking-head videos (internal material, read at run time only): pairs of frames
of one speaker, at most 60 frames apart, whose head turned 8-18 degrees sideways and under 3 up or
down between them (the mean of dlib's and mediapipe's readings, which agree on real footage; pairs
where they differ by over 3 degrees are skipped). The first frame is prepared as an avatar, its
rig turned by the measured angles (`rig_depth.turned_points`, as the graph turns it) and the
rig's mesh points compared with mediapipe's mesh on the second frame, both centred on the rigid
points (eyes, nose, brows, forehead, cheeks; not the mouth or chin, which speech moves) and the
second frame's roll taken out. Printed: the residual per group of points along the turn (in
interpupillary distances; > 0 = the rig moved it further than the real head did) and the RMS
residual against not turning at all. The face's side contour is left out: on a real frame the
mesh's contour points slide to the new silhouette, while the rig's stay on the same skin.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import cv2
import numpy as np

from facecast.runtime.face_anatomy import BROW_TOPS

from . import face_measure as fm
from .motion_stats import read_video

VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "eval-dev" / "videos"
GROUPS = {
    "eye corners": (33, 133, 362, 263),
    "eyelids": (159, 145, 386, 374),
    "nose tip": (1, 4, 5),
    "nose bridge": (195, 197, 6, 168),
    "nostrils": (98, 327, 2),
    "brows": BROW_TOPS,
    "forehead": (10, 338, 297, 332, 284, 109, 67, 103, 54, 21, 162, 127, 251, 389, 356),
    "cheeks": (50, 280, 205, 425, 117, 346),
}
YAW_RANGE, MAX_PITCH, MAX_DISAGREE, MAX_APART, STEP = (8.0, 18.0), 3.0, 3.0, 60, 3


def video_frames(path: Path) -> list[dict]:
    """Every STEP-th frame with a face: its PNG bytes, mesh in source pixels and both pose readings."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.errors import AvatarError
    from facecast.runtime.face_landmarks import head_angles

    out = []
    for k, rgb in enumerate(read_video(path)[0]):
        if k % STEP == 0:
            png = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))[1].tobytes()
            m = fm.measure_frame(np.ascontiguousarray(rgb))
            try:
                av = prepare_avatar(png)
            except AvatarError:
                av = None
            if m is not None and av is not None:
                src = av.source_points()
                dlib, mesh = np.array([m.yaw, m.pitch, m.roll]), np.array(head_angles(av.landmarks))
                out.append({"k": k, "png": png, "src": src, "dlib": dlib, "mesh": mesh})
    return out


def turn_pairs(frames: list[dict]) -> list[tuple[dict, dict, np.ndarray]]:
    pairs = []
    for a, b in itertools.combinations(frames, 2):
        by_dlib, by_mesh = b["dlib"] - a["dlib"], b["mesh"] - a["mesh"]
        d = (by_dlib + by_mesh) / 2
        if (
            abs(a["k"] - b["k"]) <= MAX_APART
            and YAW_RANGE[0] <= abs(d[0]) <= YAW_RANGE[1]
            and abs(d[1]) < MAX_PITCH
            and abs(by_dlib[0] - by_mesh[0]) < MAX_DISAGREE
        ):
            pairs.append((a, b, d))
    return pairs


def residuals(a: dict, b: dict, d: np.ndarray) -> tuple[dict[int, float], float, float]:
    """Per rigid point, the rig's minus the real position along the turn (ipd units); and the RMS
    residual of the turned rig and of the unturned portrait."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.face_anatomy import FaceFrame, select_mesh_points
    from facecast.runtime.rig import LANDMARKS, RigOptions, build_rig
    from facecast.runtime.rig_depth import turned_points

    av = prepare_avatar(a["png"])
    rig = build_rig(av)
    lm = rig[LANDMARKS].astype(np.float64)  # (a parted mouth closed: mouth_close.py)
    mesh_idx = select_mesh_points(lm, FaceFrame.from_landmarks(lm), RigOptions().min_spacing)
    slot = {int(i): k for k, i in enumerate(mesh_idx)}
    use = [i for ids in GROUPS.values() for i in ids if i in slot]
    rig_pts = turned_points(rig, float(d[0]), float(d[1]))[[slot[i] for i in use]]
    crop = av.crop.astype(np.float64)
    real = (b["src"] @ crop[:, :2].T + crop[:, 2])[use]
    c, s = np.cos(np.radians(-d[2])), np.sin(np.radians(-d[2]))  # take the real frame's roll out
    real = (real - real.mean(0)) @ np.array([[c, s], [-s, c]])
    ipd = float(np.linalg.norm(lm[468, :2] - lm[473, :2]))

    def centred(p: np.ndarray) -> np.ndarray:
        return p - p.mean(0)

    r = (centred(rig_pts) - real) / ipd
    still = (centred(lm[use, :2]) - real) / ipd
    along = dict(zip(use, r[:, 0] * np.sign(d[0])))
    return along, float(np.sqrt((r**2).sum(1).mean())), float(np.sqrt((still**2).sum(1).mean()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=24)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--yaw-gain", type=float, help="try the rig with another rig_depth.YAW_DEPTH_GAIN")
    args = p.parse_args(argv)
    if args.yaw_gain is not None:
        from facecast.runtime import rig_depth

        rig_depth.YAW_DEPTH_GAIN = args.yaw_gain
    videos = sorted(VIDEOS.glob("*.mp4"))
    if not videos:
        print(f"no videos: {VIDEOS} is absent (internal evaluation material)", file=sys.stderr)
        return 1
    pairs = [pair for v in videos for pair in turn_pairs(video_frames(v))]
    if not pairs:
        print("no pair of frames turned 8-18 degrees apart", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    pairs = [pairs[i] for i in rng.choice(len(pairs), min(args.pairs, len(pairs)), replace=False)]
    results = [residuals(a, b, d) for a, b, d in pairs]
    print(
        f"{len(pairs)} pairs, turns {min(abs(d[0]) for *_, d in pairs):.1f}-{max(abs(d[0]) for *_, d in pairs):.1f} degrees"
    )
    print(f"RMS residual (ipd): turned rig median {np.median([r[1] for r in results]):.3f}, "
          f"not turned {np.median([r[2] for r in results]):.3f}")  # fmt: skip
    for name, ids in GROUPS.items():
        vals = [r[0][i] for r in results for i in ids if i in r[0]]
        print(f"  {name:12s} along the turn {np.mean(vals):+.3f} ipd (n {len(vals)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
