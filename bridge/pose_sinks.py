"""Pose sinks (VMC, VTube Studio, ...) behind one small protocol, a registry to open them from
options, and a steady-rate sender that feeds them.

Why a steady sender: the motion engine hands out frames in bursts (one audio chunk at a time), but
avatar apps want a smooth stream; VMC receivers interpolate nothing and VTube Studio drops a
parameter not refreshed within a second. The sender ticks at a fixed rate on its own thread and
sends, at each tick, the newest frame whose time has come (or the last one again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from ..runtime.errors import ConfigError, FacecastError
from ..runtime.facemotion import FaceMotion

log = logging.getLogger("facecast")


class PoseSink(Protocol):
    def send(self, motion: FaceMotion) -> None: ...

    def close(self) -> None: ...


def _open_vmc(spec: dict) -> PoseSink:
    from .vmc import VMCOptions, VMCSender, parse_host_port

    host, port = parse_host_port(spec.get("target", "127.0.0.1:39539"))
    return VMCSender(VMCOptions(host=host, port=port, names=spec.get("names", "perfectsync")))


def _open_vts(spec: dict) -> PoseSink:
    from .vtube_studio import VTSOptions, VTubeStudioClient

    options = VTSOptions(url=spec.get("url", "ws://localhost:8001"))
    if spec.get("token_file"):
        options.token_file = spec["token_file"]
    client = VTubeStudioClient(options)
    client.connect()
    return client


# name -> opener(spec dict) ; each opener raises FacecastError with what to do when it cannot open.
SINKS: dict[str, Callable[[dict], PoseSink]] = {"vmc": _open_vmc, "vts": _open_vts}


def open_sinks(specs: dict[str, dict]) -> list[PoseSink]:
    """Open every requested sink; if one fails, close the ones already open and re-raise."""
    opened: list[PoseSink] = []
    try:
        for name, spec in specs.items():
            if name not in SINKS:
                raise ConfigError(f"unknown pose output {name!r}; expected one of {', '.join(SINKS)}")
            opened.append(SINKS[name](spec))
    except BaseException:
        for s in opened:
            s.close()
        raise
    return opened


class SteadySender:
    """Sends FaceMotion to sinks at `rate` Hz on a background thread.

    push() frames with times on the audio clock; the audio clock runs `latency` seconds behind the
    wall clock started by start(), so frames arrive before they are due even though the engine
    looks ahead. When no new frame is due, the last one is sent again (keeps VTS/VMC alive).
    """

    def __init__(self, sinks: list[PoseSink], rate: float = 60.0, latency: float = 0.1) -> None:
        if not 1.0 <= rate <= 240.0:
            raise ConfigError(f"pose send rate must be 1..240 Hz, got {rate}")
        self.sinks = sinks
        self.rate = rate
        self.latency = latency
        self._queue: deque[FaceMotion] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._current = FaceMotion()
        self.ticks = 0
        self.late_ticks = 0  # ticks where no new frame was due although frames were expected
        self.error: BaseException | None = None

    def start(self, t0: float | None = None) -> None:
        self._t0 = time.monotonic() if t0 is None else t0
        self._thread = threading.Thread(target=self._run, name="facecast-pose-sender", daemon=True)
        self._thread.start()

    def push(self, motions: list[FaceMotion]) -> None:
        if self.error is not None:
            raise self.error
        with self._lock:
            self._queue.extend(motions)

    def _due(self, audio_t: float) -> FaceMotion | None:
        with self._lock:
            newest = None
            while self._queue and self._queue[0].t <= audio_t:
                newest = self._queue.popleft()
            return newest

    def _run(self) -> None:
        period = 1.0 / self.rate
        next_tick = self._t0
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_tick:
                self._stop.wait(next_tick - now)
                continue
            due = self._due(now - self._t0 - self.latency)
            if due is not None:
                self._current = due
            else:
                self.late_ticks += 1
            try:
                for sink in self.sinks:
                    sink.send(self._current)
            except FacecastError as exc:  # e.g. VTube Studio denied the plugin: stop, report
                self.error = exc
                log.error("%s", exc)
                return
            except Exception as exc:  # a bug in a sink: stop sending, and let push() re-raise it
                self.error = exc
                log.exception("pose sender stopped")
                return
            self.ticks += 1
            next_tick += period
            if now - next_tick > 0.5:  # fell far behind (suspended?): resynchronise, don't burst
                next_tick = now + period

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def close(self) -> None:
        self.stop()
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:  # closing is best effort; report, keep closing the others
                log.warning("closing %s failed: %s", type(sink).__name__, exc)
