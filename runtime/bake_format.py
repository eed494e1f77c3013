"""Bake files: FaceMotion curves for game engines, as JSON or CSV (format: docs/bake-format.md).

Writers stream frame by frame (hours of audio in constant memory) into a hidden temporary file
that is renamed into place only when complete, so a failed bake never leaves half a file.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import ConfigError
from .facemotion import FaceMotion
from .names import ARKIT_NAMES, HEAD_FIELDS, VISEME_NAMES

FORMAT_NAME = "facecast-motion"
FORMAT_VERSION = 1
GAZE_COLUMNS = ("gaze.left.yaw", "gaze.left.pitch", "gaze.right.yaw", "gaze.right.pitch")
CSV_COLUMNS: tuple[str, ...] = (
    ("t",)
    + ARKIT_NAMES
    + tuple(f"viseme.{v}" for v in VISEME_NAMES)
    + tuple(f"head.{h}" for h in HEAD_FIELDS)
    + GAZE_COLUMNS
    + ("emotion.label", "emotion.intensity")
)


def format_for(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in (".json", ".csv"):
        raise ConfigError(f"output must end in .json or .csv, got {path.name!r}")
    return ext[1:]


def _csv_row(m: FaceMotion) -> list:
    d = m.to_dict()
    return (
        [float(m.t)]
        + [d["blendshapes"][n] for n in ARKIT_NAMES]
        + [d["visemes"][v] for v in VISEME_NAMES]
        + [d["head"][h] for h in HEAD_FIELDS]
        + [
            d["gaze"]["left"]["yaw"],
            d["gaze"]["left"]["pitch"],
            d["gaze"]["right"]["yaw"],
            d["gaze"]["right"]["pitch"],
        ]
        + [d["emotion"]["label"], d["emotion"]["intensity"]]
    )


def write_bake(
    path: Path,
    frames: Iterable[FaceMotion],
    fps: float,
    meta: dict,
    force: bool = False,
    tail: Callable[[], dict] | None = None,
) -> int:
    """Write every frame to `path` (.json or .csv); returns the number of frames written. `tail`
    gives JSON fields known only at the end (the audio's duration when it streams in)."""
    path = Path(path)
    kind = format_for(path)
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise ConfigError(f"output folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.part")
    n = 0
    try:
        with tmp.open("w", newline="") as f:
            if kind == "csv":
                w = csv.writer(f)
                w.writerow(CSV_COLUMNS)
                for m in frames:
                    w.writerow(_csv_row(m))
                    n += 1
            else:
                header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "fps": fps, **meta}
                head = json.dumps(header)[:-1]  # leave the object open: frames stream in
                f.write(head + ', "blendshape_names": ' + json.dumps(list(ARKIT_NAMES)))
                f.write(', "viseme_names": ' + json.dumps(list(VISEME_NAMES)) + ', "frames": [\n')
                for m in frames:
                    f.write((",\n" if n else "") + json.dumps(m.to_dict(), separators=(",", ":")))
                    n += 1
                end = {"frame_count": n, **(tail() if tail else {})}
                f.write("\n], " + json.dumps(end)[1:] + "\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def read_bake(path: Path) -> tuple[dict, list[FaceMotion]]:
    """Read a bake file back (JSON or CSV): (header, frames). Used by tests and importers."""
    path = Path(path)
    if format_for(path) == "json":
        d = json.loads(path.read_text())
        if d.get("format") != FORMAT_NAME:
            raise ConfigError(f"{path.name} is not a facecast bake file")
        frames = [FaceMotion.from_dict(x) for x in d.pop("frames")]
        return d, frames
    frames = []
    with path.open(newline="") as f:
        r = csv.DictReader(f)
        if tuple(r.fieldnames or ()) != CSV_COLUMNS:
            raise ConfigError(f"{path.name}: unexpected CSV columns (not a facecast bake file?)")
        for row in r:
            frames.append(
                FaceMotion.from_dict(
                    {
                        "t": float(row["t"]),
                        "blendshapes": {n: float(row[n]) for n in ARKIT_NAMES},
                        "visemes": {v: float(row[f"viseme.{v}"]) for v in VISEME_NAMES},
                        "head": {h: float(row[f"head.{h}"]) for h in HEAD_FIELDS},
                        "gaze": {
                            "left": {
                                "yaw": float(row["gaze.left.yaw"]),
                                "pitch": float(row["gaze.left.pitch"]),
                            },
                            "right": {
                                "yaw": float(row["gaze.right.yaw"]),
                                "pitch": float(row["gaze.right.pitch"]),
                            },
                        },
                        "emotion": {
                            "label": row["emotion.label"],
                            "intensity": float(row["emotion.intensity"]),
                        },
                    }
                )
            )
    return {"format": FORMAT_NAME}, frames
