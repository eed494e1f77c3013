"""The motion engine's smoothing filters: one-pole and critically damped low-passes, and a linear
(IIR) filter with carried state.

Why not scipy.signal: importing it costs 0.7 s at every start of the CLI and the service (scipy 1.17
parses every docstring of scipy.signal and scipy.stats on import), about a tenth of a 10 s render,
and the motion engine needs only these few low-order filters at the motion tick rate (100 Hz)."""

from __future__ import annotations

import numpy as np

from .audio_features import FRAME_RATE as TICK_RATE  # the motion engine ticks once per feature frame

BLOCK = 32  # ticks per block of IIRFilter's block form


def one_pole(tau_s: float, rate: float = TICK_RATE) -> tuple[np.ndarray, np.ndarray]:
    """y[n] = (1 - a) x[n] + a y[n-1]: an exponential follower with time constant tau."""
    a = float(np.exp(-1.0 / (tau_s * rate)))
    return np.array([1.0 - a]), np.array([1.0, -a])


def critically_damped(tau_s: float, rate: float = TICK_RATE) -> tuple[np.ndarray, np.ndarray]:
    """Two cascaded one-pole low-passes with time constant tau: a smooth, overshoot-free follower."""
    b1, a1 = one_pole(tau_s, rate)
    return np.convolve(b1, b1), np.convolve(a1, a1)


def _normalised(b: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = np.atleast_1d(np.asarray(b, np.float64))
    a = np.atleast_1d(np.asarray(a, np.float64))
    if a[0] == 0.0:
        raise ValueError("the filter's first denominator coefficient must not be zero")
    m = max(b.size, a.size)
    return np.pad(b, (0, m - b.size)) / a[0], np.pad(a, (0, m - a.size)) / a[0]


class IIRFilter:
    """The filter b/a over inputs of shape (n, *channels), fed in pieces of any length, the state
    carried between them; the same output samples however the input is split.

    A Python step per tick cost 3.5 us (0.23 s per minute of audio over the engine's eleven
    filters); here the state-space form runs a block of BLOCK ticks as one matrix product. Blocks
    lie on a fixed grid counted from the last `rest`, and a block's rows are always computed from
    the whole (zero-padded) block, so the arithmetic of every output sample is the same whether
    its block arrived whole or in pieces (entries past a row are multiplied by exact zeros)."""

    def __init__(self, b: np.ndarray, a: np.ndarray, channels: tuple[int, ...] = ()) -> None:
        b, a = _normalised(b, a)
        p = b.size - 1
        self.shape = tuple(channels)
        # state update z' = A z + g x, output y = z[0] + b0 x (direct form II transposed)
        A = np.zeros((p, p))
        if p:
            A[:-1, 1:] = np.eye(p - 1)
            A[:, 0] -= a[1:]
        g = b[1:] - a[1:] * b[0]
        powers = [np.eye(p)]
        for _ in range(BLOCK):
            powers.append(A @ powers[-1])
        h = np.array([b[0]] + [(powers[j - 1] @ g)[0] if p else 0.0 for j in range(1, BLOCK)])
        lag = np.subtract.outer(np.arange(BLOCK), np.arange(BLOCK))
        self.T = np.where(lag >= 0, h[np.maximum(lag, 0)], 0.0)  # input -> output within a block
        # block-start state -> output rows, and the block's end state from its start and inputs
        self.O = np.array([m[0] for m in powers[:BLOCK]]) if p else np.zeros((BLOCK, 0))
        self.A_block = powers[BLOCK]
        self.G_block = (
            np.array([powers[BLOCK - 1 - m] @ g for m in range(BLOCK)]).T if p else np.zeros((0, BLOCK))
        )
        self.unit_rest = lfilter_zi(b, a)
        self.rest()

    def rest(self, value: float | np.ndarray = 0.0) -> None:
        """The state the filter settles in on a constant input `value` (per channel), at a block
        boundary: the start of a stream."""
        v = np.broadcast_to(np.asarray(value, np.float64), self.shape).reshape(-1)
        self.z = np.outer(self.unit_rest, v)  # (order, channels)
        self.buf = np.zeros((BLOCK, v.size))
        self.fill = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)
        if x.shape[1:] != self.shape:
            raise ValueError(f"expected input of shape (n, *{self.shape}), got {x.shape}")
        flat = x.reshape(x.shape[0], self.buf.shape[1])
        out = np.empty_like(flat)
        i = 0
        while i < flat.shape[0]:
            take = min(flat.shape[0] - i, BLOCK - self.fill)
            self.buf[self.fill : self.fill + take] = flat[i : i + take]
            y = self.T @ self.buf + self.O @ self.z
            out[i : i + take] = y[self.fill : self.fill + take]
            self.fill += take
            i += take
            if self.fill == BLOCK:
                self.z = self.A_block @ self.z + self.G_block @ self.buf
                self.buf[:] = 0.0
                self.fill = 0
        return out.reshape(x.shape)


def lfilter_zi(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The state of the filter at rest on a constant input of 1 (its step response's steady state)."""
    b, a = _normalised(b, a)
    order = b.size - 1
    if order == 0:
        return np.zeros(0)
    companion = np.zeros((order, order))
    companion[0] = -a[1:]
    companion[1:, :-1] = np.eye(order - 1)
    return np.linalg.solve(np.eye(order) - companion.T, b[1:] - a[1:] * b[0])
