"""`facecast bake AUDIO -o OUT.json|OUT.csv`: FaceMotion curves for game engines; several audio
files (NPC lines) bake into the folder -o names, one file each named after its audio.

The audio streams through the motion engine in slices and frames stream into the file, so hours
of audio bake in constant memory. Format: docs/bake-format.md.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from .cmd_render import add_control_arguments, add_voice_gate_argument, controls_from_args
from .runtime.errors import ConfigError

log = logging.getLogger("facecast")
SLICE_SECONDS = 5.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "audio", type=Path, nargs="+", help="speech or singing: WAV, FLAC, MP3, M4A, ...; several: see -o"
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="OUT.json or OUT.csv; with several audio files a folder",
    )
    p.add_argument(
        "--format", choices=("json", "csv"), default="json", help="with several audio files: their format"
    )
    p.add_argument("--fps", type=float, default=60.0, help="frames per second of the curves (default 60)")
    add_control_arguments(p)
    # off by default: a bake is about speed (the gate costs some 15 times the rest of the engine) and game
    # dialogue is usually recorded without music
    add_voice_gate_argument(p, default=False)
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from .runtime.bake_format import format_for
    from .runtime.render import check_outputs

    if not 1.0 <= args.fps <= 1000.0:
        raise ConfigError(f"--fps must be between 1 and 1000, got {args.fps}")
    if len(args.audio) == 1:
        out = Path(args.output)
        format_for(out)
        check_outputs([out], args.force)
        return bake(args.audio[0], out, args)
    from .batch import make_folders, named_after, run_each

    outs = named_after(args.audio, Path(args.output), f".{args.format}")
    check_outputs(outs, args.force)
    make_folders(outs)
    return run_each("bake", args.audio, lambda i: bake(args.audio[i], outs[i], args))


def bake(audio: Path, out: Path, args: argparse.Namespace) -> int:
    """One audio file's curves into `out` (checked by the caller)."""
    from tqdm import tqdm

    from .runtime.audio_io import SAMPLE_RATE, stream_audio
    from .runtime.bake_format import write_bake
    from .runtime.motion_engine import LOOK_AHEAD_MS, stream_motion

    controls = controls_from_args(args)
    t0 = time.perf_counter()
    seconds = [0.0]
    with tqdm(unit="s audio", disable=args.quiet, desc="bake", delay=2.0) as bar:

        def blocks():
            for block in stream_audio(Path(audio), SAMPLE_RATE, SLICE_SECONDS):
                seconds[0] += block.size / SAMPLE_RATE
                bar.update(round(block.size / SAMPLE_RATE, 2))
                yield block

        frames = stream_motion(
            blocks(), fps=args.fps, controls=controls, sample_rate=SAMPLE_RATE, voice_gate=args.voice_gate
        )
        meta = {
            "source": Path(audio).name,
            "controls": controls.to_dict(),
            "voice_gate": args.voice_gate,
            "look_ahead_ms": LOOK_AHEAD_MS,
        }
        n = write_bake(
            out, frames, args.fps, meta, force=args.force, tail=lambda: {"duration": round(seconds[0], 6)}
        )
    log.info(
        "baked %d frames (%.1f s at %g FPS) to %s in %.1f s",
        n,
        seconds[0],
        args.fps,
        out,
        time.perf_counter() - t0,
    )
    return 0
