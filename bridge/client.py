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


class Subscriber:
    """Data messages (Frame, Pose, Status) for some topic prefixes. RCVHWM is small: a reader that
    falls behind loses old messages rather than seeing them late."""

    def __init__(self, ctx: zmq.Context, endpoint: str, topics, hwm: int, server_key: bytes | None):
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, hwm)
        _curve(self.sock, server_key)
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode() if isinstance(t, str) else t)
        self.sock.connect(endpoint)

    def recv(self, timeout: float | None = 1.0) -> wire.Frame | wire.Pose | wire.Status | None:
        """The next message, or None after `timeout` seconds."""
        if timeout is not None and not self.sock.poll(int(timeout * 1000)):
            return None
        return wire.decode_data(self.sock.recv_multipart(copy=True))

    def latest(self, timeout: float | None = 1.0):
        """Wait for one message, then drain the socket and return the newest (skip stale frames)."""
        msg = self.recv(timeout)
        while msg is not None and self.sock.poll(0):
            msg = wire.decode_data(self.sock.recv_multipart())
        return msg

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
    ) -> str:
        fields = {"session": session, "size": size, "fps": fps, "format": format, "controls": controls}
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

    def subscribe(self, *topics: str | bytes, hwm: int = 16) -> Subscriber:
        """A SUB socket on the data endpoint: topics like "frame/<id>/", "pose/", "status"."""
        return Subscriber(self.ctx, self.data_endpoint, topics or ("",), hwm, self.server_key)
