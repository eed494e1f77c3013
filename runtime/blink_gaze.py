"""Blinks and gaze shifts: event processes at the engine's tick rate (100 Hz).

Blinks are a renewal process (refractory period, gamma-distributed intervals around 3.5 s) with
extra blinks at phrase ends, as real talkers do. Gaze holds the target (the camera by default) with
small saccades and holds, and now and then glances away and back, more often in pauses. Each
process has its own seeded generator, drawn only at events in tick order, so chunking never
changes the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .iir import TICK_RATE, IIRFilter, one_pole


@dataclass(frozen=True)
class BlinkGazeOptions:
    blink_mean_s: float = 3.6  # mean interval between spontaneous blinks
    refractory_s: float = 0.6
    phrase_end_blink: float = 0.55  # probability of a blink when a phrase ends
    double_blink: float = 0.08
    close_s: float = 0.08
    hold_s: float = 0.06
    open_s: float = 0.17
    saccade_mean_s: float = 1.1
    saccade_deg: float = 1.3
    glance_prob_speaking: float = 0.08
    glance_prob_idle: float = 0.2
    eye_tau_s: float = 0.012  # saccades take a few tens of ms


def _blink_profile(o: BlinkGazeOptions) -> np.ndarray:
    c, h, op = (max(1, round(x * TICK_RATE)) for x in (o.close_s, o.hold_s, o.open_s))
    close = np.sin(0.5 * np.pi * np.arange(1, c + 1) / c) ** 2
    opening = 1.0 - np.sin(0.5 * np.pi * np.arange(1, op + 1) / op) ** 2
    return np.concatenate([close, np.ones(h), opening])


class BlinkGaze:
    def __init__(self, seed: int, options: BlinkGazeOptions | None = None) -> None:
        self.o = options or BlinkGazeOptions()
        self.profile = _blink_profile(self.o)
        self.f_eye = IIRFilter(*one_pole(self.o.eye_tau_s), (2,))
        self.reseed(seed)
        self.reset_state()

    def reseed(self, seed: int) -> None:
        self.rng_blink = np.random.default_rng([int(seed), 202])
        self.rng_gaze = np.random.default_rng([int(seed), 303])

    def reset_state(self) -> None:
        self.tick = 0
        self.blinks: list[int] = []  # start ticks of blinks that may still be visible
        self.last_blink = -10_000
        self.next_blink = self._blink_interval(first=True)
        self.was_speaking = False
        self.next_saccade = int(self.rng_gaze.integers(30, 120))
        self.offset = (0.0, 0.0)
        self.away_until = -1
        self.f_eye.rest()

    def _blink_interval(self, first: bool = False) -> int:
        o = self.o
        if first:
            return int(self.rng_blink.uniform(0.3, o.blink_mean_s) * TICK_RATE)
        gap = o.refractory_s + self.rng_blink.gamma(2.0, (o.blink_mean_s - o.refractory_s) / 2.0)
        return int(gap * TICK_RATE)

    def _blink_at(self, tick: int, rate: float) -> None:
        self.blinks.append(tick)
        self.last_blink = tick
        self.next_blink = tick + int(self._blink_interval() / max(rate, 0.2))
        if self.rng_blink.random() < self.o.double_blink:
            self.blinks.append(tick + len(self.profile) + int(self.rng_blink.integers(2, 10)))

    def step(self, speaking: np.ndarray, blink_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """speaking (n,) 0..1 activity, blink_rate (n,) factor. Returns blink (n,) 0..1 and the gaze
        offset from the target (n, 2) degrees yaw, pitch."""
        n = speaking.size
        t0, t1 = self.tick, self.tick + n
        o = self.o
        talk = speaking > 0.5
        prev = np.concatenate([[self.was_speaking], talk[:-1]]) if n else talk
        phrase_ends = (t0 + np.nonzero(prev & ~talk)[0]).tolist()
        # blinks, in tick order: renewals and phrase-end blinks
        for end in phrase_ends + [t1]:
            while self.next_blink < min(end, t1):
                self._blink_at(self.next_blink, float(blink_rate[self.next_blink - t0]))
            if end < t1 and end - self.last_blink > o.refractory_s * TICK_RATE:
                if self.rng_blink.random() < o.phrase_end_blink:
                    self._blink_at(end + int(self.rng_blink.integers(5, 30)), float(blink_rate[end - t0]))
        blink = np.zeros(n)
        span = len(self.profile)
        for s in self.blinks:
            lo, hi = max(s, t0), min(s + span, t1)
            if lo < hi:
                blink[lo - t0 : hi - t0] = np.maximum(blink[lo - t0 : hi - t0], self.profile[lo - s : hi - s])
        self.blinks = [s for s in self.blinks if s + span > t1]
        # gaze: piecewise-constant offsets switched at saccade events
        target = np.empty((n, 2))
        pos = t0
        while pos < t1:
            stop = min(self.next_saccade, t1)
            target[pos - t0 : stop - t0] = self.offset
            pos = stop
            if self.next_saccade < t1:
                self._saccade(talk[self.next_saccade - t0])
        gaze = self.f_eye(target)
        self.was_speaking = bool(talk[-1]) if n else self.was_speaking
        self.tick = t1
        return blink, gaze

    def _saccade(self, speaking: bool) -> None:
        o, r = self.o, self.rng_gaze
        now = self.next_saccade
        if self.away_until >= 0:  # end of a glance away: back to the target
            self.offset = (float(r.normal(0, 0.6)), float(r.normal(0, 0.4)))
            self.away_until = -1
            self.next_saccade = now + int((0.4 + r.exponential(o.saccade_mean_s)) * TICK_RATE)
            return
        p_glance = o.glance_prob_speaking if speaking else o.glance_prob_idle
        if r.random() < p_glance:
            side = 1.0 if r.random() < 0.5 else -1.0
            self.offset = (side * float(r.uniform(6, 14)), float(r.uniform(-8, 3)))
            hold = int(r.uniform(0.5, 1.3) * TICK_RATE)
            self.away_until = now + hold
            self.next_saccade = now + hold
        else:
            d = o.saccade_deg
            self.offset = (float(np.clip(r.normal(0, d), -3, 3)), float(np.clip(r.normal(0, 0.6 * d), -2, 2)))
            self.next_saccade = now + int((0.3 + r.exponential(o.saccade_mean_s)) * TICK_RATE)
