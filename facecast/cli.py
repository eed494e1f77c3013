"""The `facecast` command. Each subcommand lives in its own module (facecast/cmd_<name>.py) exposing
`HELP: str`, `add_arguments(parser)` and `run(args) -> int`; this file only dispatches, and imports
a command's module only when that command runs (so `facecast bake` never loads the generator)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__

COMMANDS: dict[str, str] = {
    "demo": "Render the built-in portrait speaking built-in speech to an MP4 (no arguments).",
    "render": "Render IMAGE + AUDIO to an MP4 (H.264 + AAC).",
    "bake": "Turn AUDIO into FaceMotion curves (JSON or CSV) for game engines.",
    "serve": "Run the service: ZeroMQ control and data endpoints for many sessions.",
    "live": "Live: microphone or file in; virtual camera, window, overlay, VMC or VTube Studio out.",
    "bench": "Measure speed: generator FPS, render and live figures.",
    "verify": "Check an image or video for facecast's synthetic-media watermark.",
}


from .runtime.errors import FacecastError as UserError  # noqa: E402  (re-exported for commands)


def _load(name: str):
    return importlib.import_module(f"facecast.cmd_{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facecast", description="One portrait plus speech becomes a live talking face."
    )
    parser.add_argument("--version", action="version", version=f"facecast {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or only == name:
            try:
                _load(name).add_arguments(p)
            except ModuleNotFoundError as exc:
                if exc.name != f"facecast.cmd_{name}":
                    raise
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if a in COMMANDS), None)
    args = build_parser(chosen).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.command:
        build_parser().print_help()
        return 2
    try:
        return int(_load(args.command).run(args) or 0)
    except ModuleNotFoundError as exc:
        if exc.name == f"facecast.cmd_{args.command}":
            print(f"facecast {args.command}: not available in this build", file=sys.stderr)
            return 2
        raise
    except UserError as exc:
        print(f"facecast {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
