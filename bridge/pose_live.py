"""`facecast live --pose-only`: audio source -> motion engine -> VMC / VTube Studio, live.

The audio clock starts with the first chunk. The motion engine looks ahead a little, so each frame
is ready a bounded time after its audio arrived; the steady sender plays frames back that much
behind the wall clock, at a fixed rate. When the speech file ends, silence keeps flowing so the
face stays alive (blinks, calm head motion) until --duration or Ctrl-C.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import time
from collections.abc import Iterable, Iterator

import numpy as np

from ..runtime.audio_io import SAMPLE_RATE
from ..runtime.audio_sources import file_chunks, mic_chunks, silence_chunks
from ..runtime.errors import FacecastError
from .pose_sinks import SteadySender, open_sinks

log = logging.getLogger("facecast")

CHUNK_MS = 20
MARGIN_S = 0.04  # headroom for computing a chunk's motion before its frames are due


def _paced(chunks: Iterable[np.ndarray], chunk_ms: int) -> Iterator[np.ndarray]:
    """Release chunk i at start + i * chunk_ms on one clock, across the file and the silence."""
    start = time.monotonic()
    for i, chunk in enumerate(chunks):
        wait = start + i * chunk_ms / 1000.0 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        yield chunk


def audio_source(args: argparse.Namespace, chunk_ms: int = CHUNK_MS) -> tuple[Iterator[np.ndarray], str]:
    """The live chunks and a description for the log."""
    if getattr(args, "audio", None) is not None:
        raw = itertools.chain(
            file_chunks(args.audio, chunk_ms, realtime=False), silence_chunks(chunk_ms, realtime=False)
        )
        return _paced(raw, chunk_ms), f"file {args.audio} (then silence)"
    if getattr(args, "mic", None) is not None:
        return mic_chunks(getattr(args, "mic_device", None), chunk_ms), "microphone"
    return _paced(silence_chunks(chunk_ms, realtime=False), chunk_ms), "no audio (idle face)"


def sink_specs(args: argparse.Namespace) -> dict[str, dict]:
    specs: dict[str, dict] = {}
    if getattr(args, "vmc", None) is not None:
        specs["vmc"] = {"target": args.vmc, "names": getattr(args, "vmc_names", "perfectsync")}
    if getattr(args, "vts", None) is not None:
        specs["vts"] = {"url": args.vts, "token_file": getattr(args, "vts_token_file", None)}
    return specs


def run(args: argparse.Namespace) -> int:
    try:
        from ..runtime.motion_engine import MotionEngine
    except ModuleNotFoundError as exc:
        if exc.name != "facecast.runtime.motion_engine":
            raise
        raise FacecastError("the motion engine is not available in this build yet") from None

    specs = sink_specs(args)
    if not specs:
        raise FacecastError("--pose-only needs an output: --vmc [HOST:PORT] and/or --vts [URL]")
    rate = float(args.fps)
    engine = MotionEngine(
        fps=rate,
        controls=args.controls,
        sample_rate=SAMPLE_RATE,
        voice_gate=args.voice_gate,
    )
    is_mic = getattr(args, "mic", None) is not None
    latency = engine.look_ahead_ms / 1000.0 + CHUNK_MS / 1000.0 * (2 if is_mic else 1) + MARGIN_S
    sinks = open_sinks(specs)
    sender = SteadySender(sinks, rate=rate, latency=latency)
    source, described = audio_source(args)
    duration = getattr(args, "duration", None)
    log.info(
        "live pose: %s -> %s at %g Hz, %.0f ms behind the audio%s",
        described,
        " + ".join(specs),
        rate,
        latency * 1000,
        f", for {duration:g} s" if duration else "; Ctrl-C stops",
    )
    start = time.monotonic()
    sender.start(start)
    frames = 0
    try:
        for chunk in source:
            motions = engine.push(chunk)
            frames += len(motions)
            sender.push(motions)
            if duration is not None and time.monotonic() - start >= duration:
                break
    except KeyboardInterrupt:
        log.info("live pose: stopped")
    finally:
        sender.close()
        elapsed = time.monotonic() - start
        log.info(
            "live pose: %d frames made, %d sent in %.1f s (%.1f Hz); %d sends repeated a frame",
            frames,
            sender.ticks,
            elapsed,
            sender.ticks / max(elapsed, 1e-6),
            sender.late_ticks,
        )
    if sender.error is not None:
        raise sender.error
    return 0
