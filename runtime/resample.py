"""Any sample rate to 16 kHz, whole or chunk by chunk: one resampler for audio arrays given to the
motion engine at their own rate, microphones and the service's streams (files are decoded straight
to 16 kHz by ffmpeg).

A polyphase windowed-sinc low-pass (Kaiser window, beta 5, ten zero crossings each side: the design
scipy.signal.resample_poly uses, which the lip model's training audio went through) is evaluated at
each output instant k * src / dst. The filter is centred on that instant, so the output lines up with
the input in time (no filter delay); streaming holds back only the filter's half-length (under 1 ms at
44.1 and 48 kHz). Every output sample is the same sum of the same inputs however the audio was
chunked, so chunked and whole resampling give identical samples. Rates are integers; the ratio is
reduced by their greatest common divisor.

Why not scipy.signal: importing it costs 0.7 s at every start (see iir.py), and before this module
the project carried three resamplers (resample_poly for whole arrays, which the microphone applied to
each block on its own, and two low-pass + linear interpolation ones for streams)."""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np

from .audio_io import SAMPLE_RATE
from .errors import AudioError

ZERO_CROSSINGS = 10  # filter half-length, in periods of the lower rate's Nyquist frequency
KAISER_BETA = 5.0
MIN_RATE, MAX_RATE = 4000, 384000
_CHUNK = 8192  # output samples computed per gather (bounds the working memory)


def check_rate(rate: object) -> int:
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"sample rate must be an integer between {MIN_RATE} and {MAX_RATE} Hz, got {rate!r}")
    return int(rate)


class Resampler:
    """src_rate -> dst_rate. `push(chunk)` returns the output samples whose inputs have all arrived;
    `flush()` ends the stream (the input taken as silent past its end) and returns the rest."""

    def __init__(self, src_rate: int, dst_rate: int = SAMPLE_RATE) -> None:
        self.src, self.dst = check_rate(src_rate), check_rate(dst_rate)
        g = gcd(self.src, self.dst)
        self.up, self.down = self.dst // g, self.src // g
        self.half = ZERO_CROSSINGS * max(self.up, self.down)  # in the upsampled rate's samples
        self.taps = -(-(2 * self.half + 1) // self.up) + 1
        self.bank = _filter_bank(self.up, self.down) if self.up != self.down else None
        self.reset()

    def reset(self) -> None:
        self.buf = np.zeros(0, np.float64)  # input samples from absolute index self.base on
        self.base = 0
        self.n_in = 0
        self.n_out = 0

    def push(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64).ravel()
        if self.bank is None:
            self.n_in += x.size
            self.n_out += x.size
            return x.astype(np.float32)
        self.buf = np.concatenate([self.buf, x])
        self.n_in += x.size
        # output k needs input up to floor((k * down + half) / up)
        k_end = max(self.n_out, (self.n_in * self.up - 1 - self.half) // self.down + 1)
        return self._emit(k_end)

    def flush(self) -> np.ndarray:
        """The outputs still owed: ceil(n_in * dst / src) in all."""
        if self.bank is None:
            return np.zeros(0, np.float32)
        total = -(-self.n_in * self.up // self.down)
        return self._emit(total)

    def _emit(self, k_end: int) -> np.ndarray:
        parts = []
        for k0 in range(self.n_out, k_end, _CHUNK):
            parts.append(self._compute(np.arange(k0, min(k0 + _CHUNK, k_end))))
        self.n_out = max(self.n_out, k_end)
        first = (self.n_out * self.down - self.half + self.up - 1) // self.up  # next output's first input
        drop = min(max(0, first - self.base), self.buf.size)
        self.buf, self.base = self.buf[drop:], self.base + drop
        return (np.concatenate(parts) if parts else np.zeros(0)).astype(np.float32)

    def _compute(self, k: np.ndarray) -> np.ndarray:
        centre = k * self.down  # in upsampled samples
        j0 = -((self.half - centre) // self.up)  # first input j with j * up >= centre - half
        phase = j0 * self.up - centre + self.half  # filter offset of input j0: 0 .. up-1
        idx = j0[:, None] + np.arange(self.taps)[None, :] - self.base
        inside = (idx >= 0) & (idx < self.buf.size)  # before the stream and past its end: silence
        if not self.buf.size:
            return np.zeros(k.size)
        samples = np.where(inside, self.buf[np.clip(idx, 0, self.buf.size - 1)], 0.0)
        return (samples * self.bank[phase]).sum(axis=1)


@lru_cache(maxsize=4)
def _filter_bank(up: int, down: int) -> np.ndarray:
    """(up, taps): row r holds the filter at upsampled offsets r, r + up, r + 2 up, ... Shared by
    every stream at the same rates (read only). Common rates make small banks (44.1 kHz: 160 x 57);
    a rate with a small common divisor with 16 kHz makes a large one (44101 Hz: 16000 x 57, 7 MB),
    so only the last few are kept."""
    half = ZERO_CROSSINGS * max(up, down)
    taps = -(-(2 * half + 1) // up) + 1
    n = np.arange(2 * half + 1) - half
    h = np.sinc(n / max(up, down)) * np.kaiser(n.size, KAISER_BETA)
    h *= up / h.sum()
    padded = np.zeros(up * taps)
    padded[: h.size] = h
    bank = np.ascontiguousarray(padded.reshape(taps, up).T)
    bank.flags.writeable = False
    return bank


def resample(audio: np.ndarray, src_rate: int, dst_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A whole signal to dst_rate: ceil(len * dst / src) samples, float32."""
    r = Resampler(src_rate, dst_rate)
    return np.concatenate([r.push(audio), r.flush()])
