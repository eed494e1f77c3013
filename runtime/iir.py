"""The motion engine's smoothing filters: one-pole and critically damped low-passes and a direct-form
II transposed IIR filter with carried state.

Why not scipy.signal: importing it costs 0.7 s at every start of the CLI and the service (scipy 1.17
parses every docstring of scipy.signal and scipy.stats on import), about a tenth of a 10 s render,
and the motion engine needs only these few low-order filters at the motion tick rate (100 Hz). The
state convention is scipy's (`zi`, the filter's delay line), so blocks chain exactly."""

from __future__ import annotations

import numpy as np

from .audio_features import FRAME_RATE as TICK_RATE  # the motion engine ticks once per feature frame


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


def lfilter(
    b: np.ndarray, a: np.ndarray, x: np.ndarray, axis: int = -1, zi: np.ndarray | None = None
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Filter x along `axis` by b/a; with zi (shape: x's with the axis of length order), also return
    the final state, so that filtering a signal in blocks gives what filtering it whole does."""
    b, a = _normalised(b, a)
    order = b.size - 1
    x = np.moveaxis(np.asarray(x, np.float64), axis, 0)
    rest = x.shape[1:]
    z = np.zeros((order, *rest)) if zi is None else np.moveaxis(np.asarray(zi, np.float64), axis, 0).copy()
    if z.shape != (order, *rest):
        raise ValueError(f"zi must have shape {(order, *rest)} along the filtered axis, got {z.shape}")
    y = np.empty_like(x)
    if order == 0:
        y[:] = b[0] * x
    elif order == 1:  # the common case, kept to scalar arithmetic on the state row
        b0, b1, a1 = b[0], b[1], a[1]
        s = z[0]
        for n in range(x.shape[0]):
            xn = x[n]
            yn = b0 * xn + s
            s = b1 * xn - a1 * yn
            y[n] = yn
        z[0] = s
    else:
        shape = (order,) + (1,) * len(rest)
        bk, ak = b[1:].reshape(shape), a[1:].reshape(shape)
        for n in range(x.shape[0]):
            xn = x[n]
            yn = b[0] * xn + z[0]
            z[:-1] = z[1:]
            z[-1] = 0.0
            z += bk * xn - ak * yn
            y[n] = yn
    y = np.moveaxis(y, 0, axis)
    return y if zi is None else (y, np.moveaxis(z, 0, axis))


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
