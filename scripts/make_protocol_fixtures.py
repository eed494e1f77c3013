"""Write the golden protocol fixtures (docs/protocol/fixtures/) from the Python encoder.

The C (OBS) and C# (Unity) tests decode these files and assert the values listed in
docs/protocol/fixtures/README.md; tests/test_protocol_fixtures.py checks the committed files equal a
fresh run of this script. Run it after any change to bridge/wire.py:

    .venv/bin/python scripts/make_protocol_fixtures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from facecast.bridge import wire
from facecast.runtime.facemotion import FaceMotion, HeadPose
from facecast.runtime.names import VISEME_NAMES

OUT = Path(__file__).resolve().parents[1] / "docs" / "protocol" / "fixtures"

# 4x2 RGBA, straight alpha, top row first.
PIXELS = np.array(
    [
        [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 255, 128]],
        [[0, 0, 0, 0], [10, 20, 30, 40], [50, 60, 70, 255], [200, 100, 50, 0]],
    ],
    np.uint8,
)


def fixture_motion() -> FaceMotion:
    m = FaceMotion(t=1.25)
    m.set("jawOpen", 0.5)
    m.set("eyeBlinkLeft", 0.25)
    m.set("mouthSmileRight", 0.125)
    m.visemes[:] = 0.0
    m.visemes[VISEME_NAMES.index("aa")] = 0.75
    m.visemes[VISEME_NAMES.index("PP")] = 0.25
    m.head = HeadPose(yaw=10.5, pitch=-5.25, roll=2.0, x=0.0625, y=-0.03125, scale=1.125)
    m.gaze.left_yaw = m.gaze.right_yaw = 4.5
    m.gaze.left_pitch = m.gaze.right_pitch = -2.25
    m.emotion.label, m.emotion.intensity = "happy", 0.5
    return m


SESSION_SPEAKING = {
    "session": "npc-1",
    "state": "speaking",
    "pose_only": False,
    "fps": 40.0,
    "queued_audio_s": 1.5,
    "frames": 120,
    "dropped": 2,
    "error": None,
}
SESSION_ERROR = {
    "session": "npc-2",
    "state": "error",
    "pose_only": True,
    "fps": 0.0,
    "queued_audio_s": 0.0,
    "frames": 0,
    "dropped": 0,
    "error": {"code": "bad_audio", "message": "cannot decode line2.ogg"},
}


def fixtures() -> dict[str, bytes]:
    """File name -> exact bytes."""
    files: dict[str, bytes] = {}

    def parts(prefix: str, message: list, names: tuple[str, ...]) -> None:
        for name, part in zip(names, message):
            files[f"{prefix}_{name}"] = bytes(part)

    parts(
        "frame",
        wire.encode_frame("npc-1", 7, 0.175, PIXELS, "RGBA"),
        ("topic.bin", "header.msgpack", "pixels.bin"),
    )
    parts(
        "frame_bgra",
        wire.encode_frame("npc-1", 8, 0.2, PIXELS, "BGRA"),
        ("topic.bin", "header.msgpack", "pixels.bin"),
    )
    parts("pose", wire.encode_pose("npc-1", 50, 1.25, fixture_motion()), ("topic.bin", "header.msgpack"))
    status = wire.encode_status(1700000000.25, [SESSION_SPEAKING, SESSION_ERROR])
    files["status_topic.bin"], files["status.msgpack"] = status

    def request(name: str, *args, **fields) -> None:
        msg = wire.encode_request(*args, **fields)
        files[f"request_{name}.msgpack"] = msg[0]
        if len(msg) == 2:
            files[f"request_{name}_payload.bin"] = msg[1]

    request("ping", 1, "ping")
    request("open", 2, "open", session="npc-1", pose_only=False, size=512, fps=40.0, format="RGBA")
    request("load_avatar", 3, "load_avatar", session="npc-1", path="/srv/portraits/npc1.png")
    samples = np.array([0, 1000, -1000, 32767, -32768, 1, -1, 0], "<i2")
    request(
        "push_audio",
        4,
        "push_audio",
        samples.tobytes(),
        session="npc-1",
        sample_rate=48000,
        channels=1,
        dtype="int16",
    )
    request("play_file", 5, "play_file", session="npc-1", path="/srv/audio/line1.wav")
    request(
        "set",
        6,
        "set",
        session="npc-1",
        controls={
            "emotion": "happy",
            "emotion_intensity": 0.5,
            "gaze": [10.0, -5.0],
            "distance": 1.25,
            "intensity": 0.75,
            "seed": 42,
            "background": "transparent",
        },
    )
    request("status", 7, "status")
    request("close", 8, "close", session="npc-1")

    files["reply_ping.msgpack"] = wire.encode_reply(1, protocol=1, time=1700000000.25)
    files["reply_open.msgpack"] = wire.encode_reply(
        2, session="npc-1", pose_only=False, size=512, fps=40.0, format="RGBA"
    )
    files["reply_push_audio.msgpack"] = wire.encode_reply(
        4, session="npc-1", pts=2.5, duration_s=0.25, queued_audio_s=0.75
    )
    files["reply_status.msgpack"] = wire.encode_reply(7, sessions=[SESSION_SPEAKING])
    files["reply_error_unknown_session.msgpack"] = wire.encode_error(
        6, "unknown_session", "no session 'npc-9'; open it first"
    )
    files["reply_error_malformed.msgpack"] = wire.encode_error(
        None, "malformed", "not valid msgpack: ExtraData"
    )
    return files


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(fixtures().items()):
        (OUT / name).write_bytes(data)
    print(f"wrote {len(fixtures())} fixtures to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
