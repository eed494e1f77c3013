"""A real `facecast serve` on loopback: every kind of bad input gets its error code, and the service
keeps serving; CurveZMQ; clients that vanish. (Sessions that make frames: test_server_sessions.py.)"""

from __future__ import annotations

import time

import numpy as np
import pytest
import zmq

from facecast.bridge import wire
from facecast.bridge.client import Client, RemoteError, ServerTimeout
from facecast.bridge.server import Server, ServerOptions, is_loopback
from facecast.runtime.errors import ConfigError

ANY_PORT = "tcp://127.0.0.1:*"


@pytest.fixture()
def server_options() -> dict:
    """A low session limit for the tests of the limit (`server` and `client` are in conftest.py)."""
    return {"max_sessions": 3}


@pytest.fixture()
def client_timeout() -> float:
    return 5.0


def _raw(server, *parts: bytes, timeout=3.0) -> wire.Reply:
    """Send raw parts from a fresh DEALER and decode the one reply."""
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(server.control_endpoint)
    try:
        s.send_multipart(list(parts))
        assert s.poll(int(timeout * 1000)), "the server did not answer"
        return wire.decode_reply(s.recv())
    finally:
        s.close()


def test_ping(client):
    reply = client.ping()
    assert reply["protocol"] == 1 and abs(reply["time"] - time.time()) < 5


@pytest.mark.parametrize(
    "parts, code",
    [
        ([b"\xc1\xc1"], "malformed"),
        ([wire.pack("just a string")], "malformed"),
        ([wire.pack({"v": 9, "id": 1, "op": "ping"})], "unsupported_version"),
        ([wire.pack({"v": 1, "id": 2, "op": "fly"})], "unknown_op"),
        ([wire.pack({"v": 1, "id": 3, "op": "close", "session": "ghost"})], "unknown_session"),
        ([wire.pack({"v": 1, "id": 4, "op": "open", "fps": "fast"})], "bad_argument"),
        ([wire.pack({"v": 1, "id": 5, "op": "open", "controls": {"emotion": "smug"}})], "bad_argument"),
        ([wire.pack({"v": 1, "id": 6, "op": "ping", "pad": "x" * 100_000})], "too_large"),
        ([wire.pack({"v": 1, "id": 7, "op": "ping"}), b"", b""], "malformed"),
    ],
)
def test_bad_requests_get_error_replies_and_the_service_keeps_serving(server, client, parts, code):
    reply = _raw(server, *parts)
    assert not reply.ok and reply.code == code and reply.message
    assert client.ping()["protocol"] == 1


def test_oversized_payload_gets_too_large(server, client):
    sid = client.open(pose_only=True)
    big = np.zeros(wire.MAX_PAYLOAD_BYTES // 2 + 8, np.int16)
    with pytest.raises(RemoteError) as e:
        client.push_audio(sid, big, 16000)
    assert e.value.code == "too_large"
    assert client.status(sid)[0]["session"] == sid


def test_unknown_session_names_the_session(client):
    with pytest.raises(RemoteError) as e:
        client.push_audio("npc-404", np.zeros(160, np.int16), 16000)
    assert e.value.code == "unknown_session" and "npc-404" in e.value.message
    with pytest.raises(RemoteError) as e:
        client.set("npc-404", emotion="happy")
    assert e.value.code == "unknown_session"


def test_audio_with_wrong_parameters_is_bad_audio(server, client):
    sid = client.open(pose_only=True)
    reply = _raw(
        server,
        wire.pack(
            {"v": 1, "id": 9, "op": "push_audio", "session": sid, "sample_rate": 16000, "dtype": "float32"}
        ),
        b"\0" * 6,  # not a whole number of float32 samples
    )
    assert (reply.id, reply.code) == (9, "bad_audio") and "float32" in reply.message
    with pytest.raises(RemoteError) as e:
        client.request("push_audio", b"\0" * 8, session=sid, sample_rate=16000, channels=3, dtype="int16")
    assert e.value.code == "bad_audio" and "3-channel" in e.value.message


def test_open_rules(client):
    sid = client.open(session="npc-1", pose_only=True)
    assert sid == "npc-1"
    with pytest.raises(RemoteError) as e:
        client.open(session="npc-1", pose_only=True)
    assert e.value.code == "bad_argument" and "already open" in e.value.message
    client.open(pose_only=True)
    client.open(pose_only=True)
    with pytest.raises(RemoteError) as e:  # max_sessions=3
        client.open(pose_only=True)
    assert e.value.code == "busy"
    client.close_session("npc-1")
    assert "npc-1" not in [s["session"] for s in client.status()]
    client.open(session="npc-1", pose_only=True)  # the id is free again


def test_controls_are_validated_and_echoed(client):
    sid = client.open(pose_only=True)
    with pytest.raises(RemoteError) as e:
        client.set(sid, distance=9.0)
    assert e.value.code == "bad_argument" and "distance" in e.value.message
    with pytest.raises(RemoteError) as e:
        client.set(sid, emotion="smug")
    assert e.value.code == "bad_argument" and "smug" in e.value.message
    now = client.set(sid, emotion="happy", emotion_intensity=0.5, gaze=[10, -5], seed=7)
    assert (now["emotion"], now["emotion_intensity"], now["gaze"], now["seed"]) == (
        "happy",
        0.5,
        [10.0, -5.0],
        7,
    )


def test_avatar_errors(client, tmp_path):
    pytest.importorskip("facecast.runtime.avatar", reason="avatar preparation has not landed yet")
    sid = client.open()
    with pytest.raises(RemoteError) as e:
        client.load_avatar(sid, image=b"this is not an image")
    assert e.value.code == "bad_image"
    with pytest.raises(RemoteError) as e:
        client.load_avatar(sid, path=tmp_path / "missing.png")
    assert e.value.code == "bad_image" and "missing.png" in e.value.message
    blank = tmp_path / "blank.png"
    import cv2

    cv2.imwrite(str(blank), np.full((300, 300, 3), 200, np.uint8))
    with pytest.raises(RemoteError) as e:
        client.load_avatar(sid, path=blank)
    assert e.value.code == "no_face"
    pose = client.open(pose_only=True)
    with pytest.raises(RemoteError) as e:
        client.load_avatar(pose, path=blank)
    assert e.value.code == "bad_argument" and "pose-only" in e.value.message
    assert client.status(sid)[0]["error"]["code"] == "no_face"


def test_play_file_errors(client, tmp_path):
    sid = client.open(pose_only=True)
    with pytest.raises(RemoteError) as e:
        client.play_file(sid, tmp_path / "nothing.wav")
    assert e.value.code == "bad_audio" and "nothing.wav" in e.value.message
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not really")
    with pytest.raises(RemoteError) as e:
        client.play_file(sid, junk)
    assert e.value.code == "bad_audio"


def test_status_heartbeat_at_least_once_a_second(client):
    client.open(session="hb", pose_only=True)
    with client.subscribe("status") as sub:
        got = []
        t0 = time.monotonic()
        while len(got) < 3 and time.monotonic() - t0 < 5:
            msg = sub.recv(timeout=1.5)
            assert msg is not None, "no status within 1.5 s"
            got.append((time.monotonic(), msg))
    gaps = np.diff([t for t, _ in got])
    assert gaps.max() <= 1.05
    assert "hb" in [s["session"] for s in got[-1][1].sessions]


def test_clients_that_vanish_mid_request_do_not_hurt(server, client):
    ctx = zmq.Context.instance()
    for _ in range(20):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(server.control_endpoint)
        s.send_multipart(wire.encode_request(1, "open", pose_only=True))
        s.send_multipart(
            wire.encode_request(2, "push_audio", b"\0\0" * 800, session="x", sample_rate=16000, dtype="int16")
        )
        s.close()  # gone before any reply
    assert client.ping()["protocol"] == 1


def test_late_replies_are_not_mistaken_for_later_ones(client):
    sid = client.open(pose_only=True)
    rid = client.send("status", session=sid)
    assert client.ping()["protocol"] == 1  # skips the status reply
    with pytest.raises(ServerTimeout):
        client.wait(rid, timeout=0.2)  # that reply was consumed and discarded, not misrouted


def test_refuses_to_bind_beyond_loopback_without_keys():
    assert (
        is_loopback("tcp://127.0.0.1:5555")
        and is_loopback("ipc:///tmp/x")
        and not is_loopback("tcp://*:5555")
    )
    with pytest.raises(ConfigError) as e:
        Server(ServerOptions(control="tcp://0.0.0.0:*", data=ANY_PORT))
    assert "--make-keys" in str(e.value)


def test_curve_keys(tmp_path):
    import zmq.auth

    from facecast.bridge.client import load_server_key

    zmq.auth.create_certificates(str(tmp_path), "server")
    srv = Server(ServerOptions(control=ANY_PORT, data=ANY_PORT, curve_keys=tmp_path)).start()
    try:
        key = load_server_key(tmp_path / "server.key")
        with Client(srv.control_endpoint, srv.data_endpoint, timeout=3, server_key=key) as good:
            assert good.ping()["protocol"] == 1
            with good.subscribe("status") as sub:
                assert sub.recv(timeout=2) is not None
        with Client(srv.control_endpoint, srv.data_endpoint, timeout=0.5) as plain:
            with pytest.raises(ServerTimeout):
                plain.ping()
    finally:
        srv.stop()


def test_cli_refuses_a_public_bind_without_keys_and_makes_keys(tmp_path, capsys):
    from facecast.cli import main

    assert main(["serve", "--control", "tcp://0.0.0.0:5599", "--data", "tcp://127.0.0.1:*"]) == 2
    err = capsys.readouterr().err
    assert "beyond loopback" in err and "--make-keys" in err
    assert main(["serve", "--make-keys", str(tmp_path / "keys")]) == 0
    assert (tmp_path / "keys" / "server.key").is_file() and (
        tmp_path / "keys" / "server.key_secret"
    ).is_file()
    assert "--curve-keys" in capsys.readouterr().out
    assert main(["serve", "--make-keys", str(tmp_path / "keys")]) == 2  # never overwrite a key
