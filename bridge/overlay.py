"""The browser overlay: a page for OBS Browser Source (transparent background) that shows a
session's newest frame, served over HTTP on loopback. Nothing to install on the OBS side.

The page long-polls `frame.png?session=ID&after=SEQ`: the request waits until a frame newer than
SEQ exists (or a second passes), so frames arrive as soon as they are made without busy polling,
and a slow browser simply skips frames. PNG keeps the alpha channel (straight alpha).
"""

from __future__ import annotations

import logging
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlparse

import numpy as np

log = logging.getLogger("facecast")

STATIC = {"/": ("overlay.html", "text/html; charset=utf-8"), "/overlay.js": ("overlay.js", "text/javascript")}
WAIT_S = 1.0  # how long a poll waits for a new frame before answering 204
FORGET_S = 60.0  # a session with no new frame for this long is forgotten (bounded memory)


class LatestFrames:
    """The newest frame of each session, PNG-encoded at most once, with a condition to wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frames: dict[str, tuple[int, np.ndarray]] = {}
        self._png: dict[str, tuple[int, bytes]] = {}
        self._seen: dict[str, float] = {}
        self._newest = ""

    def put(self, session: str, seq: int, rgba: np.ndarray) -> None:
        now = time.monotonic()
        with self._cond:
            self._frames[session] = (seq, rgba)
            self._seen[session] = now
            self._newest = session
            for old in [s for s, t in self._seen.items() if now - t > FORGET_S]:  # closed sessions
                self._frames.pop(old, None)
                self._png.pop(old, None)
                self._seen.pop(old, None)
            self._cond.notify_all()

    def wait_png(self, session: str, after: int, timeout: float) -> tuple[str, int, bytes] | None:
        """(session, seq, png) of a frame with seq > after, or None on timeout. An empty session
        means the most recently updated one."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                sid = session or self._newest
                seq, rgba = self._frames.get(sid, (-1, None))
                if rgba is not None and (seq > after or seq < after - 1000):  # a restarted session
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            cached = self._png.get(sid)
        if cached is not None and cached[0] == seq:
            return sid, seq, cached[1]
        import cv2

        ok, png = cv2.imencode(
            ".png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA), [cv2.IMWRITE_PNG_COMPRESSION, 1]
        )
        with self._cond:
            self._png[sid] = (seq, png.tobytes())
        return sid, seq, png.tobytes()


class _Handler(BaseHTTPRequestHandler):
    server_version = "facecast-overlay"
    frames: LatestFrames

    def log_message(self, fmt, *args) -> None:  # quiet: OBS polls many times a second
        log.debug("overlay: " + fmt, *args)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path in STATIC:
            name, ctype = STATIC[url.path]
            body = resources.files("facecast.bridge").joinpath("static", name).read_bytes()
            return self._send(HTTPStatus.OK, ctype, body)
        if url.path == "/frame.png":
            q = parse_qs(url.query)
            try:
                after = int(q.get("after", ["-1"])[0])
            except ValueError:
                return self._send(HTTPStatus.BAD_REQUEST, "text/plain", b"after must be an integer")
            got = self.frames.wait_png(q.get("session", [""])[0], after, WAIT_S)
            if got is None:
                return self._send(HTTPStatus.NO_CONTENT, "text/plain", b"")
            sid, seq, png = got
            return self._send(HTTPStatus.OK, "image/png", png, {"X-Seq": str(seq), "X-Session": sid})
        self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found: try / or /frame.png?session=ID")

    def _send(self, status, ctype: str, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser moved on


class OverlayServer:
    """HTTP on host:port (port 0 picks a free one). Feed it with publish() or follow() a service."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self.frames = LatestFrames()
        handler = type("Handler", (_Handler,), {"frames": self.frames})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/"
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def publish(self, session: str, seq: int, rgba: np.ndarray) -> None:
        self.frames.put(session, seq, rgba)

    def follow(self, data_endpoint: str, server_key: bytes | None = None) -> None:
        """Show the frames a `facecast serve` publishes (subscribes to all sessions' frames)."""
        import zmq

        from .client import Subscriber
        from .wire import Frame

        def run() -> None:
            sub = Subscriber(zmq.Context.instance(), data_endpoint, ("frame/",), 4, server_key)
            try:
                while not self._stop.is_set():
                    # recv, not latest: latest keeps one frame across all sessions, which would
                    # starve every session but the last to publish; recv skips only stale frames
                    msg = sub.recv(timeout=0.25)
                    if isinstance(msg, Frame):
                        h = msg.header
                        px = msg.pixels if h.format == "RGBA" else msg.pixels[..., [2, 1, 0, 3]]
                        self.frames.put(h.session, h.seq, np.ascontiguousarray(px))
            finally:
                sub.close()

        t = threading.Thread(target=run, name="facecast-overlay-sub", daemon=True)
        t.start()
        self._threads.append(t)

    def start(self) -> OverlayServer:
        t = threading.Thread(target=self.httpd.serve_forever, name="facecast-overlay", daemon=True)
        t.start()
        self._threads.append(t)
        log.info("overlay page on %s (OBS: Browser Source with this URL)", self.url)
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(2)
