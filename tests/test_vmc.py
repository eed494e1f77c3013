"""VMC sender against a real UDP socket on loopback, read back with an OSC decoder written here
(independent of bridge/osc.py): names, value ranges, Apply after each frame's blends, head and eye
bones with unit quaternions in Unity's convention, and a steady rate."""

from __future__ import annotations

import math
import socket
import struct
import threading
import time

import numpy as np
import pytest

from facecast.bridge.pose_sinks import SteadySender
from facecast.bridge.vmc import VMCOptions, VMCSender, parse_host_port
from facecast.runtime.errors import ConfigError
from facecast.runtime.facemotion import FaceMotion, Gaze, HeadPose
from facecast.runtime.names import ARKIT_NAMES, VISEME_INDEX


# --- an independent OSC 1.0 decoder -----------------------------------------------------------------
def _read_string(buf: bytes, i: int) -> tuple[str, int]:
    end = buf.index(b"\0", i)
    return buf[i:end].decode(), (end + 4) & ~3


def decode(packet: bytes) -> list[tuple[str, list]]:
    """All messages in a packet (bundles flattened, in order)."""
    if packet.startswith(b"#bundle\0"):
        out, i = [], 16
        while i < len(packet):
            (size,) = struct.unpack(">i", packet[i : i + 4])
            out += decode(packet[i + 4 : i + 4 + size])
            i += 4 + size
        return out
    address, i = _read_string(packet, 0)
    tags, i = _read_string(packet, i)
    assert tags.startswith(","), tags
    args: list = []
    for tag in tags[1:]:
        if tag == "f":
            args.append(struct.unpack(">f", packet[i : i + 4])[0])
            i += 4
        elif tag == "i":
            args.append(struct.unpack(">i", packet[i : i + 4])[0])
            i += 4
        elif tag == "s":
            s, i = _read_string(packet, i)
            args.append(s)
        else:
            raise AssertionError(f"unexpected OSC type tag {tag!r}")
    assert i == len(packet), "trailing bytes in OSC message"
    return [(address, args)]


class Listener:
    """A VMC receiver stand-in: records (arrival time, address, args) of every message."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.messages: list[tuple[float, str, list]] = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            now = time.monotonic()
            self.messages += [(now, a, args) for a, args in decode(data)]

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=1)
        self.sock.close()

    def frames(self) -> list[dict]:
        """Group messages into frames ending at each Apply: {'blends': {...}, 'bones': {...}}."""
        return [f for _, f in self.timed_frames()]

    def timed_frames(self) -> list[tuple[float, dict]]:
        """(arrival time on time.monotonic's clock, frame) for each frame."""
        frames, blends, bones = [], {}, {}
        for t, address, args in self.messages:
            if address == "/VMC/Ext/Blend/Val":
                blends[args[0]] = args[1]
            elif address == "/VMC/Ext/Bone/Pos":
                bones[args[0]] = args[1:]
            elif address == "/VMC/Ext/Blend/Apply":
                frames.append((t, {"blends": blends, "bones": bones}))
                blends, bones = {}, {}
        return frames


@pytest.fixture()
def listener():
    lst = Listener()
    yield lst
    lst.close()


def wait_frames(listener: Listener, n: int, timeout: float = 2.0) -> list[dict]:
    end = time.monotonic() + timeout
    while time.monotonic() < end and len(listener.frames()) < n:
        time.sleep(0.01)
    return listener.frames()


def rotate(q, v):
    """Rotate vector v by unit quaternion q = (x, y, z, w)."""
    x, y, z, w = q
    u = np.array([x, y, z])
    v = np.asarray(v, float)
    return v + 2 * np.cross(u, np.cross(u, v) + w * v)


def speaking_frame(yaw: float = 25.0) -> FaceMotion:
    m = FaceMotion(head=HeadPose(yaw=yaw, pitch=10.0), gaze=Gaze(-15.0, 0.0, -15.0, 0.0))
    m.set("jawOpen", 0.8)
    m.set("eyeBlinkLeft", 0.3)
    m.blendshapes[0] = 1.4  # out of range on purpose: must be clipped to 1
    m.visemes[:] = 0
    m.visemes[VISEME_INDEX["aa"]] = 0.9
    return m


def test_perfect_sync_names_values_and_apply(listener):
    sender = VMCSender(VMCOptions(port=listener.port, names="perfectsync"))
    sender.send(speaking_frame())
    sender.close()
    frames = wait_frames(listener, 1)
    assert len(frames) == 1
    blends = frames[0]["blends"]
    assert set(blends) == {n[0].upper() + n[1:] for n in ARKIT_NAMES}  # 52 PascalCase names
    assert blends["JawOpen"] == pytest.approx(0.8)
    assert blends["EyeBlinkLeft"] == pytest.approx(1.0)  # clipped
    assert all(0.0 <= v <= 1.0 for v in blends.values())
    # Apply comes after the frame's blend values, never before them.
    addresses = [a for _, a, _ in listener.messages]
    assert addresses[-1] == "/VMC/Ext/Blend/Apply"
    assert addresses.count("/VMC/Ext/Blend/Apply") == 1


@pytest.mark.parametrize(
    ("names", "vowel", "blink"),
    [("vrm", "A", "Blink_L"), ("vrm1", "aa", "blinkLeft")],
)
def test_vrm_preset_names(listener, names, vowel, blink):
    m = speaking_frame()
    m.set("eyeBlinkLeft", 0.6)
    m.emotion.label, m.emotion.intensity = "happy", 0.7
    sender = VMCSender(VMCOptions(port=listener.port, names=names))
    sender.send(m)
    sender.close()
    blends = wait_frames(listener, 1)[0]["blends"]
    assert blends[vowel] == pytest.approx(0.9)
    assert blends[blink] == pytest.approx(0.6)
    assert blends["Blink" if names == "vrm" else "blink"] == 0.0  # one eye only: a wink
    assert blends["Joy" if names == "vrm" else "happy"] == pytest.approx(0.7)
    assert all(0.0 <= v <= 1.0 for v in blends.values())
    assert "JawOpen" not in blends


def test_vrm_full_blink_is_not_applied_twice(listener):
    m = FaceMotion()
    m.set("eyeBlinkLeft", 1.0)
    m.set("eyeBlinkRight", 0.8)
    sender = VMCSender(VMCOptions(port=listener.port, names="vrm"))
    sender.send(m)
    sender.close()
    blends = wait_frames(listener, 1)[0]["blends"]
    assert blends["Blink"] == pytest.approx(0.8)
    assert blends["Blink_L"] == pytest.approx(0.2) and blends["Blink_R"] == pytest.approx(0.0)


@pytest.mark.parametrize("yaw", [25.0, -25.0])
def test_head_and_eye_bones_follow_the_commanded_direction(listener, yaw):
    sender = VMCSender(VMCOptions(port=listener.port))
    sender.send(speaking_frame(yaw=yaw))
    sender.close()
    bones = wait_frames(listener, 1)[0]["bones"]
    assert set(bones) == {"Head", "LeftEye", "RightEye"}
    for name, values in bones.items():
        assert len(values) == 7, name  # position xyz + quaternion xyzw
        assert math.isclose(np.linalg.norm(values[3:]), 1.0, abs_tol=1e-5), name
    # Unity: the avatar faces +Z, its right is +X; the viewer (facing it) has -X on their right.
    nose = rotate(bones["Head"][3:], [0, 0, 1])
    assert np.sign(nose[0]) == -np.sign(yaw)  # yaw > 0 turns the face to the viewer's right
    assert nose[1] > 0  # pitch 10: chin up, the nose rises
    assert math.degrees(math.atan2(-nose[0], nose[2])) == pytest.approx(yaw, abs=0.5)
    gaze = rotate(bones["LeftEye"][3:], [0, 0, 1])
    assert gaze[0] > 0  # gaze yaw -15: toward the viewer's left, which is Unity's +X


def test_roll_tilts_the_head_clockwise_for_the_viewer(listener):
    sender = VMCSender(VMCOptions(port=listener.port))
    sender.send(FaceMotion(head=HeadPose(roll=20.0)))
    sender.close()
    up = rotate(wait_frames(listener, 1)[0]["bones"]["Head"][3:], [0, 1, 0])
    assert up[0] < 0  # the top of the head moves to the viewer's right (Unity -X)


def test_steady_rate(listener):
    sender = VMCSender(VMCOptions(port=listener.port))
    pump = SteadySender([sender], rate=60.0, latency=0.0)
    pump.start()
    pump.push([speaking_frame()])  # one frame, then nothing: the pump keeps sending it
    time.sleep(1.2)
    pump.close()
    applies = [t for t, a, _ in listener.messages if a == "/VMC/Ext/Blend/Apply"]
    window = [t for t in applies if applies[0] + 0.1 <= t <= applies[0] + 1.1]
    assert 45 <= len(window) <= 66, f"{len(window)} frames in one second at 60 Hz"
    assert np.diff(applies).max() < 0.3  # no long stalls (generous: the machine may be busy)


def test_parse_host_port():
    assert parse_host_port("127.0.0.1:39540") == ("127.0.0.1", 39540)
    assert parse_host_port("studio-pc") == ("studio-pc", 39539)
    assert parse_host_port("[::1]:40000") == ("::1", 40000)
    with pytest.raises(ConfigError, match="port"):
        parse_host_port("localhost:vmc")
    with pytest.raises(ConfigError, match="name set"):
        VMCOptions(names="arkit")
