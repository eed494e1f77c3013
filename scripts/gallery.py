"""Contact sheets of the generator: each portrait with every kind of motion it must render.

    python scripts/gallery.py                      # dev portraits -> /tmp/facecast-gallery/*.jpg
    python scripts/gallery.py a.jpg b.png -o DIR   # any portraits
    python scripts/gallery.py --readme             # the README's sheet in docs/images/

The dev portraits (../shared/eval-dev) are internal: their sheets go to /tmp only, never into the
repository. The README sheet uses scikit-image's astronaut and matplotlib's Grace Hopper (public
domain) and Ren'Py's Eileen (Debian's renpy-demo; Expat licence, (c) Tom Rothamel). Look at the
sheets: that is how rig mistakes are found.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmarks/ (not an installed package)
EVAL_DEV = REPO.parent / "shared" / "eval-dev" / "portraits"
README_SHEET = REPO / "docs" / "images" / "generator_sheet.jpg"
EILEEN = Path("/usr/share/games/renpy/demo/game/images/eileen happy.png")  # apt-get install renpy-demo


def poses() -> list[tuple[str, np.ndarray]]:
    """(label, motion vector) for every tile: mouth shapes, visemes, eyes, head, emotions."""
    from benchmarks.generator_quality import emotion_vector  # the emotion frames the benchmarks read
    from facecast.runtime.facemotion import GAZE_OFFSET, HEAD_INDEX, MOTION_VECTOR_SIZE
    from facecast.runtime.lips import MOUTH_INDEX, VISEME_TABLE
    from facecast.runtime.names import ARKIT_INDEX, EMOTIONS, GAZE_FIELDS, VISEME_NAMES

    def m(**kw) -> np.ndarray:
        v = np.zeros(MOTION_VECTOR_SIZE, np.float32)
        v[HEAD_INDEX["scale"]] = 1.0
        for k, x in kw.items():
            if k == "gaze":
                v[GAZE_OFFSET : GAZE_OFFSET + len(GAZE_FIELDS)] = x
            else:
                v[HEAD_INDEX[k] if k in HEAD_INDEX else ARKIT_INDEX[k]] = x
        return v

    out = [("neutral", m()), ("jawOpen .7", m(jawOpen=0.7)), ("tongueOut", m(jawOpen=0.35, tongueOut=1.0))]
    for i, name in enumerate(VISEME_NAMES):
        v = m()
        v[MOUTH_INDEX] = VISEME_TABLE[i]
        out.append((f"viseme {name}", v))
    out += [
        ("smile", m(mouthSmileLeft=0.9, mouthSmileRight=0.9)),
        ("pucker", m(mouthPucker=1.0)),
        ("funnel", m(mouthFunnel=1.0, jawOpen=0.2)),
        ("stretch", m(mouthStretchLeft=0.8, mouthStretchRight=0.8, jawOpen=0.2)),
        ("upper up", m(mouthUpperUpLeft=0.8, mouthUpperUpRight=0.8)),
        ("blink", m(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)),
        ("wink (left)", m(eyeBlinkLeft=1.0)),
        ("gaze left", m(gaze=[-25, 0, -25, 0])),
        ("gaze right", m(gaze=[25, 0, 25, 0])),
        ("gaze up", m(gaze=[0, 20, 0, 20])),
        ("brows up", m(browInnerUp=1.0, browOuterUpLeft=0.8, browOuterUpRight=0.8)),
        ("yaw -20", m(yaw=-20)),
        ("yaw +20", m(yaw=20)),
        ("pitch -20", m(pitch=-20)),
        ("pitch +20", m(pitch=20)),
        ("roll -15", m(roll=-15)),
        ("roll +15", m(roll=15)),
        ("nearer, right", m(scale=1.15, x=0.04)),
    ]
    out += [(emotion, emotion_vector(emotion)) for emotion in EMOTIONS if emotion != "neutral"]
    return out


README_POSES = ("neutral", "viseme aa", "viseme oh", "viseme PP", "smile", "blink", "gaze right", "yaw -20",
                "yaw +20", "pitch +20", "roll +15", "tongueOut", "happy", "sad", "surprised", "angry")  # fmt: skip


def sheet(avatar, tile: int = 200, cols: int = 8, only: tuple[str, ...] | None = None) -> np.ndarray:
    """One contact sheet (RGB) of the avatar under every pose, head-and-shoulders crops."""
    from facecast.runtime.generator import Generator

    gen = Generator(avatar)
    labelled = [(k, v) for k, v in poses() if only is None or k in only]
    frames = np.concatenate(
        [gen.render(np.stack([v for _, v in labelled[i : i + 8]])) for i in range(0, len(labelled), 8)]
    )
    S = avatar.size
    lm = avatar.landmarks[:468, :2]
    cx, cy = lm.mean(0)
    half = int(0.75 * (lm[:, 1].max() - lm[:, 1].min()))
    x0, y0 = int(np.clip(cx - half, 0, S - 2 * half)), int(np.clip(cy - half, 0, S - 2 * half))
    tiles = []
    for (label, _), f in zip(labelled, frames):
        t = cv2.resize(
            np.ascontiguousarray(f[y0 : y0 + 2 * half, x0 : x0 + 2 * half, :3]),
            (tile, tile),
            interpolation=cv2.INTER_AREA,
        )
        cv2.putText(t, label, (4, tile - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(t, label, (4, tile - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(t)
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    return np.concatenate([np.concatenate(tiles[i : i + cols], 1) for i in range(0, len(tiles), cols)], 0)


def _public_domain_portraits() -> list[Path]:
    from matplotlib import cbook
    from skimage import data

    tmp = Path(tempfile.mkdtemp(prefix="facecast-gallery-"))
    cv2.imwrite(str(tmp / "astronaut.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return [tmp / "astronaut.png", Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))]


def _readme_portraits() -> list[Path]:
    """The public-domain photos and an anime character (cel-shaded art takes other code paths)."""
    if not EILEEN.is_file():
        raise SystemExit(f"--readme needs {EILEEN}: apt-get install renpy-demo")
    return [*_public_domain_portraits(), EILEEN]


def main(argv: list[str] | None = None) -> int:
    from facecast.runtime.avatar import prepare_avatar

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("portraits", nargs="*", type=Path)
    p.add_argument("-o", "--out", type=Path, default=Path("/tmp/facecast-gallery"))
    p.add_argument("--tile", type=int, default=200)
    p.add_argument("--readme", action="store_true", help=f"write the README's small sheet {README_SHEET}")
    args = p.parse_args(argv)
    if args.readme:
        rows = [
            sheet(prepare_avatar(path), tile=140, cols=8, only=README_POSES) for path in _readme_portraits()
        ]
        README_SHEET.parent.mkdir(parents=True, exist_ok=True)
        img = np.concatenate(rows, 0)
        cv2.imwrite(str(README_SHEET), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        print(f"wrote {README_SHEET} ({README_SHEET.stat().st_size // 1024} KiB)")
        return 0
    paths = args.portraits or sorted(EVAL_DEV.glob("*.*"))
    if not paths:
        print(f"no portraits given and {EVAL_DEV} is absent", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            s = sheet(prepare_avatar(path), tile=args.tile)
        except Exception as exc:  # noqa: BLE001 - one bad portrait must not stop the others
            print(f"{path.name}: {exc}", file=sys.stderr)
            continue
        out = args.out / f"{path.stem}.jpg"
        cv2.imwrite(str(out), cv2.cvtColor(s, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
