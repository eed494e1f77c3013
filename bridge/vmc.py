"""VMC protocol sender (OSC over UDP) for VSeeFace, VNyan, Warudo and any other VMC receiver.

Each frame becomes blendshape values (`/VMC/Ext/Blend/Val`), one `/VMC/Ext/Blend/Apply` after them,
and the Head, LeftEye and RightEye bones (`/VMC/Ext/Bone/Pos`). Names come from runtime.names:
ARKit "perfect sync" PascalCase, or the VRM expression presets (0.x spellings, or 1.0).

Bone rotations are Unity's (left-handed: +X the avatar's right, +Y up, +Z the avatar's forward),
local to the normalized humanoid bone, as VMC receivers expect. FaceMotion's signs are the viewer's
(runtime.facemotion); facing the viewer, the avatar's right is the viewer's left, so:
  Unity X (nose down) = -pitch, Unity Y (turn to the avatar's right) = -yaw, Unity Z = +roll.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from dataclasses import dataclass

import numpy as np

from ..runtime.errors import ConfigError
from ..runtime.facemotion import FaceMotion
from ..runtime.names import (
    ARKIT_INDEX,
    ARKIT_NAMES,
    EMOTIONS,
    PASCAL_NAMES,
    VISEME_INDEX,
    VRM0_NAMES,
    VRM_PRESETS,
)
from . import osc

log = logging.getLogger("facecast")

DEFAULT_PORT = 39539
NAME_SETS = ("perfectsync", "vrm", "vrm1")

# Rest offsets (metres, local to the parent bone) sent with the rotations. Receivers that apply
# bone positions need plausible ones; most apply only the rotation of these bones.
HEAD_OFFSET = (0.0, 0.09, 0.0)
LEFT_EYE_OFFSET = (-0.032, 0.065, 0.045)
RIGHT_EYE_OFFSET = (0.032, 0.065, 0.045)


@dataclass
class VMCOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    names: str = "perfectsync"  # one of NAME_SETS
    send_bones: bool = True
    max_datagram: int = 1432  # one Ethernet frame: no IP fragmentation on a LAN

    def __post_init__(self) -> None:
        if self.names not in NAME_SETS:
            raise ConfigError(f"unknown VMC name set {self.names!r}; expected one of {', '.join(NAME_SETS)}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"VMC port must be 1..65535, got {self.port}")


def parse_host_port(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """'HOST:PORT', 'HOST' or ':PORT' -> (host, port); IPv6 as '[::1]:39539'."""
    host, port = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        port_n = int(port) if port else default_port
    except ValueError:
        raise ConfigError(
            f"VMC port must be a number in {text!r} (use HOST:PORT, e.g. 127.0.0.1:39539)"
        ) from None
    if not 0 < port_n < 65536:
        raise ConfigError(f"VMC port must be 1..65535, got {port_n} in {text!r}")
    return host or "127.0.0.1", port_n


def blend_values(motion: FaceMotion, names: str = "perfectsync") -> list[tuple[str, float]]:
    """The (name, value 0..1) pairs a VMC receiver gets for one frame, in a stable order."""
    if names == "perfectsync":
        bs = np.clip(motion.blendshapes, 0.0, 1.0)
        return [(PASCAL_NAMES[n], float(bs[i])) for i, n in enumerate(ARKIT_NAMES)]
    if names not in ("vrm", "vrm1"):
        raise ConfigError(f"unknown VMC name set {names!r}; expected one of {', '.join(NAME_SETS)}")
    values = {
        preset: min(1.0, max(0.0, sum(w * _source_value(motion, src) for src, w in mix.items())))
        for preset, mix in VRM_PRESETS.items()
    }
    # Receivers add the blink clips up: both eyes' common closure goes to 'blink', only the
    # difference to the one-eye clips, so a full blink is not applied twice.
    both = min(values["blinkLeft"], values["blinkRight"])
    values["blink"] = both
    values["blinkLeft"] -= both
    values["blinkRight"] -= both
    return [(VRM0_NAMES[p] if names == "vrm" else p, float(v)) for p, v in values.items()]


def _source_value(motion: FaceMotion, source: str) -> float:
    """A VRM preset ingredient: 'viseme:aa', 'emotion:happy' or an ARKit name."""
    kind, _, name = source.partition(":")
    if kind == "viseme":
        return float(motion.visemes[VISEME_INDEX[name]])
    if kind == "emotion":
        if name not in EMOTIONS:
            raise KeyError(f"unknown emotion {name!r} in VRM preset table")
        return float(motion.emotion.intensity) if motion.emotion.label == name else 0.0
    return float(motion.blendshapes[ARKIT_INDEX[source]])


def unity_quaternion(yaw: float, pitch: float, roll: float = 0.0) -> tuple[float, float, float, float]:
    """FaceMotion angles (degrees, viewer's signs) -> Unity local rotation (x, y, z, w).

    Unity's Quaternion.Euler order: roll about Z first, then X, then Y (q = qy * qx * qz)."""
    ux, uy, uz = math.radians(-pitch), math.radians(-yaw), math.radians(roll)
    qx = (math.sin(ux / 2), 0.0, 0.0, math.cos(ux / 2))
    qy = (0.0, math.sin(uy / 2), 0.0, math.cos(uy / 2))
    qz = (0.0, 0.0, math.sin(uz / 2), math.cos(uz / 2))
    return _qmul(_qmul(qy, qx), qz)


def _qmul(a, b):
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )


def frame_messages(motion: FaceMotion, options: VMCOptions, t: float | None = None) -> list[bytes]:
    """The OSC messages of one frame, bones first, then blends, then Apply."""
    msgs: list[bytes] = []
    if t is not None:
        msgs.append(osc.message("/VMC/Ext/T", float(t)))
    if options.send_bones:
        h, g = motion.head, motion.gaze
        for bone, offset, q in (
            ("Head", HEAD_OFFSET, unity_quaternion(h.yaw, h.pitch, h.roll)),
            ("LeftEye", LEFT_EYE_OFFSET, unity_quaternion(g.left_yaw, g.left_pitch)),
            ("RightEye", RIGHT_EYE_OFFSET, unity_quaternion(g.right_yaw, g.right_pitch)),
        ):
            msgs.append(osc.message("/VMC/Ext/Bone/Pos", bone, *map(float, offset), *map(float, q)))
    for name, value in blend_values(motion, options.names):
        msgs.append(osc.message("/VMC/Ext/Blend/Val", name, value))
    msgs.append(osc.message("/VMC/Ext/Blend/Apply"))
    return msgs


class VMCSender:
    """A pose sink: one call to send() per frame; the caller sets the rate (see pose_sinks)."""

    def __init__(self, options: VMCOptions | None = None) -> None:
        self.options = options or VMCOptions()
        try:
            info = socket.getaddrinfo(self.options.host, self.options.port, type=socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise ConfigError(f"cannot resolve VMC host {self.options.host!r}: {exc}") from None
        family, _, _, _, self._addr = info[0]
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._start = time.monotonic()
        self.frames_sent = 0
        self._warned = False
        log.info(
            "VMC: sending %s blendshapes%s to %s:%d",
            self.options.names,
            " and head/eye bones" if self.options.send_bones else "",
            self.options.host,
            self.options.port,
        )

    def send(self, motion: FaceMotion) -> None:
        msgs = frame_messages(motion, self.options, t=time.monotonic() - self._start)
        for datagram in osc.split_bundles(msgs, self.options.max_datagram):
            try:
                self._sock.sendto(datagram, self._addr)
            except OSError as exc:  # e.g. network unreachable: keep the live loop running
                if not self._warned:
                    log.warning("VMC: cannot send to %s:%d: %s", self.options.host, self.options.port, exc)
                    self._warned = True
                return
        self.frames_sent += 1

    def close(self) -> None:
        self._sock.close()
