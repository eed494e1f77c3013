"""The 64-bit message a facecast watermark carries, and its error-tolerant decoding.

Layout (most significant bit first): 16-bit facecast magic, 32-bit session tag, 16-bit CRC over a
key string plus the first 48 bits. Magic and CRC give 32 check bits, so a random bit pattern (an
unmarked frame) passes with probability 2**-32 per decoding attempt; that is what keeps false
positives far below 1 in 1,000 frames even though the detector tries many candidates.

Decoding is soft: the detector hands over one correlation score per bit, and when the hard decision
fails the check we flip the least reliable bits (Chase decoding), which corrects the few bit
errors that a strong compression or a blur typically leaves.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

import numpy as np

MAGIC = 0xFACE  # 16 bits: "this is facecast"
N_BITS = 64
_CRC_KEY = b"facecast-watermark-v1"
CHASE_LEAST_RELIABLE = 12  # flip up to CHASE_MAX_FLIPS of these many least reliable bits
CHASE_MAX_FLIPS = 3
CHASE_ATTEMPTS = sum(  # 299 candidate words: false alarm <= 299 * 2**-32 = 7e-8 per decoding
    1 for k in range(CHASE_MAX_FLIPS + 1) for _ in itertools.combinations(range(CHASE_LEAST_RELIABLE), k)
)


def session_tag(session_id: int | str) -> int:
    """The 32-bit tag a session id becomes inside the mark (ints are kept when they fit)."""
    if isinstance(session_id, (int, np.integer)) and not isinstance(session_id, bool):
        if 0 <= int(session_id) < 2**32:
            return int(session_id)
        data = str(int(session_id)).encode()
    elif isinstance(session_id, str):
        data = session_id.encode("utf-8")
    else:
        raise TypeError(f"session_id must be an int or a str, got {type(session_id).__name__}")
    return int.from_bytes(hashlib.sha256(data).digest()[:4], "big")


def format_identifier(tag: int) -> str:
    """How an identifier is shown to users: the product and the session tag in hex."""
    return f"facecast/session-{tag:08x}"


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _check(magic: int, tag: int) -> int:
    return _crc16(_CRC_KEY + magic.to_bytes(2, "big") + tag.to_bytes(4, "big"))


def encode(tag: int) -> np.ndarray:
    """The message bits for a session tag, as +1/-1 float32 (the sign each bit pattern gets)."""
    word = (MAGIC << 48) | ((tag & 0xFFFFFFFF) << 16) | _check(MAGIC, tag & 0xFFFFFFFF)
    bits = np.array([(word >> (N_BITS - 1 - i)) & 1 for i in range(N_BITS)], dtype=np.float32)
    return bits * 2.0 - 1.0


def _parse(hard: np.ndarray) -> int | None:
    word = 0
    for b in hard:
        word = (word << 1) | int(b)
    magic, tag, crc = word >> 48, (word >> 16) & 0xFFFFFFFF, word & 0xFFFF
    if magic == MAGIC and crc == _check(magic, tag):
        return tag
    return None


@dataclass(frozen=True)
class Decoded:
    tag: int
    flipped: int  # bits corrected by Chase decoding
    attempts: int  # candidate words checked (for the false-alarm bound)


def decode(soft: np.ndarray) -> Decoded | None:
    """Soft bit scores (positive = 1) to a session tag, or None when no candidate passes the check."""
    soft = np.asarray(soft, dtype=np.float64)
    if soft.shape != (N_BITS,):
        raise ValueError(f"expected {N_BITS} soft bits, got shape {soft.shape}")
    hard = (soft > 0).astype(np.int64)
    weakest = np.argsort(np.abs(soft))[:CHASE_LEAST_RELIABLE]
    attempts = 0
    for k in range(CHASE_MAX_FLIPS + 1):
        for flip in itertools.combinations(weakest, k):
            attempts += 1
            trial = hard.copy()
            trial[list(flip)] ^= 1
            tag = _parse(trial)
            if tag is not None:
                return Decoded(tag=tag, flipped=k, attempts=attempts)
    return None
