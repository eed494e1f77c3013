"""`facecast demo`: the built-in portrait speaks built-in speech; no arguments, no downloads."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from .cmd_render import add_render_arguments, run_render


def builtin_inputs() -> tuple[Path, Path]:
    assets = resources.files("facecast.runtime") / "assets"
    return Path(str(assets / "demo_portrait.jpg")), Path(str(assets / "demo_speech.flac"))


def _free_name(path: Path) -> Path:
    """facecast-demo.mp4, or facecast-demo-2.mp4, ... : never overwrite an earlier file."""
    n = 2
    while path.exists():
        path = path.with_name(f"facecast-demo-{n}.mp4")
        n += 1
    return path


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_render_arguments(p)
    p.set_defaults(output=None)


def run(args: argparse.Namespace) -> int:
    image, audio = builtin_inputs()
    if args.output is None:
        args.output = _free_name(Path("facecast-demo.mp4"))
    return run_render(image, audio, args)
