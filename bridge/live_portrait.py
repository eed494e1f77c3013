"""`facecast live IMAGE`: speech in (microphone or file), the talking portrait out to a virtual
camera, a preview window and/or the browser overlay, with the speech played back in sync.

Latency: a frame shows about L = motion look-ahead + one audio chunk + render time after its
audio arrived. A file's audio is played back L late (`--delay MS` overrides) so lips and sound
match. A microphone is not played back unless --delay is given (route that output to a virtual
audio cable); otherwise delay the microphone by L in the app that receives both (docs/service.md).
"""

from __future__ import annotations

import argparse
import logging
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Iterator

import numpy as np

from ..runtime.audio_io import SAMPLE_RATE
from ..runtime.errors import ConfigError, FacecastError
from ..runtime.session import Session, SessionOptions, load_generator
from .pose_live import CHUNK_MS, audio_source

log = logging.getLogger("facecast")

RENDER_MARGIN_MS = 20.0  # allowance for one render in the default audio delay


class AudioPlayer:
    """Plays 16 kHz mono chunks `delay_s` after they are written (sounddevice, optional)."""

    def __init__(self, delay_s: float):
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:
            raise FacecastError(
                f"audio playback needs sounddevice and PortAudio ({exc}): pip install 'facecast[live]'"
            ) from None
        self.buf: deque[np.ndarray] = deque()
        self.buf.append(np.zeros(int(delay_s * SAMPLE_RATE), np.float32))
        self.pending = np.zeros(0, np.float32)
        try:
            self.stream = sd.OutputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="float32", callback=self._callback, latency="low"
            )
            self.stream.start()
        except Exception as exc:
            raise FacecastError(f"cannot open the audio output device: {exc}") from None
        self.device_latency_s = float(getattr(self.stream, "latency", 0.0) or 0.0)

    def write(self, chunk: np.ndarray) -> None:
        self.buf.append(chunk.astype(np.float32, copy=False))

    def _callback(self, outdata, frames, time_info, status) -> None:  # PortAudio's thread
        out = outdata[:, 0]
        filled = 0
        while filled < frames:
            if not len(self.pending):
                if not self.buf:
                    out[filled:] = 0.0
                    return
                self.pending = self.buf.popleft()
            n = min(frames - filled, len(self.pending))
            out[filled : filled + n] = self.pending[:n]
            self.pending = self.pending[n:]
            filled += n

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()


class AudioFeed:
    """Reads the live source on its own thread and hands each chunk to the player at once, so the
    speech plays on without gaps while a slow machine renders; the render loop takes whatever has
    arrived since it last looked, and drops the frames it is too late for."""

    _END = object()

    def __init__(self, source: Iterator[np.ndarray], player: AudioPlayer | None) -> None:
        self.chunks: queue.Queue = queue.Queue()
        self.start: float | None = None  # wall clock of the first chunk: the audio clock's zero
        self._source, self._player = source, player
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="facecast-audio-feed", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for chunk in self._source:
                if self._stop.is_set():
                    break
                if self.start is None:
                    self.start = time.monotonic()
                if self._player is not None:
                    self._player.write(chunk)
                self.chunks.put(chunk)
        except BaseException as exc:  # a microphone that fails: raised again in the render loop
            self.chunks.put(exc)
        self.chunks.put(self._END)

    def take(self) -> np.ndarray | None:
        """Everything that arrived (waiting for the next chunk if nothing has); None at the end."""
        items = [self.chunks.get()]
        while True:
            try:
                items.append(self.chunks.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if isinstance(item, BaseException):
                raise item
        audio = [c for c in items if c is not self._END]
        if items[-1] is self._END:
            self.chunks.put(self._END)  # the end stays: every later take() returns None
        return np.concatenate(audio) if audio else None

    def stop(self) -> None:
        self._stop.set()


class Window:
    """An OpenCV preview window; closing it (or q / Esc) stops the live loop."""

    NAME = "facecast live"

    def __init__(self) -> None:
        import cv2

        self.cv2 = cv2
        try:
            cv2.namedWindow(self.NAME, cv2.WINDOW_AUTOSIZE)
        except cv2.error as exc:
            raise FacecastError(
                f"cannot open a window here (no display?): {exc}; use --virtualcam or --port instead"
            ) from None

    def show(self, rgba: np.ndarray) -> bool:
        cv2 = self.cv2
        cv2.imshow(self.NAME, cv2.cvtColor(rgba[..., :3], cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(1) & 0xFF
        visible = cv2.getWindowProperty(self.NAME, cv2.WND_PROP_VISIBLE) >= 1
        return key not in (ord("q"), 27) and visible

    def close(self) -> None:
        self.cv2.destroyWindow(self.NAME)


def default_delay_ms(look_ahead_ms: float) -> float:
    return look_ahead_ms + CHUNK_MS + RENDER_MARGIN_MS


def run(args: argparse.Namespace) -> int:
    if not (args.virtualcam or args.window or args.port is not None):
        raise ConfigError(
            "choose where the face goes: --virtualcam, --window and/or --port PORT (overlay page)"
        )
    if args.delay is not None and not 0 <= args.delay <= 2000:
        raise ConfigError(f"--delay must be 0..2000 ms, got {args.delay}")
    size, fps = int(args.size), float(args.fps)
    t_load = time.perf_counter()
    generator = load_generator(args.image, size)
    log.info("portrait ready in %.1f s; rendering on %s", time.perf_counter() - t_load, generator.device)
    session = Session(
        "live",
        SessionOptions(size=size, fps=fps, background="transparent", voice_gate=args.voice_gate),
        args.controls,
    )
    session.set_generator(generator)
    from ..runtime.motion_engine import LOOK_AHEAD_MS

    delay_ms = args.delay if args.delay is not None else default_delay_ms(LOOK_AHEAD_MS)
    outputs = _open_outputs(args, size, fps)
    camera, window, overlay = outputs["camera"], outputs["window"], outputs["overlay"]
    player = None
    play = args.audio is not None or (args.mic is not None and args.delay is not None)
    try:
        if play:
            try:
                player = AudioPlayer(delay_ms / 1000.0)
            except FacecastError as exc:  # no sound card: the picture is still worth having
                log.warning("no audio playback: %s", exc)
        source, described = audio_source(args)
        log.info(
            "live: %s -> %s at %g fps; audio %s",
            described,
            " + ".join(k for k, v in outputs.items() if v is not None),
            fps,
            f"played {delay_ms:.0f} ms late to match the picture (--delay MS to change)"
            if player
            else f"not played back; the picture follows the microphone by about {delay_ms:.0f} ms",
        )
        return _loop(args, session, AudioFeed(source, player), camera, window, overlay, delay_ms / 1000.0)
    finally:
        for out in (player, camera, window, overlay):
            if out is not None:
                (out.stop if out is overlay else out.close)()


def _open_outputs(args, size: int, fps: float) -> dict:
    outputs: dict = {"camera": None, "window": None, "overlay": None}
    try:
        if args.virtualcam:
            from .virtualcam import VirtualCamera

            outputs["camera"] = VirtualCamera(size, size, fps)
        if args.port is not None:
            from .overlay import OverlayServer

            outputs["overlay"] = OverlayServer(args.port).start()
            print(
                f"overlay page: {outputs['overlay'].url} (OBS: add a Browser Source with this URL)",
                flush=True,
            )
        if args.window:
            outputs["window"] = Window()
    except BaseException:
        for v in outputs.values():
            if v is not None:
                (v.stop if hasattr(v, "stop") else v.close)()
        raise
    return outputs


def _loop(args, session: Session, feed: AudioFeed, camera, window, overlay, delay_s: float) -> int:
    behind: deque[float] = deque(maxlen=200)  # wall time a frame shows minus when its audio arrived
    seq = 0
    last_report = time.monotonic()
    try:
        while (chunk := feed.take()) is not None:
            now = time.monotonic()
            start = feed.start
            # a frame shown later than its sound plays (delay_s) plus the session's stale margin is
            # not drawn: on a machine slower than the frame rate the picture skips, never drifts
            late = now - start - delay_s - session.options.stale_s
            for motion, frame in session.push_audio(chunk, SAMPLE_RATE, drop_before=late):
                if frame is None:
                    continue
                if camera is not None:
                    camera.send(frame)
                if overlay is not None:
                    overlay.publish("live", seq, frame)
                if window is not None and not window.show(frame):
                    return 0
                seq += 1
                behind.append(time.monotonic() - (start + motion.t))
            if now - last_report > 10 and behind:
                last_report = now
                log.info(
                    "live: picture is %.0f ms behind the audio (median of the last %d frames)",
                    1000 * statistics.median(behind),
                    len(behind),
                )
            if args.duration is not None and now - start >= args.duration:
                break
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
    if behind:
        log.info(
            "live: %d frames, %d skipped to keep up; picture %.0f ms behind the audio (median)",
            seq,
            session.dropped,
            1000 * statistics.median(behind),
        )
    return 0
