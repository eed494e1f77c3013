"""Motion statistics of a talking-head video, measured with dlib (benchmarks/face_measure.py): how
much and how fast the head moves, how often the eyes blink, how far the lips open. The same numbers
measured on real talkers (docs/measurements.md) are the targets the motion engine is scored against.

Run as a script on videos to print their statistics:
    python -m benchmarks.motion_stats VIDEO.mp4 [...]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .face_measure import FrameMeasure, measure_frame, mesh_ear

REFERENCE_FPS = 25.0  # speeds are quoted per frame at 25 FPS whatever the clip's rate
SMOOTH_FRAMES = 5  # moving average over the pose before differentiating: landmark jitter is not motion
BLINK_CLOSE = 0.75  # a blink starts when EAR falls below this fraction of the open-eye baseline ...
BLINK_OPEN = 0.88  # ... and ends when it climbs back above this one (hysteresis)
BLINK_MAX_S = 0.6
BASELINE_S = 4.0  # window of the local open-eye baseline (its 80th percentile)
MAX_GAP_S = 0.4  # pose gaps (frames without a face) up to this long are interpolated for speed


@dataclass
class VideoMeasure:
    fps: float
    frames: list[FrameMeasure | None] = field(default_factory=list)
    # mean eye aspect ratio from mediapipe's mesh per frame (NaN: no face), when asked for: dlib's
    # eye points do not follow rendered blinks (face_measure.mesh_ear)
    mesh_ear: list[float] = field(default_factory=list)

    def series(self, name: str) -> np.ndarray:
        """Per-frame values of a FrameMeasure field (NaN where no face was found); "mesh_ear" is
        the mediapipe reading."""
        if name == "mesh_ear":
            return np.array(self.mesh_ear, np.float64)
        out = np.full(len(self.frames), np.nan)
        for i, f in enumerate(self.frames):
            if f is not None:
                out[i] = f.mean_ear if name == "ear" else getattr(f, name)
        return out


def read_video(path: str | Path) -> tuple[Iterable[np.ndarray], float]:
    """Decode with imageio-ffmpeg's ffmpeg: RGB frames (lazily) and the frame rate."""
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    meta = next(gen)
    w, h = meta["size"]

    def frames():
        for buf in gen:
            yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)

    return frames(), float(meta["fps"])


def measure_video(
    path_or_frames: str | Path | Iterable[np.ndarray], fps: float | None = None, mesh: bool = False
) -> VideoMeasure:
    """Measure every frame of a video file (fps read from it unless given) or of RGB frames (fps
    required); with mesh=True also read the eyes with mediapipe (VideoMeasure.mesh_ear)."""
    if isinstance(path_or_frames, (str, Path)):
        frames, file_fps = read_video(path_or_frames)
        fps = fps or file_fps
    else:
        if not fps:
            raise ValueError("measure_video needs fps when given frames")
        frames = path_or_frames
    vm = VideoMeasure(float(fps))
    for rgb in frames:
        vm.frames.append(measure_frame(rgb))
        if mesh:
            ear = mesh_ear(rgb)
            vm.mesh_ear.append(float(np.mean(ear)) if ear is not None else float("nan"))
    return vm


def motion_statistics(vm: VideoMeasure) -> dict[str, float]:
    """The statistics quoted in docs/measurements.md (NaN where the clip has no face)."""
    n = len(vm.frames)
    has_face = np.array([f is not None for f in vm.frames])
    stats = {"frames": float(n), "face_fraction": float(has_face.mean()) if n else 0.0}
    nan_stats = (
        "head_speed",
        "yaw_std",
        "pitch_std",
        "roll_std",
        "blinks_per_min",
        "lip_gap_p10",
        "lip_gap_p90",
    )
    if has_face.sum() < 2:
        return stats | {k: float("nan") for k in nan_stats}
    pose = np.stack([vm.series("yaw"), vm.series("pitch"), vm.series("roll")], axis=1)
    stats["head_speed"] = head_speed(pose, vm.fps)
    stats["yaw_std"] = float(np.nanstd(pose[:, 0]))
    stats["pitch_std"] = float(np.nanstd(pose[:, 1]))
    stats["roll_std"] = float(np.nanstd(pose[:, 2]))
    stats["blinks_per_min"] = len(find_blinks(vm.series("ear"), vm.fps)) / (n / vm.fps / 60.0)
    if vm.mesh_ear:
        stats["blinks_per_min_mesh"] = len(find_blinks(vm.series("mesh_ear"), vm.fps)) / (n / vm.fps / 60.0)
    gap = vm.series("lip_gap")
    stats["lip_gap_p10"] = float(np.nanpercentile(gap, 10))
    stats["lip_gap_p90"] = float(np.nanpercentile(gap, 90))
    return stats


def head_speed(pose: np.ndarray, fps: float) -> float:
    """Mean angular speed of the head in degrees per frame at 25 FPS, after resampling to 25 FPS
    and a 5-frame moving average. Short face dropouts are bridged; longer ones split the clip."""
    t = np.arange(len(pose)) / fps
    valid = ~np.isnan(pose).any(axis=1)
    t25 = np.arange(0.0, t[-1] + 1e-9, 1.0 / REFERENCE_FPS)
    resampled = np.stack([np.interp(t25, t[valid], pose[valid, k]) for k in range(3)], axis=1)
    # A resampled frame is usable when the face was seen on both sides of it within MAX_GAP_S.
    valid_t = t[valid]
    nxt = np.clip(np.searchsorted(valid_t, t25 - 1e-9), 0, len(valid_t) - 1)
    prev = np.clip(np.searchsorted(valid_t, t25 + 1e-9) - 1, 0, len(valid_t) - 1)
    usable = (
        (valid_t[nxt] - valid_t[prev] <= MAX_GAP_S)
        & (valid_t[prev] <= t25 + 1e-9)
        & (valid_t[nxt] >= t25 - 1e-9)
    )
    kernel = np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES
    smooth = np.stack([np.convolve(resampled[:, k], kernel, mode="valid") for k in range(3)], axis=1)
    # ... and so is a smoothed frame only when its whole window is.
    usable = np.convolve(usable.astype(float), np.ones(SMOOTH_FRAMES), mode="valid") > SMOOTH_FRAMES - 0.5
    steps = np.linalg.norm(np.diff(smooth, axis=0), axis=1)
    ok = usable[1:] & usable[:-1]
    return float(steps[ok].mean()) if ok.any() else float("nan")


def find_blinks(ear: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """(first, last) frame of each blink: EAR dips below BLINK_CLOSE x the open-eye baseline and
    recovers above BLINK_OPEN x baseline within BLINK_MAX_S. The baseline is local (80th percentile
    over BASELINE_S around the frame: eyes are open most of the time) because looking down narrows
    the eyes for seconds without blinking. Frames without a face end a candidate blink unfinished."""
    valid = ~np.isnan(ear)
    if valid.sum() < 3:
        return []
    half = max(1, round(BASELINE_S * fps / 2))
    baseline = np.array(
        [
            np.nanpercentile(ear[max(0, i - half) : i + half + 1], 80) if valid[i] else np.nan
            for i in range(len(ear))
        ]
    )
    blinks, start = [], None
    for i, v in enumerate(ear):
        if np.isnan(v):
            start = None
        elif start is None and v < BLINK_CLOSE * baseline[i]:
            start = i
        elif start is not None and v > BLINK_OPEN * baseline[i]:
            if (i - start) / fps <= BLINK_MAX_S:
                blinks.append((start, i - 1))
            start = None
    return blinks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure head motion, blinks and lip opening of videos.")
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    results = {}
    for path in args.videos:
        results[path.name] = motion_statistics(measure_video(path))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    keys = list(next(iter(results.values())))
    print("video".ljust(44) + "".join(k.rjust(15) for k in keys))
    for name, s in results.items():
        print(name.ljust(44) + "".join(f"{s[k]:15.3f}" for k in keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
