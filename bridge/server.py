"""`facecast serve`: the ZeroMQ service (docs/protocol.md). One poller loop owns the ROUTER (control)
and PUB (data) sockets and never waits on anything else; sessions run on worker threads
(session_runner.py); avatar preparation and file decoding run on a small pool. Workers hand messages
to the loop through an outbox and a socketpair doorbell, so no ZeroMQ socket is shared between
threads and one slow or broken session never stalls the others.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import zmq

from facecast.runtime.controls import Controls
from facecast.runtime.errors import ConfigError
from facecast.runtime.session import Session, SessionBusy, SessionOptions, load_generator

from . import wire
from .session_runner import Outbox, Runners, Slot, error_code

log = logging.getLogger("facecast")

HEARTBEAT_S = 0.5
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # ZeroMQ drops the peer beyond this; smaller limits get replies


@dataclass
class ServerOptions:
    control: str = wire.DEFAULT_CONTROL
    data: str = wire.DEFAULT_DATA
    curve_keys: Path | None = None  # directory with server.key_secret (and optional clients/)
    max_sessions: int = 64
    idle_timeout_s: float | None = None  # close sessions no request touched for this long
    # whole messages (not parts) queued per subscriber before its new ones are dropped: 32 frames,
    # room for a few sessions' bursts (a first frame, then 4 at once, each with its pose) to a reader
    # that keeps up; a slow reader sees the newest anyway because the client drains (client.py)
    pub_hwm: int = 32
    outbox_size: int = 256  # data messages waiting for the loop (oldest dropped)
    cache_dir: Path | None = None
    render_threads: int = 0  # CPU threads per session's renderer, 0 = automatic
    pose_step_s: float = 0.05  # a speaking pose-only session's motion step: larger is cheaper, later


def is_loopback(endpoint: str) -> bool:
    """True for inproc/ipc and tcp endpoints bound to 127.x / ::1 / localhost."""
    if not endpoint.startswith("tcp://"):
        return endpoint.startswith(("inproc://", "ipc://"))
    host = endpoint[6:].rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


class Server:
    def __init__(self, options: ServerOptions | None = None, context: zmq.Context | None = None):
        self.options = options or ServerOptions()
        self.ctx = context or zmq.Context.instance()
        self.outbox = Outbox(self.options.outbox_size)
        self.workers: dict[str, Slot] = {}
        self.runners = Runners()
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="facecast-load")
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self._auth = None
        self.control = self.ctx.socket(zmq.ROUTER)
        self.pub = self.ctx.socket(zmq.PUB)
        for sock in (self.control, self.pub):
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.control.setsockopt(zmq.ROUTER_MANDATORY, 0)  # replies to vanished clients are dropped
        self.pub.setsockopt(zmq.SNDHWM, self.options.pub_hwm)
        self.pub.setsockopt(zmq.SNDBUF, 1 << 20)  # bound what a stalled reader holds in the kernel (x2)
        self._secure()
        self.control.bind(self.options.control)
        self.pub.bind(self.options.data)
        self.control_endpoint = self.control.getsockopt_string(zmq.LAST_ENDPOINT)
        self.data_endpoint = self.pub.getsockopt_string(zmq.LAST_ENDPOINT)

    def _secure(self) -> None:
        opts = self.options
        exposed = [e for e in (opts.control, opts.data) if not is_loopback(e)]
        if opts.curve_keys is None:
            if exposed:
                raise ConfigError(
                    f"refusing to bind {', '.join(exposed)} beyond loopback without encryption: make "
                    "CurveZMQ keys with `facecast serve --make-keys DIR` and pass `--curve-keys DIR`"
                )
            return
        import zmq.auth

        secret = Path(opts.curve_keys) / "server.key_secret"
        if not secret.is_file():
            raise ConfigError(f"no {secret}: make keys with `facecast serve --make-keys {opts.curve_keys}`")
        public, private = zmq.auth.load_certificate(str(secret))
        clients = Path(opts.curve_keys) / "clients"
        if clients.is_dir():  # only these client keys may connect
            from zmq.auth.thread import ThreadAuthenticator

            self._auth = ThreadAuthenticator(self.ctx)
            self._auth.start()
            self._auth.configure_curve(domain="*", location=str(clients))
        for sock in (self.control, self.pub):
            sock.curve_secretkey, sock.curve_publickey, sock.curve_server = private, public, True

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Server:
        self._running.set()
        self._thread = threading.Thread(target=self.serve_forever, name="facecast-serve", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        self.outbox.ring()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._running.set()
        poller = zmq.Poller()
        poller.register(self.control, zmq.POLLIN)
        poller.register(self.outbox.fileno(), zmq.POLLIN)
        next_status = 0.0
        log.info("serving control on %s, data on %s", self.control_endpoint, self.data_endpoint)
        try:
            while self._running.is_set():
                try:
                    next_status = self._step(poller, next_status)
                except Exception:  # a bug in one step must not end the service
                    log.exception("service loop error (continuing)")
                    time.sleep(0.01)
        finally:
            self._shutdown()

    def _step(self, poller: zmq.Poller, next_status: float) -> float:
        backlog = bool(self.outbox.data or self.outbox.replies)  # left by a bounded flush: no waiting
        events = dict(poller.poll(timeout=0 if backlog else HEARTBEAT_S * 1000 / 2))
        if self.control in events:
            for _ in range(64):  # then let the outbox through
                try:
                    parts = self.control.recv_multipart(zmq.NOBLOCK, copy=True)
                except zmq.Again:
                    break
                self._handle(parts)
        self.outbox.silence()
        self._flush()
        now = time.monotonic()
        if now >= next_status:
            self._publish_status()
            self._expire(now)
            next_status = now + HEARTBEAT_S
        return next_status

    def _shutdown(self) -> None:
        for w in self.workers.values():
            w.stop()
        self.workers.clear()
        self.runners.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.control.close(0)
        self.pub.close(0)
        if self._auth is not None:
            self._auth.stop()
        self.outbox.close()

    def _flush(self) -> None:
        """Send what is waiting now, no more: workers publish while we send, and a loop that drained
        until empty would never get back to the control socket under load."""
        for _ in range(len(self.outbox.replies)):
            self.control.send_multipart(self.outbox.replies.popleft(), zmq.NOBLOCK)
        for _ in range(len(self.outbox.data)):
            try:
                self.pub.send_multipart(self.outbox.data.popleft(), zmq.NOBLOCK, copy=False)
            except zmq.Again:
                pass

    def _publish_status(self) -> None:
        sessions = [w.session.status() for w in list(self.workers.values())]
        self.pub.send_multipart(wire.encode_status(time.time(), sessions), zmq.NOBLOCK)

    def _expire(self, now: float) -> None:
        limit = self.options.idle_timeout_s
        if limit:
            for sid, w in list(self.workers.items()):
                if now - w.touched > limit:
                    log.info("closing session %s: no request for %.0f s", sid, limit)
                    self._close(sid)

    # -- requests --------------------------------------------------------------------------

    def _handle(self, parts: list[bytes]) -> None:
        identity, body = parts[0], parts[1:]
        req = None
        try:
            req = wire.decode_request(body)
            handler = getattr(self, f"_op_{req.op}")
            result = handler(req, identity)
            if result is not None:
                self.outbox.reply(identity, wire.encode_reply(req.id, **result))
        except Exception as exc:
            self._fail(identity, req.id if req else getattr(exc, "request_id", None), exc)

    def _fail(self, identity: bytes, request_id, exc: BaseException) -> None:
        code = error_code(exc)
        if code == "internal":
            log.exception("internal error serving a request", exc_info=exc)
        message = exc.message if isinstance(exc, wire.ProtocolError) else str(exc) or type(exc).__name__
        self.outbox.reply(identity, wire.encode_error(request_id, code, message))

    def _worker(self, req: wire.Request) -> Slot:
        w = self.workers.get(req.args["session"])
        if w is None:
            raise wire.ProtocolError(
                "unknown_session", f"no session {req.args['session']!r}; open it first", req.id
            )
        w.touched = time.monotonic()
        return w

    def _op_ping(self, req, identity) -> dict:
        return {"protocol": wire.PROTOCOL_VERSION, "time": time.time()}

    def _op_open(self, req, identity) -> dict:
        a = req.args
        sid = a.get("session") or f"s-{secrets.token_hex(4)}"
        if sid in self.workers:
            raise wire.ProtocolError("bad_argument", f"session {sid!r} is already open", req.id)
        if len(self.workers) >= self.options.max_sessions:
            raise SessionBusy(
                f"{len(self.workers)} sessions are open, the limit is {self.options.max_sessions}"
            )
        extra = dict(a.get("controls", {}))
        opts = SessionOptions(
            size=a.get("size", extra.pop("size", 512)),
            fps=float(a.get("fps", extra.pop("fps", 25.0))),
            pose_only=a.get("pose_only", False),
            background=extra.pop("background", "keep"),
            cache_dir=self.options.cache_dir,
            pose_tick_s=self.options.pose_step_s,
            render_threads=self.options.render_threads,
            # the voice gate costs ~37 ms of CPU per second of speech: nothing beside rendering, but
            # most of a pose-only session's cost (it would cut the 100 pose-only sessions two cores
            # hold to about 40), so those run without it unless they ask
            voice_gate=a.get("voice_gate", not a.get("pose_only", False)),
        )
        controls = controls_from_map(Controls(), extra)
        worker = self.runners.add(Session(sid, opts, controls), self.outbox, a.get("format", "RGBA"))
        self.workers[sid] = worker
        self._publish_status()
        return {
            "session": sid,
            "pose_only": opts.pose_only,
            "size": opts.size,
            "fps": opts.fps,
            "format": worker.fmt,
            "voice_gate": opts.voice_gate,
        }

    def _op_close(self, req, identity) -> dict:
        self._worker(req)
        self._close(req.args["session"])
        self._publish_status()
        return {"session": req.args["session"]}

    def _close(self, sid: str) -> None:
        w = self.workers.pop(sid, None)
        if w is not None:
            w.stop()

    def _op_status(self, req, identity) -> dict:
        if "session" in req.args:
            return {"sessions": [self._worker(req).session.status()]}
        return {"sessions": [w.session.status() for w in self.workers.values()]}

    def _op_push_audio(self, req, identity) -> dict:
        # Here, not on the session's thread: the reply (with pts) must not wait for a render.
        w = self._worker(req)
        samples, channels = wire.decode_samples(req)
        pts, dur = w.session.enqueue_audio(samples, req.args["sample_rate"], channels)
        w.kick()  # play it now, not at the worker's next idle step
        return {
            "session": w.session.id,
            "pts": pts,
            "duration_s": dur,
            "queued_audio_s": w.session.queued_seconds,
        }

    def _op_play_file(self, req, identity) -> None:
        w = self._worker(req)

        def job() -> None:  # decoding a file is slow: off the loop and off the session's thread
            try:
                pts, dur = w.session.enqueue_file(req.args["path"])
                w.kick()
                reply = {"session": w.session.id, "pts": pts, "duration_s": dur}
                self.outbox.reply(
                    identity, wire.encode_reply(req.id, **reply, queued_audio_s=w.session.queued_seconds)
                )
            except Exception as exc:
                self._fail(identity, req.id, exc)

        self.pool.submit(job)

    def _op_load_avatar(self, req, identity) -> None:
        w = self._worker(req)
        s = w.session
        if s.options.pose_only:
            raise wire.ProtocolError(
                "bad_argument", f"session {s.id!r} is pose-only: it draws no avatar", req.id
            )
        if s.loading:
            raise SessionBusy(f"session {s.id!r} is still loading an avatar; wait for that reply")
        source = req.args.get("path") or req.payload
        s.loading = True

        def job() -> None:
            try:
                generator = load_generator(
                    source, s.options.size, s.options.cache_dir, s.options.render_threads
                )
            except Exception as exc:
                s.error, s.loading = (error_code(exc), str(exc)), False
                self._fail(identity, req.id, exc)
                return
            s.set_generator(generator)
            s.avatar_source, s.error, s.loading = source, None, False  # before the reply: no race
            self.outbox.reply(identity, wire.encode_reply(req.id, session=s.id, size=s.options.size))

        self.pool.submit(job)

    def _resize(self, w: Slot, size: int) -> None:
        """A new output size needs the avatar prepared again (off the loop); pose goes on meanwhile."""
        s = w.session
        s.options = replace(s.options, size=size)
        if s.avatar_source is None:
            return
        s.loading = True

        def job() -> None:
            try:
                s.set_generator(
                    load_generator(s.avatar_source, size, s.options.cache_dir, s.options.render_threads)
                )
            except Exception as exc:
                s.error = (error_code(exc), f"resizing to {size}: {exc}")
            finally:
                s.loading = False

        self.pool.submit(job)

    def _op_set(self, req, identity) -> dict:
        w = self._worker(req)
        s = w.session
        changes = dict(req.args["controls"])
        fps, size, background = (
            changes.pop("fps", None),
            changes.pop("size", None),
            changes.pop("background", None),
        )
        if size is not None and size != s.options.size and s.loading:
            raise SessionBusy(f"session {s.id!r} is still loading an avatar; set the size afterwards")
        controls = controls_from_map(s.controls, changes)  # validates all before changing anything
        s.set_controls(controls)
        if fps is not None:
            w.submit(lambda: w.publish(s.set_fps(fps)))
        if background is not None:
            w.submit(lambda: s.set_background(background))
        if size is not None and size != s.options.size:
            self._resize(w, size)
        full = {**controls.to_dict(), "gaze": list(controls.gaze) if controls.gaze else None}
        return {
            "session": s.id,
            "controls": {
                **full,
                "fps": fps or s.options.fps,
                "background": background or s.options.background,
                "size": s.options.size,
            },
        }


def controls_from_map(current: Controls, changes: dict) -> Controls:
    """Apply a protocol `controls` map to a Controls record; range errors become ValueError."""
    if "gaze" in changes and changes["gaze"] is not None:
        changes["gaze"] = tuple(float(x) for x in changes["gaze"])
    for name in ("emotion_intensity", "distance", "intensity"):
        if name in changes:
            changes[name] = float(changes[name])
    return current.updated(**changes)
