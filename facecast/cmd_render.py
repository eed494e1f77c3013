"""`facecast render IMAGE AUDIO -o OUT.mp4`, or several audio files into a folder
(`facecast render IMAGE a.wav b.wav -o clips/`: one portrait prepared once, each line its MP4)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .runtime.controls import Controls, parse_emotion
from .runtime.errors import ConfigError


def parse_gaze(text: str) -> tuple[float, float]:
    try:
        yaw, pitch = (float(x) for x in text.split(","))
    except ValueError:
        raise ConfigError(f"--gaze wants YAW,PITCH in degrees (e.g. 10,-5), got {text!r}") from None
    return yaw, pitch


def add_control_arguments(p: argparse.ArgumentParser) -> None:
    """The controls every command shares (render, bake, live)."""
    p.add_argument(
        "--emotion",
        default="neutral",
        metavar="NAME[:INTENSITY]",
        help="neutral, happy, sad, angry, surprised, fearful or disgusted, optionally :0..1",
    )
    p.add_argument(
        "--gaze", metavar="YAW,PITCH", help="where the eyes look, in degrees (default: the camera)"
    )
    p.add_argument("--distance", type=float, default=1.0, help="head scale: >1 nearer, <1 farther (0.5..2)")
    p.add_argument("--intensity", type=float, default=1.0, help="head motion: 0 still, 1 natural, 2 lively")
    p.add_argument("--seed", type=int, default=0, help="same input and seed give the same output")


def add_voice_gate_argument(p: argparse.ArgumentParser, default: bool) -> None:
    """--voice-gate / --no-voice-gate: rest the mouth where the audio holds no voice."""
    p.add_argument(
        "--voice-gate",
        action=argparse.BooleanOptionalAction,
        default=default,
        help="rest the mouth where no voice is heard, e.g. instrumental music "
        f"(default: {'on' if default else 'off'}; costs ~37 ms of CPU per second of audio)",
    )


def controls_from_args(args: argparse.Namespace) -> Controls:
    try:
        emotion, level = parse_emotion(args.emotion)
        gaze = parse_gaze(args.gaze) if args.gaze else None
        return Controls(
            emotion=emotion,
            emotion_intensity=level,
            gaze=gaze,
            distance=args.distance,
            intensity=args.intensity,
            seed=args.seed,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def add_render_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", type=Path, help="output video: .mp4 (H.264+AAC), .webm or .mov (alpha)")
    p.add_argument("--size", type=int, default=512, help="output width and height in pixels (default 512)")
    p.add_argument("--fps", type=float, default=25.0, help="frames per second (default 25)")
    add_control_arguments(p)
    p.add_argument(
        "--background",
        choices=("keep", "transparent"),
        default="keep",
        help="transparent: .webm/.mov carry alpha; .mp4 gets NAME.matte.mp4 alongside",
    )
    p.add_argument(
        "--motion-out", type=Path, metavar="FILE", help="also write the FaceMotion used, as JSON lines"
    )
    add_voice_gate_argument(p, default=True)
    p.add_argument("--label", action="store_true", help="draw a visible 'AI-generated' label")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", type=Path, help="portrait: photo, painting or cartoon (JPEG, PNG, WebP)")
    p.add_argument(
        "audio",
        type=Path,
        nargs="+",
        help="speech or singing: WAV, FLAC, MP3, M4A, ...; several files render into the folder -o names",
    )
    add_render_arguments(p)


def run_render(
    image: Path,
    audio: Path,
    args: argparse.Namespace,
    out: Path | None = None,
    motion_out: Path | None = None,
) -> int:
    from tqdm import tqdm

    from .runtime.render import RenderOptions, render

    out = out or args.output or Path(Path(audio).stem + ".mp4")
    options = RenderOptions(
        size=args.size,
        fps=args.fps,
        controls=controls_from_args(args),
        background=args.background,
        motion_out=motion_out or args.motion_out,
        label=args.label,
        force=args.force,
        voice_gate=args.voice_gate,
    )
    with tqdm(total=0, unit="frame", desc="rendering", disable=args.quiet or None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = render(image, audio, out, options, progress=progress)
    print(
        f"wrote {result.path} ({result.frames} frames, {result.duration_s:.1f} s of audio, "
        f"{result.realtime_factor:.1f}x real time on {result.device})"
    )
    for extra in result.extra_files:
        print(f"wrote {extra}")
    return 0


def run(args: argparse.Namespace) -> int:
    if len(args.audio) == 1:
        return run_render(args.image, args.audio[0], args)
    from .batch import make_folders, named_after, run_each
    from .runtime.render import check_outputs
    from .runtime.video_writer import matte_path

    videos = named_after(args.audio, args.output or Path("."), ".mp4")
    motions = named_after(args.audio, args.motion_out, ".jsonl") if args.motion_out else [None] * len(videos)
    mattes = [matte_path(v) for v in videos] if args.background == "transparent" else []
    written = videos + mattes + [m for m in motions if m is not None]
    check_outputs(written, args.force)
    make_folders(written)
    return run_each(
        "render",
        args.audio,
        lambda i: run_render(args.image, args.audio[i], args, out=videos[i], motion_out=motions[i]),
    )
