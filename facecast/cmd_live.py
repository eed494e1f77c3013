"""`facecast live`: speech in (microphone or file), a live face out.

Two modes share one command line:
- portrait mode, `facecast live IMAGE`: the talking portrait to a virtual camera, a window or the
  browser overlay (implemented by facecast.bridge.live_portrait);
- `--pose-only` (no portrait): pose parameters to VTuber apps over VMC and/or the VTube Studio API
  (facecast.bridge.pose_live).
This module only parses and validates the command line, then hands over a namespace with, besides
the options as parsed: `controls` (runtime.controls.Controls), `fps` (resolved for the mode) and
`mic_device` (None for the default microphone, else the index or name given to --mic).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cmd_render import add_control_arguments, add_voice_gate_argument, controls_from_args
from .runtime.errors import ConfigError, FacecastError

DEFAULT_VMC = "127.0.0.1:39539"
DEFAULT_VTS = "ws://localhost:8001"
PORTRAIT_FPS = 25.0
POSE_FPS = 60.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "image", nargs="?", type=Path, metavar="IMAGE", help="portrait (not needed with --pose-only)"
    )
    src = p.add_argument_group("audio in")
    src.add_argument(
        "--mic",
        nargs="?",
        const="default",
        metavar="DEVICE",
        help="capture from a microphone: the default one, or an index or part of a name (see --list-devices)",
    )
    src.add_argument("--list-devices", action="store_true", help="list audio input devices and exit")
    src.add_argument("--audio", type=Path, metavar="FILE", help="play a speech file as if it were live")
    out = p.add_argument_group("portrait outputs")
    out.add_argument(
        "--virtualcam", action="store_true", help="send frames to a virtual camera (pyvirtualcam)"
    )
    out.add_argument("--window", action="store_true", help="show frames in a window")
    out.add_argument("--port", type=int, metavar="PORT", help="serve the browser overlay page on this port")
    out.add_argument(
        "--delay",
        type=float,
        default=None,
        metavar="MS",
        help="delay the audio playback by MS to match the video",
    )
    out.add_argument("--size", type=int, default=512, help="frame width and height in pixels (default 512)")
    pose = p.add_argument_group("pose outputs (VTuber apps)")
    pose.add_argument("--pose-only", action="store_true", help="no portrait: send pose parameters only")
    pose.add_argument(
        "--vmc",
        nargs="?",
        const=DEFAULT_VMC,
        metavar="HOST:PORT",
        help=f"send over the VMC protocol (VSeeFace, VNyan, Warudo); default {DEFAULT_VMC}",
    )
    pose.add_argument(
        "--vmc-names",
        choices=("perfectsync", "vrm"),
        default="perfectsync",
        help="blendshape names: ARKit perfect-sync PascalCase (default) or VRM presets (A I U E O, Blink, Joy ...)",
    )
    pose.add_argument(
        "--vts",
        nargs="?",
        const=DEFAULT_VTS,
        metavar="URL",
        help=f"drive VTube Studio through its plugin API; default {DEFAULT_VTS}",
    )
    pose.add_argument(
        "--vts-token-file",
        type=Path,
        metavar="FILE",
        help="where the VTube Studio plugin token is kept (default ~/.config/facecast/vtube_studio_token.json)",
    )
    add_control_arguments(p)
    add_voice_gate_argument(p, default=True)
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help=f"frame rate: default {PORTRAIT_FPS:g} for the portrait, {POSE_FPS:g} Hz pose sends with --pose-only",
    )
    p.add_argument(
        "--duration", type=float, metavar="S", help="stop after S seconds (default: run until Ctrl-C)"
    )


def _validate(args: argparse.Namespace) -> None:
    if args.audio is not None and args.mic is not None:
        raise ConfigError("choose one audio source: --audio FILE or --mic, not both")
    if args.audio is not None and not Path(args.audio).is_file():
        raise ConfigError(f"audio file not found: {args.audio}")
    if args.duration is not None and args.duration <= 0:
        raise ConfigError(f"--duration must be positive, got {args.duration}")
    if args.fps is not None and not 1 <= args.fps <= 240:
        raise ConfigError(f"--fps must be 1..240, got {args.fps}")
    if args.pose_only:
        if args.image is not None:
            raise ConfigError("--pose-only takes no IMAGE (it drives your own avatar app); drop one of them")
        if args.vmc is None and args.vts is None:
            raise ConfigError("--pose-only needs an output: --vmc [HOST:PORT] and/or --vts [URL]")
        if args.virtualcam or args.window or args.port is not None:
            raise ConfigError(
                "--virtualcam, --window and --port show the portrait; they do not apply to --pose-only"
            )
    elif args.image is None:
        raise ConfigError(
            "give a portrait IMAGE, or use --pose-only with --vmc and/or --vts for a VTuber avatar"
        )


def run(args: argparse.Namespace) -> int:
    if args.list_devices:
        from .runtime.audio_sources import list_input_devices

        devices = list_input_devices()
        print("\n".join(devices) if devices else "no audio input devices found")
        return 0
    _validate(args)
    args.controls = controls_from_args(args)
    if args.mic == "default":
        args.mic_device = None
    else:
        args.mic_device = args.mic
    if args.pose_only:
        args.fps = args.fps or POSE_FPS
        from .bridge import pose_live

        return pose_live.run(args)
    args.fps = args.fps or PORTRAIT_FPS
    try:
        from .bridge import live_portrait
    except ModuleNotFoundError as exc:
        if exc.name != "facecast.bridge.live_portrait":
            raise
        raise FacecastError(
            "live portrait mode is not available yet in this build; for VTuber apps use --pose-only with --vmc/--vts"
        ) from None
    return int(live_portrait.run(args) or 0)
