"""Open Sound Control 1.0 encoding: the wire format of the VMC protocol.

Only what facecast sends: messages with int32, float32 and string arguments, and bundles. Written
here (not a dependency) because it is small and the VMC receivers only need these types.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

# OSC time tag 1 means "immediately"; VMC receivers ignore the time tag anyway.
IMMEDIATELY = 1

OscArg = int | float | str


def _padded(raw: bytes) -> bytes:
    """OSC strings end with at least one NUL and are padded to a multiple of 4 bytes."""
    return raw + b"\0" * (4 - len(raw) % 4)


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    if b"\0" in raw:
        raise ValueError(f"OSC strings cannot contain NUL characters: {text!r}")
    return _padded(raw)


def message(address: str, *args: OscArg) -> bytes:
    """One OSC message: address pattern, type tag string, then the arguments big-endian."""
    if not address.startswith("/"):
        raise ValueError(f"OSC address must start with '/', got {address!r}")
    tags = [","]
    payload = []
    for a in args:
        if isinstance(a, bool):  # bool is an int: refuse rather than send 0/1 silently
            raise TypeError("OSC booleans are not supported; send an int")
        if isinstance(a, int):
            tags.append("i")
            payload.append(struct.pack(">i", a))
        elif isinstance(a, float):
            tags.append("f")
            payload.append(struct.pack(">f", a))
        elif isinstance(a, str):
            tags.append("s")
            payload.append(_string(a))
        else:
            raise TypeError(f"unsupported OSC argument type {type(a).__name__} in {address}")
    return _string(address) + _string("".join(tags)) + b"".join(payload)


def bundle(elements: Iterable[bytes], timetag: int = IMMEDIATELY) -> bytes:
    """An OSC bundle of already-encoded messages (or bundles), each prefixed by its size."""
    parts = [_string("#bundle"), struct.pack(">Q", timetag)]
    for e in elements:
        if len(e) % 4:
            raise ValueError("OSC bundle elements must be a multiple of 4 bytes long")
        parts.append(struct.pack(">i", len(e)))
        parts.append(e)
    return b"".join(parts)


def split_bundles(messages: Sequence[bytes], max_bytes: int) -> list[bytes]:
    """Pack messages, in order, into as few bundles as fit in `max_bytes` each (one UDP datagram)."""
    out: list[bytes] = []
    current: list[bytes] = []
    size = 16  # "#bundle\0" + time tag
    for m in messages:
        if 16 + 4 + len(m) > max_bytes:
            raise ValueError(f"an OSC message of {len(m)} bytes does not fit in {max_bytes} bytes")
        if current and size + 4 + len(m) > max_bytes:
            out.append(bundle(current))
            current, size = [], 16
        current.append(m)
        size += 4 + len(m)
    if current:
        out.append(bundle(current))
    return out
