"""VTube Studio client against a loopback WebSocket server that speaks the plugin API as its public
documentation (DenchiSoft/VTubeStudio README, Files/ErrorID.cs) describes it, and checks what
facecast sends: envelope fields, authentication flow, parameter names and ranges, keep-alive."""

from __future__ import annotations

import json
import math
import socket
import threading
import time
import uuid

import numpy as np
import pytest
from websockets.sync.server import serve

from facecast.bridge.vtube_studio import (
    VTSOptions,
    VTubeStudioClient,
    VTubeStudioDenied,
    VTubeStudioError,
    parameter_values,
)
from facecast.runtime.facemotion import FaceMotion, Gaze, HeadPose

# VTube Studio's default input parameters (a subset of its list) with their documented ranges.
DEFAULT_PARAMS = {
    "FacePositionX": (-10, 10),
    "FacePositionY": (-10, 10),
    "FacePositionZ": (-10, 10),
    "FaceAngleX": (-90, 90),
    "FaceAngleY": (-90, 90),
    "FaceAngleZ": (-90, 90),
    "MouthSmile": (0, 1),
    "MouthOpen": (0, 1),
    "Brows": (0, 1),
    "TongueOut": (0, 1),
    "EyeOpenLeft": (0, 1),
    "EyeOpenRight": (0, 1),
    "EyeLeftX": (-1, 1),
    "EyeLeftY": (-1, 1),
    "EyeRightX": (-1, 1),
    "EyeRightY": (-1, 1),
    "CheekPuff": (0, 1),
    "FaceAngry": (0, 1),
    "BrowLeftY": (0, 1),
    "BrowRightY": (0, 1),
    "MouthX": (-1, 1),
}


class FakeVTubeStudio:
    """The subset of the API facecast uses. Violations of the documented rules are recorded in
    `violations` (and answered with the API's error, as VTube Studio does)."""

    def __init__(
        self,
        deny: bool = False,
        drop_after_injections: int | None = None,
        inject_latency: float = 0.0,
        defaults: dict | None = None,
    ) -> None:
        self.deny = deny
        self.defaults = DEFAULT_PARAMS if defaults is None else defaults
        self.inject_latency = inject_latency  # VTube Studio answers from its render loop
        self.revoked = False
        self.drop_after = drop_after_injections
        self.valid_tokens: dict[str, tuple[str, str]] = {}
        self.custom: dict[str, dict] = {}
        self.log: list[tuple[int, float, dict]] = []  # (connection, time, message)
        self.violations: list[str] = []
        self.connections = 0
        self._server = serve(self._handle, "127.0.0.1", 0)
        self.port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()

    def revoke(self) -> None:
        """The user revokes facecast in VTube Studio's settings and will deny it again."""
        self.valid_tokens.clear()
        self.deny = True
        self.revoked = True

    def of(self, message_type: str, conn: int | None = None) -> list[dict]:
        return [m for c, _, m in self.log if m.get("messageType") == message_type and conn in (None, c)]

    def _handle(self, ws) -> None:
        conn = self.connections
        self.connections += 1
        authed = False
        injections = 0
        for raw in ws:
            msg = json.loads(raw)
            self.log.append((conn, time.monotonic(), msg))
            rid = msg.get("requestID")

            def reply(kind: str, data: dict, rid=rid) -> None:
                ws.send(
                    json.dumps(
                        {
                            "apiName": "VTubeStudioPublicAPI",
                            "apiVersion": "1.0",
                            "timestamp": int(time.time() * 1000),
                            "requestID": rid,
                            "messageType": kind,
                            "data": data,
                        }
                    )
                )

            def error(error_id: int, text: str) -> None:
                reply("APIError", {"errorID": error_id, "message": text})

            if msg.get("apiName") != "VTubeStudioPublicAPI":
                self.violations.append(f"apiName {msg.get('apiName')!r}")
                error(3, "API name invalid")
                continue
            if msg.get("apiVersion") != "1.0":
                self.violations.append(f"apiVersion {msg.get('apiVersion')!r}")
                error(4, "API version invalid")
                continue
            if not (isinstance(rid, str) and 1 <= len(rid) <= 64 and rid.isascii()):
                self.violations.append(f"requestID {rid!r}")
                error(5, "request ID invalid")
                continue
            kind = msg.get("messageType")
            data = msg.get("data") or {}
            if kind == "APIStateRequest":
                reply(
                    "APIStateResponse",
                    {"active": True, "vTubeStudioVersion": "1.28.15", "currentSessionAuthenticated": authed},
                )
            elif kind == "AuthenticationTokenRequest":
                name, dev = data.get("pluginName", ""), data.get("pluginDeveloper", "")
                if not 3 <= len(name) <= 32 or not 3 <= len(dev) <= 32:
                    self.violations.append(f"plugin name/developer {name!r}/{dev!r}")
                    error(52, "plugin name invalid")
                elif self.deny:
                    error(50, "User has denied API access for your plugin.")
                else:
                    token = uuid.uuid4().hex
                    self.valid_tokens[token] = (name, dev)
                    reply("AuthenticationTokenResponse", {"authenticationToken": token})
            elif kind == "AuthenticationRequest":
                token = data.get("authenticationToken")
                if not token:
                    error(100, "token missing")
                    continue
                owner = (data.get("pluginName"), data.get("pluginDeveloper"))
                authed = self.valid_tokens.get(token) == owner
                reply("AuthenticationResponse", {"authenticated": authed, "reason": "checked"})
            elif not authed:
                error(8, "This request requires authentication.")
            elif self.revoked:
                error(50, "User has denied API access for your plugin.")
            elif kind == "ParameterCreationRequest":
                name = data.get("parameterName", "")
                ok_values = all(
                    isinstance(data.get(k), int | float) and -1e6 <= data[k] <= 1e6
                    for k in ("min", "max", "defaultValue")
                )
                if not (name.isalnum() and 4 <= len(name) <= 32) or name in self.defaults:
                    self.violations.append(f"parameter name {name!r}")
                    error(350, "custom parameter name invalid")
                elif not ok_values or len(data.get("explanation", "")) >= 256:
                    self.violations.append(f"parameter spec {data!r}")
                    error(351, "custom parameter values invalid")
                else:
                    self.custom[name] = data
                    reply("ParameterCreationResponse", {"parameterName": name})
            elif kind == "InputParameterListRequest":
                entry = {"addedBy": "VTube Studio", "value": 0, "defaultValue": 0}
                reply(
                    "InputParameterListResponse",
                    {
                        "modelLoaded": True,
                        "customParameters": [
                            {**entry, "name": n, "addedBy": "facecast", "min": c["min"], "max": c["max"]}
                            for n, c in self.custom.items()
                        ],
                        "defaultParameters": [
                            {**entry, "name": n, "min": lo, "max": hi}
                            for n, (lo, hi) in self.defaults.items()
                        ],
                    },
                )
            elif kind == "InjectParameterDataRequest":
                values = data.get("parameterValues") or []
                bad = [
                    v.get("id")
                    for v in values
                    if v.get("id") not in self.defaults and v.get("id") not in self.custom
                ]
                if not values:
                    error(450, "no data")
                elif bad:
                    self.violations.append(f"unknown parameters {bad}")
                    error(453, f"parameter {bad[0]} not found")
                elif any(
                    not (isinstance(v.get("value"), int | float) and abs(v["value"]) <= 1e6) for v in values
                ):
                    self.violations.append("value out of range")
                    error(451, "value invalid")
                else:
                    injections += 1
                    if self.inject_latency:
                        threading.Timer(
                            self.inject_latency, _send_quietly, (reply, "InjectParameterDataResponse", {})
                        ).start()
                    else:
                        reply("InjectParameterDataResponse", {})
                    if self.drop_after is not None and injections >= self.drop_after:
                        self.drop_after = None  # only once: VTube Studio restarted
                        ws.close()
                        return
            else:
                error(7, f"request type {kind} unknown")


def _send_quietly(reply, *args) -> None:
    try:
        reply(*args)
    except Exception:  # the client has gone meanwhile
        pass


@pytest.fixture()
def fake():
    server = FakeVTubeStudio()
    yield server
    server.close()


def options(server: FakeVTubeStudio, tmp_path, **kw) -> VTSOptions:
    return VTSOptions(url=server.url, token_file=tmp_path / "token.json", **kw)


def talking(t: float, yaw: float = 0.0) -> FaceMotion:
    m = FaceMotion(t=t, head=HeadPose(yaw=yaw, pitch=-5.0, roll=3.0), gaze=Gaze(10.0, 4.0, 10.0, 4.0))
    m.set("jawOpen", 0.3)
    m.set("mouthClose", 0.05)
    m.set("eyeBlinkLeft", 1.0)
    m.set("mouthSmileLeft", 0.8)
    m.set("mouthSmileRight", 0.8)
    return m


def wait_for(pred, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_token_is_requested_saved_and_reused(fake, tmp_path):
    client = VTubeStudioClient(options(fake, tmp_path))
    client.connect()
    client.send(talking(0.0))
    assert wait_for(lambda: len(fake.of("InjectParameterDataRequest")) >= 2)
    client.close()

    token_file = tmp_path / "token.json"
    saved = json.loads(token_file.read_text())
    assert saved["authenticationToken"] in fake.valid_tokens
    first_kinds = [m["messageType"] for c, _, m in fake.log if c == 0]
    assert first_kinds[:3] == ["APIStateRequest", "AuthenticationTokenRequest", "AuthenticationRequest"]
    assert (
        fake.of("AuthenticationRequest", 0)[0]["data"]["authenticationToken"] == saved["authenticationToken"]
    )
    assert len(fake.custom) > 0 and all(n.startswith("Facecast") for n in fake.custom)

    before = token_file.read_bytes(), token_file.stat().st_mtime_ns
    client = VTubeStudioClient(options(fake, tmp_path))
    client.connect()
    assert wait_for(lambda: len(fake.of("InjectParameterDataRequest", 1)) >= 1)
    client.close()
    assert fake.of("AuthenticationTokenRequest", 1) == []  # no second popup for the user
    assert (
        fake.of("AuthenticationRequest", 1)[0]["data"]["authenticationToken"] == saved["authenticationToken"]
    )
    assert (token_file.read_bytes(), token_file.stat().st_mtime_ns) == before  # not rewritten
    assert fake.violations == []


def test_every_request_has_a_valid_envelope(fake, tmp_path):
    client = VTubeStudioClient(options(fake, tmp_path))
    client.connect()
    for i in range(5):
        client.send(talking(i / 60))
        time.sleep(0.02)
    client.close()
    ids = [m["requestID"] for _, _, m in fake.log]
    assert len(ids) == len(set(ids)), "request IDs should identify each request"
    assert fake.violations == []


def test_stale_token_is_replaced(fake, tmp_path):
    token_file = tmp_path / "token.json"
    token_file.write_text(
        json.dumps(
            {
                "pluginName": "facecast",
                "pluginDeveloper": "facecast project",
                "authenticationToken": "revoked",
            }
        )
    )
    client = VTubeStudioClient(options(fake, tmp_path))
    client.connect()
    client.close()
    kinds = [m["messageType"] for _, _, m in fake.log]
    assert kinds[:4] == [
        "APIStateRequest",
        "AuthenticationRequest",
        "AuthenticationTokenRequest",
        "AuthenticationRequest",
    ]
    assert json.loads(token_file.read_text())["authenticationToken"] in fake.valid_tokens


def test_denied_plugin_gives_a_clear_error_and_saves_nothing(tmp_path):
    server = FakeVTubeStudio(deny=True)
    try:
        client = VTubeStudioClient(options(server, tmp_path))
        with pytest.raises(VTubeStudioDenied, match="denied.*Allow"):
            client.connect()
        assert not (tmp_path / "token.json").exists()
    finally:
        server.close()


def test_vtube_studio_not_running_says_what_to_do(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = VTubeStudioClient(VTSOptions(url=f"ws://127.0.0.1:{port}", token_file=tmp_path / "t.json"))
    with pytest.raises(VTubeStudioError, match="Is VTube Studio running.*Start API"):
        client.connect()


def test_injected_values_follow_the_face(fake, tmp_path):
    client = VTubeStudioClient(options(fake, tmp_path))
    client.connect()
    client.send(talking(0.0, yaw=20.0))
    assert wait_for(
        lambda: any(_value(m, "FaceAngleX") == 20.0 for m in fake.of("InjectParameterDataRequest"))
    )
    client.close()
    inject = [m for m in fake.of("InjectParameterDataRequest") if _value(m, "FaceAngleX") == 20.0][0]
    v = {p["id"]: p["value"] for p in inject["data"]["parameterValues"]}
    assert inject["data"]["faceFound"] is True
    assert v["MouthOpen"] == pytest.approx(2.0 * (0.3 - 0.05), abs=1e-3)  # lip gap, Live2D scale
    assert v["EyeOpenLeft"] == pytest.approx(0.0, abs=1e-3) and v["EyeOpenRight"] == pytest.approx(
        1.0, abs=1e-3
    )
    assert v["MouthSmile"] > 0.8  # 0.5 is neutral
    assert v["FaceAngleY"] == pytest.approx(-5.0) and v["FaceAngleZ"] == pytest.approx(3.0)
    assert v["EyeLeftX"] > 0 and v["EyeLeftY"] > 0  # looking to the screen's right and up
    for pid, value in v.items():
        lo, hi = (
            DEFAULT_PARAMS[pid]
            if pid in DEFAULT_PARAMS
            else (fake.custom[pid]["min"], fake.custom[pid]["max"])
        )
        assert lo <= value <= hi, (pid, value)
    assert v["FacecastJawOpen"] == pytest.approx(0.3, abs=1e-3)  # custom ARKit parameters stay raw
    assert fake.violations == []


def test_values_stay_in_range_for_extreme_motion():
    m = FaceMotion(head=HeadPose(yaw=170, pitch=-120, roll=95), gaze=Gaze(80, -70, -80, 70))
    m.blendshapes[:] = np.linspace(-0.5, 1.5, m.blendshapes.size)
    for p in parameter_values(m):
        lo, hi = DEFAULT_PARAMS.get(p["id"], (0, 1))
        assert lo <= p["value"] <= hi and math.isfinite(p["value"]), p


def test_idle_face_is_refreshed_at_least_once_a_second(fake, tmp_path):
    client = VTubeStudioClient(options(fake, tmp_path))
    client.connect()
    client.send(talking(0.0))
    time.sleep(0.3)
    start = time.monotonic()
    time.sleep(2.5)  # nothing sent by the caller
    client.close()
    times = [t for c, t, m in fake.log if m["messageType"] == "InjectParameterDataRequest" and t >= start]
    assert len(times) >= 3
    gaps = np.diff([start, *times])
    assert gaps.max() < 1.0


def test_reconnects_after_vtube_studio_restarts(tmp_path):
    server = FakeVTubeStudio(drop_after_injections=3)
    try:
        client = VTubeStudioClient(options(server, tmp_path))
        client.connect()
        end = time.monotonic() + 5
        while time.monotonic() < end and not server.of("InjectParameterDataRequest", 1):
            client.send(talking(0.0))
            time.sleep(0.02)
        client.close()
        assert server.connections >= 2
        assert server.of("InjectParameterDataRequest", 1), "no injections after reconnecting"
        assert server.of("AuthenticationTokenRequest", 1) == []  # the stored token is reused
        assert client.reconnects >= 1
    finally:
        server.close()


def _value(message: dict, pid: str) -> float | None:
    for p in message["data"]["parameterValues"]:
        if p["id"] == pid:
            return p["value"]
    return None


def test_revoked_plugin_stops_with_a_clear_error(fake, tmp_path):
    client = VTubeStudioClient(options(fake, tmp_path))
    client.connect()
    client.send(talking(0.0))
    assert wait_for(lambda: len(fake.of("InjectParameterDataRequest")) >= 1)
    fake.revoke()
    assert wait_for(lambda: client.fatal is not None)
    with pytest.raises(VTubeStudioDenied, match="Allow"):
        client.send(talking(0.1))
    client.close()
    assert fake.of("AuthenticationTokenRequest", 1), "facecast should ask again once before giving up"


def test_injections_are_pipelined_when_vtube_studio_answers_slowly(tmp_path):
    server = FakeVTubeStudio(inject_latency=0.05)  # 50 ms per answer: 20/s if we waited for each
    try:
        client = VTubeStudioClient(options(server, tmp_path))
        client.connect()
        start = time.monotonic()
        while time.monotonic() - start < 1.6:
            client.send(talking(time.monotonic() - start))
            time.sleep(1 / 60)
        client.close()
        times = [t for _, t, m in server.log if m["messageType"] == "InjectParameterDataRequest"]
        last_second = [t for t in times if t > times[-1] - 1.0]
        assert len(last_second) >= 30, (
            f"{len(last_second)} injections/s with 50 ms answers (20 if not pipelined)"
        )
        assert server.violations == []
    finally:
        server.close()


def test_parameters_this_vtube_studio_lacks_are_not_sent(tmp_path):
    older = {k: v for k, v in DEFAULT_PARAMS.items() if k not in ("Brows", "TongueOut")}
    server = FakeVTubeStudio(defaults=older)
    try:
        client = VTubeStudioClient(options(server, tmp_path))
        client.connect()
        client.send(talking(0.0))
        assert wait_for(lambda: len(server.of("InjectParameterDataRequest")) >= 3)
        client.close()
        assert server.violations == []  # every injection was accepted
        assert server.connections == 1  # no reconnect loop
        sent = {
            p["id"] for m in server.of("InjectParameterDataRequest") for p in m["data"]["parameterValues"]
        }
        assert "Brows" not in sent and "MouthOpen" in sent
    finally:
        server.close()
