"""VTube Studio plugin API client: drives a Live2D model's face from FaceMotion.

Protocol (DenchiSoft/VTubeStudio README): JSON over a WebSocket (default ws://localhost:8001).
A plugin asks once for a token (VTube Studio shows the user an Allow/Deny popup), stores it, and
authenticates each session with it. Parameters are set with InjectParameterDataRequest, which must
be repeated at least once a second or VTube Studio hands the parameter back to its own tracking.

The client runs one worker thread that owns the socket: send() only hands over the newest frame, so
the live loop never waits on VTube Studio. The worker re-sends the last values when idle, and
reconnects (re-authenticating with the stored token) when VTube Studio goes away.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import threading
import time
from pathlib import Path

from ..runtime.errors import FacecastError
from ..runtime.facemotion import FaceMotion
from .vts_parameters import (  # noqa: F401 (DEFAULT_URL is this module's API too)
    DEFAULT_URL,
    VTSOptions,
    custom_parameter_specs,
    parameter_values,
)

log = logging.getLogger("facecast")

API_NAME = "VTubeStudioPublicAPI"
API_VERSION = "1.0"

# VTube Studio error IDs we act on (Files/ErrorID.cs).
ERR_REQUIRES_AUTH = 8
ERR_TOKEN_DENIED = 50
ERR_PARAM_NOT_FOUND = 453
ERR_PARAM_OTHER_PLUGIN = 454
MAX_IN_FLIGHT = 4  # injections sent before waiting for VTube Studio's replies


class VTubeStudioError(FacecastError):
    """VTube Studio could not be reached or refused facecast; the message says what to do."""


class VTubeStudioDenied(VTubeStudioError):
    """The user clicked Deny (or revoked facecast) in VTube Studio."""


class APIError(Exception):
    def __init__(self, error_id: int, message: str) -> None:
        super().__init__(f"VTube Studio API error {error_id}: {message}")
        self.error_id = error_id


# --- token storage ---------------------------------------------------------------------------------


class TokenStore:
    """The plugin token in a small JSON file; written only when VTube Studio grants a new one."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def load(self, options: VTSOptions) -> str | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("VTube Studio: ignoring unreadable token file %s (%s)", self.path, exc)
            return None
        if (
            data.get("pluginName") != options.plugin_name
            or data.get("pluginDeveloper") != options.plugin_developer
        ):
            return None  # a token is tied to the plugin name and developer it was issued to
        token = data.get("authenticationToken")
        return token if isinstance(token, str) and token else None

    def save(self, token: str, options: VTSOptions) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        body = {
            "pluginName": options.plugin_name,
            "pluginDeveloper": options.plugin_developer,
            "url": options.url,
            "authenticationToken": token,
        }
        tmp.write_text(json.dumps(body, indent=2) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        log.info("VTube Studio: token saved to %s", self.path)


# --- the session: one WebSocket connection ----------------------------------------------------------


def _body(reply: dict) -> dict:
    body = reply.get("data") or {}
    if reply.get("messageType") == "APIError":
        raise APIError(int(body.get("errorID", -1)), str(body.get("message", "")))
    return body


class _Session:
    def __init__(self, options: VTSOptions) -> None:
        try:
            from websockets.sync.client import connect
        except ImportError:
            raise VTubeStudioError(
                "VTube Studio output needs the websockets package: pip install 'facecast[live]'"
            ) from None

        self.options = options
        self._n = 0
        # websockets >= 17 wants connect() as a context manager unless told we close it ourselves.
        legacy = {"legacy": True} if "legacy" in inspect.signature(connect).parameters else {}
        try:
            self.ws = connect(options.url, open_timeout=options.connect_timeout, max_size=2**22, **legacy)
        except (OSError, TimeoutError) as exc:
            raise VTubeStudioError(
                f"cannot connect to VTube Studio at {options.url} ({exc}). Is VTube Studio running? "
                "Turn on 'Start API (allow plugins)' in its Settings and check the port (default 8001)."
            ) from None
        except Exception as exc:  # bad URL, not a WebSocket server, handshake refused
            raise VTubeStudioError(
                f"cannot open a VTube Studio API connection at {options.url}: {exc}"
            ) from None

    def post(self, message_type: str, data: dict | None = None) -> str:
        """Send a request without waiting; returns its request ID."""
        self._n += 1
        request_id = f"facecast-{self._n}"
        msg = {
            "apiName": API_NAME,
            "apiVersion": API_VERSION,
            "requestID": request_id,
            "messageType": message_type,
        }
        if data is not None:
            msg["data"] = data
        self.ws.send(json.dumps(msg))
        return request_id

    def poll(self, timeout: float) -> dict | None:
        """The next message from VTube Studio, or None if none came within `timeout` (0: don't wait)."""
        try:
            return json.loads(self.ws.recv(timeout=timeout))
        except TimeoutError:
            return None

    def request(self, message_type: str, data: dict | None = None, timeout: float | None = None) -> dict:
        """Send a request and wait for its reply's data; APIError if VTube Studio refused it."""
        request_id = self.post(message_type, data)
        deadline = time.monotonic() + (timeout or self.options.request_timeout)
        while True:
            left = deadline - time.monotonic()
            reply = self.poll(left) if left > 0 else None
            if reply is None:
                raise TimeoutError(f"VTube Studio did not answer {message_type} in time")
            if reply.get("requestID") == request_id:  # else an event or a stale reply: not ours
                return _body(reply)

    def close(self) -> None:
        self.ws.close()


class VTubeStudioClient:
    """A pose sink for VTube Studio. connect() once (raises a clear VTubeStudioError), then send()."""

    def __init__(self, options: VTSOptions | None = None) -> None:
        self.options = options or VTSOptions()
        self.tokens = TokenStore(self.options.token_file)
        self._session: _Session | None = None
        self._lock = threading.Lock()
        self._new = threading.Event()
        self._stop = threading.Event()
        self._latest = FaceMotion()
        self._thread: threading.Thread | None = None
        self.fatal: VTubeStudioError | None = None
        self.injections = 0
        self.reconnects = 0
        self._warned_other = False
        self._known: set[str] | None = None  # parameters VTube Studio has (None: unknown)

    # -- setup ---------------------------------------------------------------------------------
    def connect(self) -> None:
        self._session = self._open_session()
        self._thread = threading.Thread(target=self._run, name="facecast-vtube-studio", daemon=True)
        self._thread.start()

    def _open_session(self) -> _Session:
        s = _Session(self.options)
        try:
            state = s.request("APIStateRequest")
            if not state.get("active", True):
                raise VTubeStudioError(
                    "VTube Studio's plugin API is switched off: turn on 'Start API' in Settings"
                )
            if not state.get("currentSessionAuthenticated"):
                self._authenticate(s)
            if self.options.custom_parameters:
                self._create_parameters(s)
            self._known = self._list_parameters(s)
        except (VTubeStudioError, APIError, TimeoutError, OSError) as exc:
            s.close()
            if isinstance(exc, VTubeStudioError):
                raise
            raise VTubeStudioError(f"VTube Studio setup failed: {exc}") from None
        except Exception as exc:  # connection closed during setup
            s.close()
            raise VTubeStudioError(f"VTube Studio closed the connection during setup: {exc}") from None
        log.info("VTube Studio: connected to %s and authenticated", self.options.url)
        return s

    def _authenticate(self, s: _Session) -> None:
        o = self.options
        token = self.tokens.load(o)
        if token is not None and self._auth_with(s, token):
            return
        if token is not None:
            log.info("VTube Studio: the stored token was not accepted; asking for a new one")
        log.info("VTube Studio: asking for access - click 'Allow' in VTube Studio's popup")
        try:
            reply = s.request(
                "AuthenticationTokenRequest",
                {"pluginName": o.plugin_name, "pluginDeveloper": o.plugin_developer},
                timeout=o.token_timeout,
            )
        except APIError as exc:
            if exc.error_id == ERR_TOKEN_DENIED:
                raise VTubeStudioDenied(
                    "VTube Studio denied access to facecast (the plugin popup was answered 'Deny', or "
                    "facecast was revoked). Run again and click 'Allow'; revoked plugins are listed under "
                    "Settings > Plugins in VTube Studio."
                ) from None
            raise
        except TimeoutError:
            raise VTubeStudioError(
                f"nobody answered VTube Studio's plugin popup within {o.token_timeout:.0f} s: "
                "run again and click 'Allow' in VTube Studio"
            ) from None
        token = reply.get("authenticationToken")
        if not token:
            raise VTubeStudioError("VTube Studio granted access but sent no token")
        self.tokens.save(token, o)
        if not self._auth_with(s, token):
            raise VTubeStudioError("VTube Studio rejected the token it has just issued; try again")

    def _auth_with(self, s: _Session, token: str) -> bool:
        o = self.options
        reply = s.request(
            "AuthenticationRequest",
            {
                "pluginName": o.plugin_name,
                "pluginDeveloper": o.plugin_developer,
                "authenticationToken": token,
            },
        )
        return bool(reply.get("authenticated"))

    def _create_parameters(self, s: _Session) -> None:
        for spec in custom_parameter_specs():
            try:
                s.request("ParameterCreationRequest", spec)
            except APIError as exc:  # e.g. the name is taken by another plugin: use the rest
                log.warning("VTube Studio: cannot create parameter %s: %s", spec["parameterName"], exc)

    def _list_parameters(self, s: _Session) -> set[str] | None:
        """The input parameters this VTube Studio has: injecting an unknown one fails the whole
        request, so facecast sends only these (older versions lack some defaults, another plugin
        may own a name). None if it cannot tell."""
        try:
            reply = s.request("InputParameterListRequest")
        except APIError as exc:
            log.warning("VTube Studio: cannot list its parameters (%s); sending them all", exc)
            return None
        known = {
            p.get("name") for key in ("defaultParameters", "customParameters") for p in reply.get(key, [])
        }
        missing = [p["id"] for p in parameter_values(FaceMotion(), self.options) if p["id"] not in known]
        if missing:
            log.warning(
                "VTube Studio: these parameters are not available, not sending them: %s", ", ".join(missing)
            )
        return known

    # -- the sink ------------------------------------------------------------------------------
    def send(self, motion: FaceMotion) -> None:
        if self.fatal is not None:
            raise self.fatal
        with self._lock:
            self._latest = motion
        self._new.set()

    def close(self) -> None:
        self._stop.set()
        self._new.set()
        session = self._session
        if session is not None:
            session.close()  # also wakes the worker if it waits on a reply
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        self._session = None

    # -- the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        o = self.options
        delay = 0.25
        min_interval = 1.0 / o.max_rate
        last = 0.0
        pending: dict[str, float] = {}  # injections sent and not yet answered: request ID -> time
        while not self._stop.is_set():
            if self._session is None:
                pending.clear()
                try:
                    self._session = self._open_session()
                    self.reconnects += 1
                    delay = 0.25
                except VTubeStudioDenied as exc:
                    self.fatal = exc
                    log.error("%s", exc)
                    return
                except VTubeStudioError as exc:
                    log.warning("VTube Studio: reconnect failed (%s); retrying in %.1f s", exc, delay)
                    self._stop.wait(delay)
                    delay = min(o.reconnect_max_delay, delay * 2)
                    continue
            self._new.wait(max(0.0, o.keepalive - (time.monotonic() - last)))
            if self._stop.is_set():
                break
            wait = min_interval - (time.monotonic() - last)
            if wait > 0:
                self._stop.wait(wait)
            self._new.clear()
            with self._lock:
                motion = self._latest
            values = parameter_values(motion, o)
            if self._known is not None:
                values = [v for v in values if v["id"] in self._known]
            data = {"faceFound": True, "mode": "set", "parameterValues": values}
            try:
                pending[self._session.post("InjectParameterDataRequest", data)] = time.monotonic()
                self.injections += 1
                self._collect(pending)
            except APIError as exc:
                self._on_api_error(exc)
            except Exception as exc:  # connection closed or VTube Studio stopped answering: reconnect
                if not self._stop.is_set():
                    log.warning("VTube Studio: connection lost (%s); reconnecting", exc or type(exc).__name__)
                self._drop_session()
            last = time.monotonic()

    def _collect(self, pending: dict[str, float]) -> None:
        """Read the replies that have arrived. Injections are pipelined (VTube Studio answers from
        its render loop, so waiting for each reply would halve the rate); wait only when
        MAX_IN_FLIGHT are unanswered. Raises APIError for a refused injection."""
        assert self._session is not None
        while pending:
            oldest = min(pending.values())
            full = len(pending) >= MAX_IN_FLIGHT
            left = self.options.request_timeout - (time.monotonic() - oldest)
            reply = self._session.poll(max(0.0, left) if full else 0.0)
            if reply is None:
                if full or left <= 0:
                    raise TimeoutError("VTube Studio stopped answering")
                return
            if pending.pop(reply.get("requestID"), None) is not None:
                _body(reply)

    def _on_api_error(self, exc: APIError) -> None:
        if exc.error_id in (ERR_REQUIRES_AUTH, ERR_TOKEN_DENIED, ERR_PARAM_NOT_FOUND):
            log.warning("VTube Studio: %s; setting the session up again", exc)
            self._drop_session()
        elif exc.error_id == ERR_PARAM_OTHER_PLUGIN:
            if not self._warned_other:
                log.warning("VTube Studio: another plugin controls some parameters: %s", exc)
                self._warned_other = True
        else:
            log.warning("VTube Studio: %s", exc)

    def _drop_session(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            except Exception:  # already closed
                pass
            self._session = None
