"""Python client of `facecast serve` (docs/protocol.md): a DEALER for requests, a SUB for data.

    with Client() as c:
        sid = c.open(pose_only=True)
        c.push_audio(sid, samples, 48000)
        with c.subscribe(f"pose/{sid}/") as sub:
            pose = sub.recv(timeout=1.0)

Replies are matched to requests by id, so a reply that arrives late (after a timeout) is never
mistaken for the answer to a later request. A Client is for one thread; open one per thread.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from pathlib import Path

import numpy as np
import zmq

from facecast.runtime.errors import FacecastError

from . import wire


class RemoteError(FacecastError):
    """The server answered with an error; `code` is the protocol's stable error code."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ServerTimeout(FacecastError):
    """No reply in time: the server is not running, not reachable, or overloaded."""


def _curve(sock: zmq.Socket, server_key: bytes | None) -> None:
    if server_key is not None:
        public, secret = zmq.curve_keypair()
        sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = server_key, public, secret


def load_server_key(path: str | Path) -> bytes:
    """The server's public key from a `server.key` file made by `facecast serve --make-keys`."""
    import zmq.auth

    public, _ = zmq.auth.load_certificate(str(path))
    return public


# A session publishes at most 1 + 4 frames at once (its first frame, then a batch of
# SessionOptions.max_batch): frames further behind the newest are stale, not a burst.
MAX_LAG = 4
# SO_RCVBUF of a subscriber (the kernel doubles it): about 2 frames of 512x512 RGBA. Left unset,
# Linux grows it to tcp_rmem's maximum (32 MiB here) and a slow reader's backlog with it.
RCVBUF = 1 << 20


class Subscriber:
    """Data messages (Frame, Pose, Status) for some topic prefixes, in order, for one thread.

    A reader slower than the session gets recent frames, not old ones: every call first takes all
    that has arrived (so nothing piles up unseen in ZeroMQ or kernel buffers, which Linux otherwise
    grows to tens of MiB on loopback), then skips frames more than `max_lag` frames behind the newest
    frame of their session. A reader that keeps up loses nothing: a session publishes at most
    1 + 4 frames at once (its first frame, then a batch), within the default `max_lag`. Poses and
    status are never skipped: a reader too slow for them falls behind on them (and on the frames
    between them), so subscribe a slow frame reader to frames alone, or show frames with latest()."""

    def __init__(
        self,
        ctx: zmq.Context,
        endpoint: str,
        topics,
        hwm: int,
        server_key: bytes | None,
        rcvbuf: int = RCVBUF,
        max_lag: int | None = MAX_LAG,
    ):
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, hwm)
        if rcvbuf > 0:  # before connect: it sizes the TCP window (and stops Linux growing it)
            self.sock.setsockopt(zmq.RCVBUF, rcvbuf)
        _curve(self.sock, server_key)
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode() if isinstance(t, str) else t)
        self.sock.connect(endpoint)
        self.max_lag = max_lag
        self.skipped = 0  # stale frames dropped here
        self._queue: deque[wire.Frame | wire.Pose | wire.Status] = deque()
        self._cap = 4 * max(1, hwm)  # messages taken from the socket at most (stale frames take none)
        self._newest: dict[str, int] = {}  # seq of the frame that arrived last, per session

    def _take(self, timeout: float | None) -> bool:
        """Move every message that has arrived into the queue (waiting up to `timeout` for one
        when it is empty); True when the queue holds something."""
        if (
            not self._queue
            and timeout != 0
            and not self.sock.poll(None if timeout is None else int(timeout * 1000))
        ):
            return False
        for _ in range(2 * self._cap):  # bounded: a fast publisher cannot keep us here
            if len(self._queue) >= self._cap:
                break  # the rest waits in the socket, in order
            try:
                parts = self.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            msg = wire.decode_data(parts)
            if isinstance(msg, wire.Frame):
                self._newest[msg.header.session] = msg.header.seq
                if self.max_lag is not None and len(self._queue) > self.max_lag:
                    self._prune(msg.header.session)
            self._queue.append(msg)
        return bool(self._queue)

    def _prune(self, session: str) -> None:
        """Drop the session's queued frames that are stale now, so they take no room."""
        keep = [
            m
            for m in self._queue
            if not (isinstance(m, wire.Frame) and m.header.session == session and self._stale(m))
        ]
        self.skipped += len(self._queue) - len(keep)
        self._queue = deque(keep)

    def _stale(self, msg) -> bool:
        if self.max_lag is None or not isinstance(msg, wire.Frame):
            return False
        return self._newest.get(msg.header.session, msg.header.seq) - msg.header.seq > self.max_lag

    def recv(self, timeout: float | None = 1.0) -> wire.Frame | wire.Pose | wire.Status | None:
        """The next message that is not stale, or None after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._take(left):
                return None
            while self._queue:
                msg = self._queue.popleft()
                if not self._stale(msg):
                    return msg
                self.skipped += 1
            if left == 0:
                return None

    def latest(self, timeout: float | None = 1.0):
        """Wait for a message, take all that have arrived and return the newest frame among them (or
        the newest message when no frame came); the rest are dropped. For showing the newest frame."""
        if not self._take(timeout):
            return None
        msgs, frames = list(self._queue), [m for m in self._queue if isinstance(m, wire.Frame)]
        self._queue.clear()
        self.skipped += sum(isinstance(m, wire.Frame) for m in msgs) - (1 if frames else 0)
        return frames[-1] if frames else msgs[-1]

    def close(self) -> None:
        self.sock.close(0)

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Client:
    def __init__(
        self,
        control: str = wire.DEFAULT_CONTROL,
        data: str = wire.DEFAULT_DATA,
        timeout: float = 10.0,
        server_key: bytes | None = None,
        context: zmq.Context | None = None,
    ):
        self.ctx = context or zmq.Context.instance()
        self.data_endpoint, self.timeout, self.server_key = data, timeout, server_key
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        _curve(self.sock, server_key)
        self.sock.connect(control)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self.sock.close(0)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the protocol ------------------------------------------------------------------------

    def request(self, op: str, payload: bytes | None = None, timeout: float | None = None, **fields) -> dict:
        """Send one request and wait for its reply; raises RemoteError or ServerTimeout."""
        rid = next(self._ids)
        self.sock.send_multipart(wire.encode_request(rid, op, payload, **fields), copy=payload is None)
        return self.wait(rid, op, timeout)

    def send(self, op: str, payload: bytes | None = None, **fields) -> int:
        """Send without waiting (pipelining); collect the reply later with wait(id)."""
        rid = next(self._ids)
        self.sock.send_multipart(wire.encode_request(rid, op, payload, **fields))
        return rid

    def wait(self, rid: int, op: str = "request", timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                raise ServerTimeout(
                    f"no reply to {op} within {self.timeout if timeout is None else timeout:g} s"
                )
            reply = wire.decode_reply(self.sock.recv())
            if reply.id != rid:
                continue  # a late reply to an earlier request that timed out
            if not reply.ok:
                raise RemoteError(reply.code or "internal", reply.message or "")
            return reply.fields

    def ping(self) -> dict:
        return self.request("ping")

    def open(
        self,
        session: str | None = None,
        pose_only: bool = False,
        size: int | None = None,
        fps: float | None = None,
        format: str | None = None,
        controls: dict | None = None,
        voice_gate: bool | None = None,
    ) -> str:
        fields = {"session": session, "size": size, "fps": fps, "format": format, "controls": controls}
        fields["voice_gate"] = voice_gate
        fields = {k: v for k, v in fields.items() if v is not None}
        return self.request("open", pose_only=pose_only, **fields)["session"]

    def close_session(self, session: str) -> dict:
        return self.request("close", session=session)

    def load_avatar(self, session: str, path: str | Path | None = None, image: bytes | None = None) -> dict:
        """Prepare the portrait (a path the server can read, or encoded image bytes): slow."""
        if image is not None:
            return self.request("load_avatar", bytes(image), timeout=max(self.timeout, 60), session=session)
        return self.request("load_avatar", timeout=max(self.timeout, 60), session=session, path=str(path))

    def push_audio(self, session: str, samples: np.ndarray, sample_rate: int, channels: int = 1) -> dict:
        """Queue int16 or float32 samples (interleaved if several channels); returns pts and duration."""
        a = np.asarray(samples)
        if a.dtype not in (np.int16, np.float32):
            a = a.astype(np.float32)
        dtype = "int16" if a.dtype == np.int16 else "float32"
        payload = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        return self.request(
            "push_audio",
            payload,
            session=session,
            sample_rate=int(sample_rate),
            channels=channels,
            dtype=dtype,
        )

    def play_file(self, session: str, path: str | Path) -> dict:
        return self.request("play_file", timeout=max(self.timeout, 30), session=session, path=str(path))

    def set(self, session: str, **controls) -> dict:
        if "gaze" in controls and controls["gaze"] is not None:
            controls["gaze"] = list(controls["gaze"])
        return self.request("set", session=session, controls=controls)["controls"]

    def status(self, session: str | None = None) -> list[dict]:
        fields = {"session": session} if session else {}
        return self.request("status", **fields)["sessions"]

    def subscribe(
        self,
        *topics: str | bytes,
        hwm: int = 16,
        rcvbuf: int = RCVBUF,
        max_lag: int | None = MAX_LAG,
    ) -> Subscriber:
        """A SUB socket on the data endpoint: topics like "frame/<id>/", "pose/", "status".
        max_lag=None keeps every frame that arrives (a recorder); rcvbuf=0 leaves the kernel's."""
        return Subscriber(
            self.ctx, self.data_endpoint, topics or ("",), hwm, self.server_key, rcvbuf, max_lag
        )
