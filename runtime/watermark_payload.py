"""The message a facecast watermark carries, and its error-correcting code.

Message: the 32-bit session tag plus a 24-bit CRC keyed with a facecast-specific string (the
"magic": a frame marked by anything else, or no mark at all, fails it). The 56 bits and 6 zero tail
bits go through the standard K=7, rate-1/2 convolutional code (generators 133 and 171 octal), giving
124 coded bits, one bit pattern each. Decoding is soft Viterbi on the detector's per-bit correlation
scores, which corrects the scattered weak bits that strong compression leaves (about 5 dB better
than reading the bits one by one). A random input decodes to a word that passes the CRC with
probability 2**-24 per candidate position, which bounds false positives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

TAG_BITS = 32
CRC_BITS = 24
INFO_BITS = TAG_BITS + CRC_BITS
_K = 7  # constraint length
_GENERATORS = (0o133, 0o171)
_TAIL = _K - 1
N_BITS = 2 * (INFO_BITS + _TAIL)  # coded bits carried by the mark: 124
_CRC_KEY = b"facecast-watermark-v1"
P_FALSE_PER_DECODE = 2.0**-CRC_BITS


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


def _crc(tag: int) -> int:
    """24 bits of a keyed hash: a CRC in purpose (detect a wrong word), keyed so only facecast's
    own messages pass."""
    digest = hashlib.blake2s(tag.to_bytes(4, "big"), key=_CRC_KEY, digest_size=3).digest()
    return int.from_bytes(digest, "big")


def _info_bits(tag: int) -> np.ndarray:
    word = ((tag & 0xFFFFFFFF) << CRC_BITS) | _crc(tag & 0xFFFFFFFF)
    return np.array([(word >> (INFO_BITS - 1 - i)) & 1 for i in range(INFO_BITS)], dtype=np.int64)


def _parity(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    out = np.zeros_like(x)
    while np.any(x):
        out ^= x & 1
        x >>= 1
    return out


# trellis: state = the last 6 input bits, newest in the top bit
_STATES = 1 << _TAIL
_ns = np.arange(_STATES)
_b = _ns >> (_TAIL - 1)  # the input bit that leads into each next state
_PREV = np.stack([((_ns << 1) & (_STATES - 1)) | x for x in (0, 1)], axis=1)  # (64, 2) predecessors
_REG = (_b[:, None] << _TAIL) | _PREV  # 7-bit register for each (next state, predecessor choice)
_OUT = np.stack([_parity(_REG & g) * 2 - 1 for g in _GENERATORS], axis=-1).astype(np.float64)


def _convolve(bits: np.ndarray) -> np.ndarray:
    state = 0
    out = []
    for b in np.concatenate([bits, np.zeros(_TAIL, np.int64)]):
        reg = (int(b) << _TAIL) | state
        out += [bin(reg & g).count("1") & 1 for g in _GENERATORS]
        state = reg >> 1
    return np.array(out, dtype=np.int64)


def encode(tag: int) -> np.ndarray:
    """The coded bits for a session tag as +1/-1 float32 (the sign each bit pattern gets)."""
    return (_convolve(_info_bits(tag)) * 2 - 1).astype(np.float32)


@dataclass(frozen=True)
class Decoded:
    tag: int
    flipped: int  # coded bits whose sign disagreed with the decoded word (errors corrected)
    attempts: int  # candidate words checked (for the false-alarm bound)


def _viterbi(soft: np.ndarray) -> np.ndarray:
    steps = soft.reshape(-1, 2)
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    choices = np.empty((len(steps), _STATES), dtype=np.int64)
    for t, pair in enumerate(steps):
        cand = metric[_PREV] + _OUT @ pair  # (64, 2)
        choices[t] = np.argmax(cand, axis=1)
        metric = cand[_ns, choices[t]]
    state, bits = 0, []  # the tail returns the encoder to state 0
    for t in range(len(steps) - 1, -1, -1):
        bits.append(state >> (_TAIL - 1))
        state = _PREV[state, choices[t, state]]
    return np.array(bits[::-1][:INFO_BITS], dtype=np.int64)


def decode(soft: np.ndarray) -> Decoded | None:
    """Soft scores of the coded bits (positive = 1) to a session tag, or None when the decoded
    word fails the keyed check (no facecast mark, or too damaged to read)."""
    soft = np.asarray(soft, dtype=np.float64)
    if soft.shape != (N_BITS,):
        raise ValueError(f"expected {N_BITS} soft bits, got shape {soft.shape}")
    info = _viterbi(soft)
    word = 0
    for b in info:
        word = (word << 1) | int(b)
    tag, crc = word >> CRC_BITS, word & ((1 << CRC_BITS) - 1)
    if crc != _crc(tag):
        return None
    flipped = int(np.sum((soft > 0) != (encode(tag) > 0)))
    return Decoded(tag=tag, flipped=flipped, attempts=1)
