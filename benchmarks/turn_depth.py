"""Where a rendered head turn differs from a real one: each dlib landmark's effective depth.

    python -m benchmarks.turn_depth PORTRAIT [PORTRAIT ...]

A rigid turn by +-a degrees moves a point at depth z sideways by +-z sin(a) (plus the same
foreshortening both ways), so half the difference between the +a and -a frames over 2 sin(a) is
the depth the render gave that point. It is printed beside the depth of the same point in the
generic face dlib's head pose is solved against (face_measure's Martins and Batista model), both
relative to the outer eye corners and in that model's units (outer eye corners 10.6 apart). A
render whose turn is that of a real head gives the model's column up to noise; solvePnP's reading
is a least-squares compromise between the points, so a good yaw reading can hide a nose that
turns too much and mouth corners that turn too little (docs/generator.md, "Measured quality").
Meant for portraits that face the camera: on a turned one the two turns foreshorten the sides
differently, which shows as a left/right difference between paired points.
"""

from __future__ import annotations

import argparse

import numpy as np

from . import face_measure as fm
from .generator_quality import motion

NAMES = {
    17: "brow, outer (viewer's left)",
    21: "brow, inner",
    22: "brow, inner",
    26: "brow, outer (viewer's right)",
    36: "eye, outer corner",
    39: "eye, inner corner",
    42: "eye, inner corner",
    45: "eye, outer corner",
    31: "nostril wing",
    35: "nostril wing",
    48: "mouth corner",
    54: "mouth corner",
    57: "lower lip, centre",
    8: "chin",
}
OUTER_EYES = (36, 45)


def effective_depths(frames: np.ndarray, angle: float) -> tuple[np.ndarray, list[float]] | None:
    """frames: neutral, +angle, -angle yaw. Depth of each of dlib's PnP points in model units
    (relative to the outer eye corners), and the yaw dlib reads for the two turns."""
    ms = [fm.measure_frame(np.ascontiguousarray(f[..., :3])) for f in frames]
    if any(m is None for m in ms):
        return None
    pts = [m.landmarks.astype(np.float64) for m in ms]
    span = float(np.linalg.norm(pts[0][OUTER_EYES[1]] - pts[0][OUTER_EYES[0]]))
    z = (pts[1][:, 0] - pts[2][:, 0]) / (2 * np.sin(np.radians(angle))) / span
    z = z - z[list(OUTER_EYES)].mean()
    model_span = float(np.linalg.norm(np.subtract(fm.MODEL_POINTS[45], fm.MODEL_POINTS[36])))
    return z[list(NAMES)] * model_span, [ms[1].yaw - ms[0].yaw, ms[2].yaw - ms[0].yaw]


def model_depths() -> np.ndarray:
    z = np.array([fm.MODEL_POINTS[i][2] for i in NAMES])
    return z - np.mean([fm.MODEL_POINTS[i][2] for i in OUTER_EYES])


def main(argv: list[str] | None = None) -> int:
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("portraits", nargs="+")
    p.add_argument("--angle", type=float, default=20.0, help="yaw of the two turns, degrees")
    args = p.parse_args(argv)
    model = model_depths()
    for path in args.portraits:
        gen = Generator(prepare_avatar(path))
        frames = gen.render(np.stack([motion(), motion(yaw=args.angle), motion(yaw=-args.angle)]))
        got = effective_depths(frames, args.angle)
        if got is None:
            print(f"{path}: dlib found no face in a frame")
            continue
        depth, yaws = got
        print(
            f"{path}: dlib reads {yaws[0]:+.1f} / {yaws[1]:+.1f} for {args.angle:+.0f} / {-args.angle:+.0f}"
        )
        print(f"  {'point':28s} {'render':>7s} {'model':>7s}")
        for name, d, m in zip(NAMES.values(), depth, model):
            print(f"  {name:28s} {d:7.2f} {m:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
