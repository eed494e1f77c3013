"""Offline rendering: portrait + audio file -> video file. The thin pipeline that connects the stages
(audio -> motion -> frames -> file); each stage lives in its own module.

Memory stays bounded for any audio length: motion is produced in chunks by the streaming engine and
frames are rendered and written in small batches.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .audio_io import SAMPLE_RATE, load_audio
from .controls import Controls
from .errors import ConfigError
from .facemotion import FaceMotion, stack_vectors
from .video_writer import SUPPORTED_SUFFIXES, VideoWriter, matte_path

log = logging.getLogger("facecast")

CHUNK_SECONDS = 2.0  # audio fed to the motion engine per step


@dataclass
class RenderOptions:
    size: int = 512
    fps: float = 25.0
    controls: Controls = field(default_factory=Controls)
    background: str = "keep"  # "keep" or "transparent"
    motion_out: Path | None = None
    label: bool = False
    batch: int = 4
    force: bool = False  # overwrite existing outputs
    voice_gate: bool = True  # rest the mouth where no voice is heard (runtime/voice_gate.py)
    session_id: int | None = None  # watermark identifier; random when None

    def __post_init__(self) -> None:
        from .avatar import SIZE_RANGE  # the avatar's limits are the frame's

        if not SIZE_RANGE[0] <= self.size <= SIZE_RANGE[1]:
            raise ConfigError(
                f"--size must be between {SIZE_RANGE[0]} and {SIZE_RANGE[1]} pixels, got {self.size}"
            )
        if not 1 <= self.fps <= 120:
            raise ConfigError(f"--fps must be between 1 and 120, got {self.fps}")
        if self.background not in ("keep", "transparent"):
            raise ConfigError(f"--background must be 'keep' or 'transparent', got {self.background!r}")


@dataclass
class RenderResult:
    path: Path
    frames: int
    duration_s: float
    seconds: float
    device: str
    session_id: int
    extra_files: list[Path] = field(default_factory=list)

    @property
    def realtime_factor(self) -> float:
        return self.duration_s / self.seconds if self.seconds > 0 else math.inf


_last_generator = threading.local()  # per thread: (avatar key, Generator) of its last render


def _generator_for(avatar):
    """The avatar's Generator, kept for the thread's next render of the same portrait (its
    onnxruntime session takes about 0.4 s to build: `facecast render` of several audio files pays
    it once). Per thread, so renders on several threads never share a CUDA graph capture."""
    from .generator import Generator

    last = getattr(_last_generator, "entry", None)
    if last is not None and last[0] == avatar.key:
        return last[1]
    generator = Generator(avatar)
    _last_generator.entry = (avatar.key, generator)
    return generator


def check_outputs(paths: list[Path], force: bool) -> None:
    """Nothing the user has is overwritten without --force: refused before anything is written,
    naming every output that exists (render, bake, and their batches)."""
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        if len(existing) == 1:
            raise ConfigError(
                f"{existing[0]} already exists; choose another name or pass --force to overwrite it"
            )
        raise ConfigError(
            f"{', '.join(existing)} already exist; choose other names or pass --force to overwrite them"
        )


def motion_chunks(
    audio: np.ndarray, fps: float, controls: Controls, n_frames: int, voice_gate: bool = True
) -> Iterator[list[FaceMotion]]:
    """Stream the audio through the motion engine, yielding FaceMotion in the order of frames."""
    from .motion_engine import MotionEngine

    engine = MotionEngine(fps=fps, controls=controls, sample_rate=SAMPLE_RATE, voice_gate=voice_gate)
    step = int(CHUNK_SECONDS * SAMPLE_RATE)
    emitted = 0
    for start in range(0, len(audio), step):
        out = engine.push(audio[start : start + step])
        out = out[: n_frames - emitted]
        emitted += len(out)
        if out:
            yield out
    tail = engine.flush()
    # Frames the audio does not reach (a last partial frame) are filled by idle silence.
    while emitted + len(tail) < n_frames:
        tail += engine.push(np.zeros(int(SAMPLE_RATE / fps), np.float32))
    tail = tail[: n_frames - emitted]
    if tail:
        yield tail


def render(
    image: str | Path | bytes,
    audio_path: str | Path,
    out: str | Path,
    options: RenderOptions,
    progress: Callable[[int, int], None] | None = None,
) -> RenderResult:
    """Render `image` speaking `audio_path` into `out` (.mp4, .webm or .mov)."""
    from .avatar import prepare_avatar
    from .watermark import Watermarker, draw_label, synthetic_metadata

    t0 = time.perf_counter()
    out = Path(out)
    if out.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ConfigError(f"cannot write {out.name}: use one of {', '.join(SUPPORTED_SUFFIXES)}")
    transparent = options.background == "transparent"
    outputs = [out] + ([matte_path(out)] if transparent and out.suffix.lower() == ".mp4" else [])
    if options.motion_out is not None:
        outputs.append(Path(options.motion_out))
    check_outputs(outputs, options.force)

    audio = load_audio(audio_path)
    duration = len(audio) / SAMPLE_RATE
    n_frames = max(1, math.ceil(duration * options.fps - 1e-6))
    avatar = prepare_avatar(image, size=options.size)
    generator = _generator_for(avatar)
    session_id = options.session_id if options.session_id is not None else secrets.randbits(31)
    marker = Watermarker(session_id, options.size)
    log.info(
        "rendering %s: %.1f s of audio, %d frames at %g fps on %s",
        out.name,
        duration,
        n_frames,
        options.fps,
        generator.device,
    )

    motion_file = None
    if options.motion_out is not None:
        motion_tmp = Path(options.motion_out).with_name("." + Path(options.motion_out).name + ".part")
        motion_file = motion_tmp.open("w")
    done = 0
    try:
        with VideoWriter(
            out,
            options.size,
            options.fps,
            audio=audio_path,
            transparent=transparent,
            metadata=synthetic_metadata(session_id),
        ) as writer:
            for motions in motion_chunks(audio, options.fps, options.controls, n_frames, options.voice_gate):
                for i in range(0, len(motions), options.batch):
                    batch = motions[i : i + options.batch]
                    frames = generator.render(stack_vectors(batch))
                    if not transparent:
                        frames[..., 3] = 255
                    marker.apply(frames)
                    if options.label:
                        draw_label(frames)
                    writer.write(frames)
                    done += len(batch)
                    if progress:
                        progress(done, n_frames)
                if motion_file is not None:
                    for m in motions:
                        motion_file.write(json.dumps(m.to_dict()) + "\n")
        if motion_file is not None:
            motion_file.close()
            motion_tmp.replace(options.motion_out)
    finally:
        if motion_file is not None and not motion_file.closed:
            motion_file.close()
            motion_tmp.unlink(missing_ok=True)
    return RenderResult(
        out, done, duration, time.perf_counter() - t0, generator.device, session_id, outputs[1:]
    )
