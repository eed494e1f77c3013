"""A Session: one live face (one NPC, one stream). It owns an avatar, an audio clock, controls, a
MotionEngine and (unless pose-only) a Generator, and turns audio into (FaceMotion, frame) pairs.

Two ways to drive it:
- `push_audio(samples, rate)`: process now, return what came out (a caller paced by a microphone).
- `enqueue_audio(...)` from any thread plus `tick()` from one worker thread: the session plays its
  queue in real time, animates silence while the queue is empty (so the face stays alive), renders
  at most the motion look-ahead ahead of the wall clock, and drops frames that are already stale.

The clock: seconds of audio fed to the motion engine since the session opened (silence included).
Every FaceMotion's `t` is rewritten onto that clock, so frames and audio share one timeline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .audio_io import SAMPLE_RATE, to_mono_float
from .controls import Controls
from .errors import ConfigError, FacecastError
from .facemotion import FaceMotion, stack_vectors
from .resample import Resampler, check_rate

log = logging.getLogger("facecast")

Output = tuple[FaceMotion, "np.ndarray | None"]
RENDER_BUDGET_S = 0.1  # when behind, draw at most this much rendering per step (newest frames)


class SessionBusy(FacecastError):
    """The session cannot take more now (too much audio queued, an avatar still loading)."""


@dataclass(frozen=True)
class SessionOptions:
    size: int = 512
    fps: float = 25.0
    pose_only: bool = False
    background: str = "keep"  # "keep": alpha 255; "transparent": the avatar's matte as alpha
    lead_s: float = 0.01  # audio consumed ahead of the wall clock, beyond the motion look-ahead
    idle_grace_s: float = 0.1  # how long an empty queue waits for more audio before silence plays
    stale_s: float = 0.15  # frames this much later than usual are dropped, not drawn
    idle_tick_s: float = 0.1  # how often an idle pose-only session steps its motion
    pose_tick_s: float = 0.05  # ... and a speaking one (the motion engine costs least in larger steps)
    max_queued_s: float = 60.0
    max_batch: int = 4  # frames per generator call
    cache_dir: Path | None = None
    render_threads: int = 0  # CPU threads of this session's renderer, 0 = automatic (load_generator)
    voice_gate: bool = True  # rest the mouth where no voice is heard (runtime/voice_gate.py)

    def __post_init__(self) -> None:
        if not 1 <= self.fps <= 120:
            raise ConfigError(f"fps must be between 1 and 120, got {self.fps}")
        if self.background not in ("keep", "transparent"):
            raise ConfigError(f"background must be 'keep' or 'transparent', got {self.background!r}")


class AudioQueue:
    """16 kHz float32 audio waiting to be played, bounded."""

    def __init__(self, max_seconds: float):
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self.chunks: deque[np.ndarray] = deque()
        self.size = 0

    def put(self, audio: np.ndarray) -> None:
        if self.size + len(audio) > self.max_samples:
            raise SessionBusy(
                f"{(self.size + len(audio)) / SAMPLE_RATE:.1f} s of audio would be queued; the limit "
                f"is {self.max_samples / SAMPLE_RATE:.0f} s: send audio closer to real time"
            )
        self.chunks.append(audio)
        self.size += len(audio)

    def take(self, n: int) -> np.ndarray:
        parts, need = [], n
        while need and self.chunks:
            head = self.chunks[0]
            if len(head) <= need:
                parts.append(self.chunks.popleft())
                need -= len(head)
            else:
                parts.append(head[:need])
                self.chunks[0] = head[need:]
                need = 0
        out = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        self.size -= len(out)
        return out

    def clear(self) -> None:
        self.chunks.clear()
        self.size = 0


class Session:
    def __init__(
        self,
        session_id: str,
        options: SessionOptions | None = None,
        controls: Controls | None = None,
        clock=time.monotonic,
    ):
        self.id = session_id
        self.options = options or SessionOptions()
        self.controls = controls or Controls()
        self._clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()
        self._queue = AudioQueue(self.options.max_queued_s)
        self._fed = 0  # samples fed to the motion engine: the clock
        self._silent = False  # the clock last moved on silence played while idle
        self._engine = None
        self._engine_offset = 0.0  # clock time at which the current engine started
        self._last_audio = -1e9  # wall time of the last enqueue_audio
        self._pending_controls: Controls | None = None
        self._pending_generator = None
        self._generator = None
        self._render_cost = 0.0  # seconds per frame, smoothed
        self._marker = None  # the invisible synthetic-media watermark, made for the frame size in use
        self._resamplers: dict[tuple[int, str], Resampler] = {}
        self.frames = 0
        self.poses = 0
        self.dropped = 0
        self._out_times: deque[float] = deque(maxlen=64)
        self.error: tuple[str, str] | None = None  # (code, message) of the last failed job
        self.loading = False
        self.avatar_source: str | Path | bytes | None = None  # kept to prepare it again at another size

    # -- thread-safe calls (any thread) ------------------------------------------------------

    def enqueue_audio(
        self, samples: np.ndarray, sample_rate: int, channels: int = 1, stream: str = "queue"
    ) -> tuple[float, float]:
        """Queue audio for real-time playback; returns (pts where it starts, duration in seconds).
        Chunks of one `stream` are resampled continuously; call from one thread per stream."""
        frames = np.asarray(samples).size / max(1, channels)
        if isinstance(sample_rate, (int, np.integer)) and sample_rate > 0:  # refuse before working
            self._check_room(frames / sample_rate)
        audio = self._to_16k(samples, sample_rate, channels, key=stream)
        with self._lock:
            start = self._fed + self._queue.size  # queued audio always directly follows the clock
            self._queue.put(audio)
            self._last_audio = self._clock()
        return start / SAMPLE_RATE, len(audio) / SAMPLE_RATE

    def _check_room(self, seconds: float) -> None:
        if self.queued_seconds + seconds > self.options.max_queued_s:
            raise SessionBusy(
                f"{self.queued_seconds + seconds:.1f} s of audio would be queued; the limit is "
                f"{self.options.max_queued_s:.0f} s: send audio closer to real time"
            )

    def enqueue_file(self, path: str | Path) -> tuple[float, float]:
        from .audio_io import load_audio

        return self.enqueue_audio(load_audio(path), SAMPLE_RATE, stream="file")

    def clear_audio(self) -> None:
        with self._lock:
            self._queue.clear()

    def set_controls(self, controls: Controls) -> None:
        with self._lock:
            self._pending_controls = controls

    def set_generator(self, generator) -> None:
        """Swap in a Generator (built off the worker thread, since preparing an avatar is slow)."""
        with self._lock:
            self._pending_generator = generator

    @property
    def queued_seconds(self) -> float:
        return self._queue.size / SAMPLE_RATE

    @property
    def clock_seconds(self) -> float:
        return self._fed / SAMPLE_RATE

    def status(self) -> dict:
        """The session entry of the protocol's status message."""
        times = list(self._out_times)
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 and times[-1] > times[0] else 0.0
        if times and self._clock() - times[-1] > 1.0:
            fps = 0.0
        state = "loading" if self.loading else "speaking" if self._queue.size else "idle"
        if self.error is not None and not self.loading:
            state = "error"
        return {
            "session": self.id,
            "state": state,
            "pose_only": self.options.pose_only,
            "fps": round(fps, 2),
            "queued_audio_s": round(self.queued_seconds, 3),
            "frames": self.poses if self.options.pose_only else self.frames,
            "dropped": self.dropped,
            "error": None if self.error is None else {"code": self.error[0], "message": self.error[1]},
        }

    # -- worker-thread calls -------------------------------------------------------------------

    def push_audio(
        self, samples: np.ndarray, sample_rate: int, channels: int = 1, drop_before: float | None = None
    ) -> list[Output]:
        """Feed audio now and return every (FaceMotion, frame or None) it completes (no pacing).
        drop_before (seconds of the audio clock): a live caller that has fallen behind gets frames
        before it as poses only (and only the newest that fit RENDER_BUDGET_S are drawn)."""
        audio = self._to_16k(samples, sample_rate, channels, key="push")
        with self._lock:
            start = self._fed
            self._fed += len(audio)
        return list(self._run(audio, start, drop_before=drop_before))

    def flush(self) -> list[Output]:
        """End of stream: the frames the motion engine held back for its look-ahead."""
        self._apply_pending()
        if self._engine is None:
            return []
        return list(self._outputs(self._engine.flush(), drop_before=None))

    def tick(self) -> list[Output]:
        return list(self.tick_iter())

    def tick_iter(self) -> Iterator[Output]:
        """Play queued audio up to the wall clock plus the motion engine's look-ahead (so a frame
        is ready when its time comes); when no audio came for `idle_grace_s`, play silence so the
        clock trails the wall clock by that grace and new audio can start at once. Outputs come
        as they are rendered, the first frame alone, so it can be sent before the rest is drawn."""
        now = self._clock()
        elapsed = now - self._t0
        lead = self.look_ahead_s + self.options.lead_s
        target = int((elapsed + lead) * SAMPLE_RATE)
        silence_to = int((elapsed - self.options.idle_grace_s) * SAMPLE_RATE)
        with self._lock:  # the clock moves under the lock so enqueue_audio sees a consistent end
            start = self._fed
            audio = self._queue.take(max(0, target - self._fed))
            idle = not self._queue.size and now - self._last_audio > self.options.idle_grace_s
            resuming = len(audio) > 0 and self._silent
            if len(audio) == 0 and idle and self._fed < silence_to:
                audio = np.zeros(silence_to - self._fed, np.float32)
                self._silent = True
            elif len(audio):
                self._silent = False
            self._fed += len(audio)
        if len(audio) == 0:
            return
        drop_before = elapsed - self.options.idle_grace_s - self.look_ahead_s - self.options.stale_s
        if resuming:
            # Speech after silence: the silent frames the look-ahead held back (about three, already
            # late by the idle grace) are skipped, not drawn, so the first frame of the speech is
            # the first one rendered (bench_live's first_frame_ms: 86 -> 49 ms on the dev machine).
            drop_before = max(drop_before, start / SAMPLE_RATE)
        yield from self._run(audio, start, drop_before=drop_before)

    @property
    def look_ahead_s(self) -> float:
        return (self._engine.look_ahead_ms / 1000.0) if self._engine is not None else 0.1

    def seconds_to_next_tick(self) -> float:
        """How long the worker may sleep: about a frame while audio plays; idle pose-only
        sessions wake less often (the motion engine costs least in larger steps)."""
        frame = 1.0 / self.options.fps
        if not self.options.pose_only:
            return frame
        return max(frame, self.options.pose_tick_s if self._queue.size else self.options.idle_tick_s)

    # -- internals -----------------------------------------------------------------------------

    def _to_16k(self, samples: np.ndarray, sample_rate: int, channels: int, key: str) -> np.ndarray:
        rk = (check_rate(sample_rate), key)
        mono = to_mono_float(samples, channels)
        if rk not in self._resamplers:
            self._resamplers = {k: v for k, v in self._resamplers.items() if k[1] != key}
            self._resamplers[rk] = Resampler(rk[0])
        return self._resamplers[rk].push(mono)

    def _apply_pending(self) -> None:
        with self._lock:
            controls, self._pending_controls = self._pending_controls, None
            generator, self._pending_generator = self._pending_generator, None
        if generator is not None:
            self._generator = generator
            self._render_cost = 0.0
        if controls is not None:
            if controls != self.controls and self._engine is not None:
                self._engine.set_controls(controls)
            self.controls = controls

    def _make_engine(self, start: int):
        from .motion_engine import MotionEngine

        self._engine_offset = start / SAMPLE_RATE
        return MotionEngine(
            fps=self.options.fps,
            controls=self.controls,
            sample_rate=SAMPLE_RATE,
            voice_gate=self.options.voice_gate,
        )

    def set_fps(self, fps: float) -> list[Output]:
        """Change the frame rate; the clock stays continuous (a new engine starts where we are)."""
        out = self.flush()
        self.options = replace(self.options, fps=float(fps))
        self._engine = None
        return out

    def set_background(self, background: str) -> None:
        self.options = replace(self.options, background=background)

    def _run(self, audio: np.ndarray, start: int, drop_before: float | None) -> Iterator[Output]:
        self._apply_pending()
        if self._engine is None:
            self._engine = self._make_engine(start)
        return self._outputs(self._engine.push(audio), drop_before)

    def _outputs(self, motions: list[FaceMotion], drop_before: float | None) -> Iterator[Output]:
        for m in motions:
            m.t = self._engine_offset + m.t
        self.poses += len(motions)
        if self.options.pose_only or self._generator is None or not motions:
            now = self._clock()
            self._out_times.extend([now] * len(motions))
            yield from ((m, None) for m in motions)
            return
        draw = motions
        if drop_before is not None:  # live: stale frames are skipped, and when rendering cannot
            # keep up, only the newest frames that fit in RENDER_BUDGET_S are drawn, so the
            # picture lags by about one render instead of a growing queue
            draw = [m for m in motions if m.t >= drop_before] or motions[-1:]
            fit = int(RENDER_BUDGET_S / self._render_cost) if self._render_cost > 0 else len(draw)
            draw = draw[-max(1, fit) :]
        self.dropped += len(motions) - len(draw)
        drawn = {id(m) for m in draw}
        pending: list[FaceMotion] = []
        first = True
        for m in motions:
            if id(m) not in drawn:
                yield m, None
                continue
            pending.append(m)
            if len(pending) == (1 if first else self.options.max_batch) or m is draw[-1]:
                yield from zip(pending, self._render(pending))
                pending, first = [], False

    def _render(self, batch: list[FaceMotion]) -> np.ndarray:
        t0 = time.perf_counter()
        frames = self._generator.render(stack_vectors(batch))
        cost = (time.perf_counter() - t0) / len(batch)
        self._render_cost = cost if self._render_cost == 0 else 0.8 * self._render_cost + 0.2 * cost
        if self.options.background == "keep":
            frames[..., 3] = 255
        self._watermark(frames)
        self.frames += len(frames)
        self._out_times.extend([self._clock()] * len(frames))
        return frames

    def _watermark(self, frames: np.ndarray) -> None:
        """Every frame that leaves a session carries the mark of facecast and of this session."""
        from .watermark import Watermarker

        if self._marker is None or self._marker.size != frames.shape[1]:
            self._marker = Watermarker(self.id, frames.shape[1])
        self._marker.apply(frames)


# A live session renders one to four frames a call, and at that size onnxruntime parallelises only
# the graph's few large ops (most of the time is elementwise maths on small layer boxes, each op
# too small to split): one intra-op thread renders a frame as fast as two
# (13.1 against 13.6 ms on the 2-core dev machine) and leaves the other core to the audio, motion
# and output stages and to other sessions (`bench_live`: 3 sessions at 40 FPS against 2, one
# session's live FPS the same). Offline renders (batches of 8) keep the generator's own choice.
LIVE_RENDER_THREADS = 1


def load_generator(source: str | Path | bytes, size: int, cache_dir: Path | None = None, threads: int = 0):
    """Prepare an avatar and build its Generator (slow: call it off the session's worker thread).
    threads: CPU threads of its renderer, 0 = automatic (LIVE_RENDER_THREADS)."""
    from .avatar import prepare_avatar

    avatar = prepare_avatar(source, size=size, cache_dir=cache_dir)
    from .generator import Generator  # after the portrait is known good: its errors come first

    return Generator(avatar, threads=threads or LIVE_RENDER_THREADS)
