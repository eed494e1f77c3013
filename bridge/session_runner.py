"""Where sessions run inside `facecast serve`: worker threads that step sessions on their clocks and
hand what they produce to the service loop through an Outbox.

A session that draws frames gets a thread of its own (its renders release the GIL inside
onnxruntime, so several run on several cores). Pose-only sessions (NPCs, avatars driven by pose)
share one thread that steps each on its own period: their work is short pure Python, so fifty
threads would only fight over the GIL, and the service loop, which gives the GIL up on every
socket call, would wait behind all of them (with one thread per session, 50 pose-only sessions
stopped the service answering pings at all).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from facecast.runtime.errors import AudioError, AvatarError, ConfigError
from facecast.runtime.session import Session, SessionBusy

from . import wire

log = logging.getLogger("facecast")

ERROR_RETRY_S = 0.2  # a session whose step failed tries again after this long


def error_code(exc: BaseException) -> str:
    """The protocol's error code for an exception raised while serving a request."""
    if isinstance(exc, wire.ProtocolError):
        return exc.code
    if isinstance(exc, SessionBusy):
        return "busy"
    if isinstance(exc, AvatarError):
        return "bad_image" if "cannot read image" in str(exc) else "no_face"
    if isinstance(exc, AudioError):
        return "bad_audio"
    if isinstance(exc, (ConfigError, ValueError, TypeError)):
        return "bad_argument"
    return "internal"


class Outbox:
    """Thread-safe hand-off to the loop: replies are never dropped, data drops its oldest."""

    def __init__(self, data_size: int):
        self.replies: deque[list] = deque()
        self.data: deque[list] = deque(maxlen=data_size)
        self._bell_r, self._bell_w = socket.socketpair()
        self._bell_r.setblocking(False)
        self._bell_w.setblocking(False)
        self.dropped = 0

    def reply(self, identity: bytes, body: bytes) -> None:
        self.replies.append([identity, body])
        self.ring()

    def publish(self, parts: list) -> None:
        self.publish_many([parts])

    def publish_many(self, messages: list[list]) -> None:
        """Several messages, one doorbell (a session's step often makes a burst)."""
        for parts in messages:
            if len(self.data) == self.data.maxlen:
                self.dropped += 1
            self.data.append(parts)
        if messages:
            self.ring()

    def ring(self) -> None:
        try:
            self._bell_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # the bell is already ringing

    def fileno(self) -> int:
        return self._bell_r.fileno()

    def silence(self) -> None:
        try:
            while self._bell_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        self._bell_r.close()
        self._bell_w.close()


class Slot:
    """One session inside a Runner: its commands (run in order on the runner's thread), its output
    sequence numbers and when it is next due."""

    def __init__(self, session: Session, outbox: Outbox, fmt: str, runner: Runner):
        self.session, self.outbox, self.fmt, self.runner = session, outbox, fmt, runner
        self.commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.stopped = False
        self.kicked = False
        self.due = 0.0  # monotonic time of its next step
        self.frame_seq = 0
        self.pose_seq = 0
        self.touched = time.monotonic()

    def submit(self, job: Callable[[], None]) -> None:
        self.commands.put(job)
        self.kick()

    def kick(self) -> None:
        """Step now (new audio, a command), not at the session's next period."""
        self.kicked = True
        self.runner.wake.set()

    def stop(self) -> None:
        self.stopped = True
        self.runner.wake.set()

    def step(self) -> None:
        s = self.session
        self.kicked = False
        while not self.commands.empty() and not self.stopped:
            self.commands.get()()
        started = time.monotonic()
        try:
            self.publish(s.tick_iter())
        except Exception as exc:  # a broken session reports itself and keeps the face alive
            error = (error_code(exc), f"{type(exc).__name__}: {exc}")
            if error != s.error:
                log.exception("session %s failed", s.id)
            s.error = error
            self.due = started + ERROR_RETRY_S
            return
        # one step per period, counting the time the step took (a render can take most of it)
        self.due = started + s.seconds_to_next_tick()

    def publish(self, outputs: Iterable) -> None:
        """Poses are handed over per step; each frame at once (the first frame must not wait for
        the rest of the batch to be drawn)."""
        sid, poses = self.session.id, []
        for motion, frame in outputs:
            poses.append(wire.encode_pose(sid, self.pose_seq, motion.t, motion))
            self.pose_seq += 1
            if frame is not None:
                self.outbox.publish_many(poses)
                poses = []
                self.outbox.publish(wire.encode_frame(sid, self.frame_seq, motion.t, frame, self.fmt))
                self.frame_seq += 1
        self.outbox.publish_many(poses)


class Runner(threading.Thread):
    """A worker thread stepping the sessions it hosts, each when it is due, earliest first.
    `single`: it hosts one session and ends with it."""

    def __init__(self, name: str, single: bool):
        super().__init__(name=name, daemon=True)
        self.single = single
        self.wake = threading.Event()
        self._slots: list[Slot] = []
        self._lock = threading.Lock()
        self._closed = False

    def add(self, session: Session, outbox: Outbox, fmt: str) -> Slot:
        slot = Slot(session, outbox, fmt, self)
        with self._lock:
            self._slots.append(slot)
        self.wake.set()
        return slot

    def close(self) -> None:
        self._closed = True
        self.wake.set()

    @property
    def load(self) -> int:
        return len(self._slots)

    def run(self) -> None:
        while not self._closed:
            self.wake.clear()  # before looking: a kick from now on makes the wait below return
            with self._lock:
                self._slots = [s for s in self._slots if not s.stopped]
                slots = sorted(self._slots, key=lambda s: s.due)
            if self.single and not slots:
                return
            for slot in slots:
                if self._closed:
                    return
                if not slot.stopped and (slot.kicked or slot.due <= time.monotonic()):
                    slot.step()
            with self._lock:
                live = [s for s in self._slots if not s.stopped]
            if any(s.kicked for s in live):
                continue
            next_due = min((s.due for s in live), default=time.monotonic() + 0.5)
            self.wake.wait(max(0.0, next_due - time.monotonic()))


class Runners:
    """Places sessions: frame sessions on threads of their own, pose-only ones on a shared thread."""

    def __init__(self):
        self._pose: Runner | None = None
        self._all: list[Runner] = []

    def add(self, session: Session, outbox: Outbox, fmt: str) -> Slot:
        self._all = [r for r in self._all if r.is_alive()]
        if session.options.pose_only:
            if self._pose is None or not self._pose.is_alive():
                self._pose = Runner("facecast-pose-sessions", single=False)
                self._pose.start()
                self._all.append(self._pose)
            return self._pose.add(session, outbox, fmt)
        runner = Runner(f"facecast-session-{session.id}", single=True)
        slot = runner.add(session, outbox, fmt)
        runner.start()
        self._all.append(runner)
        return slot

    def close(self) -> None:
        for r in self._all:
            r.close()
        self._all, self._pose = [], None
