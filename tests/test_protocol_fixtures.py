"""The golden fixtures the C and C# tests read: committed files equal a fresh generation and decode
to the values docs/protocol/fixtures/README.md documents (written out here independently)."""

from __future__ import annotations

from pathlib import Path

import msgpack
import numpy as np
import pytest

from facecast.bridge import wire
from facecast.runtime.names import ARKIT_NAMES, VISEME_NAMES
from scripts.make_protocol_fixtures import fixtures

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "docs" / "protocol" / "fixtures"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _map(name: str) -> dict:
    return msgpack.unpackb(_read(name), raw=False)


def test_committed_fixtures_equal_a_fresh_generation():
    fresh = fixtures()
    committed = {p.name for p in FIXTURES.iterdir() if p.suffix in (".bin", ".msgpack")}
    assert committed == set(fresh), "run scripts/make_protocol_fixtures.py and commit the result"
    for name, data in fresh.items():
        assert _read(name) == data, f"{name} differs from a fresh generation"


def test_frame_fixture_decodes_to_documented_pixels():
    assert _read("frame_topic.bin") == b"frame/npc-1/"
    assert _map("frame_header.msgpack") == {
        "v": 1,
        "session": "npc-1",
        "seq": 7,
        "pts": 0.175,
        "width": 4,
        "height": 2,
        "format": "RGBA",
        "stride": 16,
    }
    assert (
        _read("frame_pixels.bin").hex() == "ff0000ff00ff00ff0000ffffffffff80000000000a141e28323c46ffc8643200"
    )
    frame = wire.decode_data([_read(f"frame_{p}") for p in ("topic.bin", "header.msgpack", "pixels.bin")])
    assert frame.pixels.shape == (2, 4, 4)
    assert frame.pixels[0, 3].tolist() == [255, 255, 255, 128]
    assert frame.pixels[1, 1].tolist() == [10, 20, 30, 40]


def test_bgra_fixture_is_the_same_image_with_swapped_channels():
    header = _map("frame_bgra_header.msgpack")
    assert (header["format"], header["seq"], header["pts"]) == ("BGRA", 8, 0.2)
    bgra = np.frombuffer(_read("frame_bgra_pixels.bin"), np.uint8).reshape(2, 4, 4)
    rgba = np.frombuffer(_read("frame_pixels.bin"), np.uint8).reshape(2, 4, 4)
    assert np.array_equal(bgra[..., [2, 1, 0, 3]], rgba)


def test_pose_fixture_carries_every_name_and_the_documented_values():
    assert _read("pose_topic.bin") == b"pose/npc-1/"
    m = _map("pose_header.msgpack")
    assert (m["v"], m["session"], m["seq"], m["pts"]) == (1, "npc-1", 50, 1.25)
    motion = m["motion"]
    assert list(motion["blendshapes"]) == list(ARKIT_NAMES)
    nonzero = {k: v for k, v in motion["blendshapes"].items() if v}
    assert nonzero == {"eyeBlinkLeft": 0.25, "jawOpen": 0.5, "mouthSmileRight": 0.125}
    assert list(motion["visemes"]) == list(VISEME_NAMES)
    assert {k: v for k, v in motion["visemes"].items() if v} == {"PP": 0.25, "aa": 0.75}
    assert motion["head"] == {
        "yaw": 10.5,
        "pitch": -5.25,
        "roll": 2.0,
        "x": 0.0625,
        "y": -0.03125,
        "scale": 1.125,
    }
    assert motion["gaze"] == {"left": {"yaw": 4.5, "pitch": -2.25}, "right": {"yaw": 4.5, "pitch": -2.25}}
    assert motion["emotion"] == {"label": "happy", "intensity": 0.5}
    assert motion["t"] == 1.25
    pose = wire.decode_data([_read("pose_topic.bin"), _read("pose_header.msgpack")])
    assert pose.face_motion()["jawOpen"] == 0.5


def test_status_fixture():
    assert _read("status_topic.bin") == b"status"
    m = _map("status.msgpack")
    assert m["v"] == 1 and m["time"] == 1700000000.25
    s1, s2 = m["sessions"]
    assert s1 == {
        "session": "npc-1",
        "state": "speaking",
        "pose_only": False,
        "fps": 40.0,
        "queued_audio_s": 1.5,
        "frames": 120,
        "dropped": 2,
        "error": None,
    }
    assert s2["state"] == "error" and s2["pose_only"] is True
    assert s2["error"] == {"code": "bad_audio", "message": "cannot decode line2.ogg"}
    assert _map("reply_status.msgpack") == {"v": 1, "id": 7, "ok": True, "sessions": [s1]}


@pytest.mark.parametrize(
    "name, op, fields",
    [
        ("ping", "ping", {}),
        (
            "open",
            "open",
            {"session": "npc-1", "pose_only": False, "size": 512, "fps": 40.0, "format": "RGBA"},
        ),
        ("load_avatar", "load_avatar", {"session": "npc-1", "path": "/srv/portraits/npc1.png"}),
        (
            "push_audio",
            "push_audio",
            {"session": "npc-1", "sample_rate": 48000, "channels": 1, "dtype": "int16"},
        ),
        ("play_file", "play_file", {"session": "npc-1", "path": "/srv/audio/line1.wav"}),
        ("status", "status", {}),
        ("close", "close", {"session": "npc-1"}),
    ],
)
def test_request_fixtures_decode_and_validate(name, op, fields):
    m = _map(f"request_{name}.msgpack")
    assert m == {"v": 1, "id": m["id"], "op": op, **fields}
    parts = [_read(f"request_{name}.msgpack")]
    if (FIXTURES / f"request_{name}_payload.bin").exists():
        parts.append(_read(f"request_{name}_payload.bin"))
    request = wire.decode_request(parts)  # what the server will accept from C and C# clients
    assert request.op == op and request.args == fields


def test_set_request_and_audio_payload():
    m = _map("request_set.msgpack")
    assert m["controls"] == {
        "emotion": "happy",
        "emotion_intensity": 0.5,
        "gaze": [10.0, -5.0],
        "distance": 1.25,
        "intensity": 0.75,
        "seed": 42,
        "background": "transparent",
    }
    samples = np.frombuffer(_read("request_push_audio_payload.bin"), "<i2")
    assert samples.tolist() == [0, 1000, -1000, 32767, -32768, 1, -1, 0]


def test_reply_fixtures():
    assert _map("reply_ping.msgpack") == {"v": 1, "id": 1, "ok": True, "protocol": 1, "time": 1700000000.25}
    assert _map("reply_open.msgpack")["session"] == "npc-1"
    assert _map("reply_push_audio.msgpack") == {
        "v": 1,
        "id": 4,
        "ok": True,
        "session": "npc-1",
        "pts": 2.5,
        "duration_s": 0.25,
        "queued_audio_s": 0.75,
    }
    err = wire.decode_reply(_read("reply_error_unknown_session.msgpack"))
    assert (err.id, err.ok, err.code) == (6, False, "unknown_session")
    assert "npc-9" in err.message
    malformed = wire.decode_reply(_read("reply_error_malformed.msgpack"))
    assert (malformed.id, malformed.code) == (None, "malformed")
