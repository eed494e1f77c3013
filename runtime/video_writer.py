"""Video files out: frames are piped into the ffmpeg that imageio-ffmpeg ships, audio is muxed in.

Formats, by the output's extension:
- .mp4: H.264 (yuv420p) + AAC, `+faststart`. With a transparent background the picture is composited
  over black and the matte is written alongside as `NAME.matte.mp4` (grey H.264, white = person).
- .webm: VP9 with alpha (yuva420p) + Opus: transparent video browsers and OBS play directly.
- .mov: ProRes 4444 with alpha + AAC: for editors.
Everything is written to a temporary file beside the target and moved into place only when complete,
so a failed or interrupted render never leaves a half-written file or clobbers an existing one.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from .audio_io import ffmpeg_exe
from .errors import ConfigError

log = logging.getLogger("facecast")

# ffmpeg turns RGB into YUV with the BT.601 matrix; untagged, a player that guesses BT.709 (some do
# for any size) decodes oranges and reds visibly off. The tags say what was done: BT.601 matrix,
# sRGB's (BT.709) primaries, limited range.
_COLOUR_TAGS = [
    "-colorspace",
    "smpte170m",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    "-color_range",
    "tv",
]
_VIDEO_ARGS = {
    ".mp4": [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "18",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart+use_metadata_tags",
        *_COLOUR_TAGS,
    ],
    ".webm": [
        "-c:v",
        "libvpx-vp9",
        "-pix_fmt",
        "yuva420p",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "2M",
        "-auto-alt-ref",
        "0",
        *_COLOUR_TAGS,
    ],
    ".mov": ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"],
}
_AUDIO_ARGS = {
    ".mp4": ["-c:a", "aac", "-b:a", "160k"],
    ".webm": ["-c:a", "libopus", "-b:a", "128k"],
    ".mov": ["-c:a", "aac", "-b:a", "192k"],
}
SUPPORTED_SUFFIXES = tuple(_VIDEO_ARGS)


def matte_path(path: Path) -> Path:
    """Where the matte of a transparent .mp4 render goes: NAME.matte.mp4 beside it."""
    return path.with_name(path.stem + ".matte.mp4")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _FfmpegPipe:
    """One ffmpeg process reading raw frames on stdin and writing to a temporary file.

    Frames go to ffmpeg from a thread of their own: a pipe write waits whenever the encoder is
    behind, and the renderer would wait with it (10 s rendered in 4.33 s written inline, 3.89 s
    from the thread, four alternating runs). At most QUEUED batches wait for the thread."""

    QUEUED = 2

    def __init__(
        self,
        final: Path,
        pix_fmt: str,
        size: int,
        fps: float,
        args: list[str],
        audio: Path | None,
        audio_args: list[str],
        metadata: dict[str, str],
    ):
        self.final = final
        fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=final.suffix, dir=final.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.tmp.chmod(0o666 & ~_umask())  # mkstemp makes 0600; the finished file gets the usual mode
        cmd = [
            ffmpeg_exe(),
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            pix_fmt,
            "-s",
            f"{size}x{size}",
            "-framerate",
            f"{fps}",
            "-i",
            "-",
        ]
        if audio is not None:
            cmd += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", *audio_args]
        for key, value in metadata.items():
            cmd += ["-metadata", f"{key}={value}"]
        cmd += [*args, "-f", {".mp4": "mp4", ".webm": "webm", ".mov": "mov"}[final.suffix], str(self.tmp)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUED)
        self._broken = False
        self._thread = threading.Thread(target=self._pipe, name="facecast-ffmpeg-in", daemon=True)
        self._thread.start()

    def _pipe(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._broken:
                continue  # drain, so that write() and finish() never block on a dead ffmpeg
            try:
                self.proc.stdin.write(memoryview(data).cast("B"))
            except (BrokenPipeError, ValueError):
                self._broken = True

    def write(self, data: np.ndarray) -> None:
        """Queue the frames (read by the thread after this returns: do not change them)."""
        if self._broken:
            raise RuntimeError(f"ffmpeg stopped while writing {self.final.name}: {self._stderr()}")
        self._queue.put(np.ascontiguousarray(data))

    def _drain(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _stderr(self) -> str:
        return self.proc.stderr.read().decode(errors="replace").strip() if self.proc.stderr else ""

    def finish(self) -> None:
        self._drain()
        if self._broken:
            self.abort()
            raise RuntimeError(f"ffmpeg stopped while writing {self.final.name}: {self._stderr()}")
        self.proc.stdin.close()
        err = self._stderr()
        if self.proc.wait() != 0:
            self.abort()
            raise RuntimeError(f"ffmpeg failed writing {self.final.name}: {err}")
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._broken = True  # the thread drops what is still queued
        self._drain()
        self.tmp.unlink(missing_ok=True)


class VideoWriter:
    """Write RGBA frames of one size to a video file with the audio muxed in, in sync from t = 0.

    Use as a context manager: the file appears only if the block completes."""

    def __init__(
        self,
        path: str | Path,
        size: int,
        fps: float,
        audio: str | Path | None = None,
        transparent: bool = False,
        metadata: dict[str, str] | None = None,
    ):
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in _VIDEO_ARGS:
            raise ConfigError(f"cannot write {self.path.name}: use one of {', '.join(SUPPORTED_SUFFIXES)}")
        if not self.path.parent.is_dir():
            raise ConfigError(f"output folder does not exist: {self.path.parent}")
        self.size, self.fps, self.transparent = size, fps, transparent
        self.frames_written = 0
        alpha_native = suffix in (".webm", ".mov")
        audio = Path(audio) if audio is not None else None
        meta = dict(metadata or {})
        # Opaque MP4s take the RGBA frames as they come (ffmpeg's conversion to YUV leaves the alpha
        # out): cutting RGB out of them cost a copy of every frame on the render thread (2 ms a frame).
        self._main = _FfmpegPipe(
            self.path,
            "rgba" if alpha_native or not transparent else "rgb24",
            size,
            fps,
            _VIDEO_ARGS[suffix],
            audio,
            _AUDIO_ARGS[suffix],
            meta,
        )
        self._matte = None
        if transparent and suffix == ".mp4":
            self._matte = _FfmpegPipe(
                matte_path(self.path), "gray", size, fps, _VIDEO_ARGS[".mp4"], None, [], meta
            )

    def write(self, frames: np.ndarray) -> None:
        """frames: (N, S, S, 4) or (S, S, 4) uint8 RGBA with straight alpha."""
        frames = frames[None] if frames.ndim == 3 else frames
        if frames.shape[1:] != (self.size, self.size, 4) or frames.dtype != np.uint8:
            raise ValueError(
                f"expected uint8 frames of shape (N, {self.size}, {self.size}, 4), got "
                f"{frames.dtype} {frames.shape}"
            )
        if self._matte is None:
            self._main.write(frames)
        else:  # MP4 with a matte beside it: the colour premultiplied, the alpha in its own file
            a = frames[..., 3:4].astype(np.uint16)
            self._main.write(((frames[..., :3] * a + 127) // 255).astype(np.uint8))
            self._matte.write(frames[..., 3])
        self.frames_written += len(frames)

    def close(self) -> None:
        if self.frames_written == 0:
            self.abort()
            raise ValueError(f"no frames were written to {self.path.name}")
        self._main.finish()
        if self._matte is not None:
            self._matte.finish()
        log.info("wrote %s (%d frames at %g fps)", self.path, self.frames_written, self.fps)

    def abort(self) -> None:
        for pipe in (self._main, self._matte):
            if pipe is not None:
                pipe.abort()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
