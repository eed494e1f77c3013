"""Head motion from prosody: smooth stochastic drift plus nods on stressed syllables.

Runs at the engine's tick rate (100 Hz) on whole blocks of ticks. Every filter is linear with its
state carried across blocks (iir.IIRFilter) and the noise comes from a seeded generator that
is drawn in tick order, so the output does not depend on how the audio was chunked.

Components (degrees): a slow drift (seconds; the head wanders between phrases), a livelier
component that grows while speaking, nods (chin dips) on loudness/pitch peaks, and breathing
with a wandering period (no visible loop) that dominates when idle. Amplitudes are calibrated to
real talkers' statistics (yaw std 1.5..16 deg, pitch std 1..4.5 deg, head speed 0.5..1.5 deg
per frame at 25 FPS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .iir import TICK_RATE, IIRFilter, critically_damped, one_pole


def _unit_gain(tau_s: float) -> float:
    """1 / std of the critically damped filter's response to unit white noise. Its impulse response
    is (1 - a)^2 (n + 1) a^n; summed in closed form over the 4001 ticks the gain always covered."""
    a = float(np.exp(-1.0 / (tau_s * TICK_RATE)))
    n = np.arange(4001)
    h = (1.0 - a) ** 2 * (n + 1) * a**n
    return float(1.0 / np.sqrt(np.sum(h**2)))


@dataclass(frozen=True)
class HeadOptions:
    slow_tau: float = 1.4  # s: phrase-level drift
    fast_tau: float = 0.16  # s: speech-driven motion
    yaw_slow: float = 5.5  # deg std
    pitch_slow: float = 1.4
    roll_slow: float = 1.6
    yaw_fast: float = 4.5
    pitch_fast: float = 2.4
    roll_fast: float = 1.6
    nod: float = 5.0  # deg of chin dip per unit emphasis
    breath_pitch: float = 0.35  # deg
    breath_y: float = 0.0025  # fraction of frame
    x_per_yaw: float = 0.0015  # head translation that goes with rotation
    y_per_pitch: float = 0.001


class HeadMotion:
    """Block-wise head pose: yaw, pitch, roll (deg), x, y (fraction of frame), plus emphasis 0..1."""

    def __init__(self, seed: int, options: HeadOptions | None = None) -> None:
        self.o = options or HeadOptions()
        self.reseed(seed)
        self.f_slow = IIRFilter(*critically_damped(self.o.slow_tau), (4,))
        self.f_fast = IIRFilter(*critically_damped(self.o.fast_tau), (3,))
        self.g_slow = _unit_gain(self.o.slow_tau)
        self.g_fast = _unit_gain(self.o.fast_tau)
        self.f_act = IIRFilter(*one_pole(0.35))
        self.f_env_f = IIRFilter(*one_pole(0.03))
        self.f_env_s = IIRFilter(*one_pole(0.5))
        self.f_nod = IIRFilter(*critically_damped(0.07))
        self.g_nod = 1.0 / float(np.sum(self.f_nod(np.r_[1.0, np.zeros(400)])) or 1.0)
        self.reset_state()

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng([int(seed), 101])

    def reset_state(self) -> None:
        for f in (self.f_slow, self.f_fast, self.f_act, self.f_env_f, self.f_env_s, self.f_nod):
            f.rest()
        self.breath_phase = 0.0
        self.pitch_ref = 0.0  # running mean of log2 pitch while voiced

    def step(
        self, level: np.ndarray, snr: np.ndarray, pitch: np.ndarray, style: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """level/snr (dB), pitch (Hz) per tick; style (n, 5): amp, liveliness, pitch/yaw/roll bias.
        Returns head (n, 5), emphasis (n,) and speech activity (n,)."""
        n = level.size
        o = self.o
        speaking = ((snr > 15.0) & (level > -35.0)).astype(np.float64)
        act = self.f_act(speaking)
        loud = np.clip((level.astype(np.float64) + 40.0) / 40.0, 0.0, 1.0) * speaking
        env_f = self.f_env_f(loud)
        env_s = self.f_env_s(loud)
        accent = self._pitch_accent(pitch)
        emph = np.clip(env_f - env_s - 0.06, 0.0, None) * 3.0 + 0.5 * accent * speaking
        nod = self.f_nod(emph)
        nod = np.clip(nod * self.g_nod * 0.5, 0.0, 1.0)

        w = self.rng.standard_normal((n, 7))
        slow = self.f_slow(w[:, :4])
        fast = self.f_fast(w[:, 4:])
        slow *= self.g_slow
        fast *= self.g_fast
        amp, lively = style[:, 0], style[:, 1]
        drive = (0.25 + 0.75 * act) * lively
        yaw = amp * (o.yaw_slow * slow[:, 0] + o.yaw_fast * fast[:, 0] * drive) + style[:, 3]
        roll = amp * (o.roll_slow * slow[:, 2] + o.roll_fast * fast[:, 2] * drive) + style[:, 4]
        # breathing: period wanders with the fourth slow noise channel
        inc = 2.0 * np.pi * (0.25 + 0.04 * slow[:, 3]) / TICK_RATE
        phase = np.cumsum(np.concatenate([[self.breath_phase], inc]))[1:]
        if n:  # unbounded on purpose: wrapping it per block would make chunking change the output
            self.breath_phase = float(phase[-1])
        breath = np.sin(phase) * (1.0 - 0.6 * act)
        pitch_deg = (
            amp * (o.pitch_slow * slow[:, 1] + o.pitch_fast * fast[:, 1] * drive - o.nod * nod)
            + o.breath_pitch * breath
            + style[:, 2]
        )
        head = np.empty((n, 5))
        head[:, 0] = yaw
        head[:, 1] = pitch_deg
        head[:, 2] = roll
        head[:, 3] = o.x_per_yaw * yaw
        head[:, 4] = o.y_per_pitch * pitch_deg + o.breath_y * breath
        return head, np.clip(nod, 0.0, 1.0), act

    def _pitch_accent(self, pitch: np.ndarray) -> np.ndarray:
        """How far above the talker's running pitch each voiced tick is (octaves, 0..1)."""
        out = np.zeros(pitch.size)
        ref = self.pitch_ref
        for i, f in enumerate(pitch.tolist()):
            if f > 0.0:
                lp = np.log2(f)
                ref = lp if ref == 0.0 else ref + 0.01 * (lp - ref)
                out[i] = min(max(lp - ref - 0.1, 0.0) * 2.0, 1.0)
        self.pitch_ref = ref
        return out
