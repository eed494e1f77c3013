"""Music for the lip model's training: instrumental beds to lay under speech and to play alone.

Without them the model had only heard speech, silence and noise, and on an instrumental passage it
guessed visemes: the mouth opened past 0.1 in a third to a half of the frames of Ren'Py's demo
music. Beds are synthetic (chords, a melody, a bass line and drums at a random tempo and timbre,
so no one recording is learnt) or cut from music files given with --music (decoded at the
runtime's rate).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

RATE = 16000


def _tone(freq: float, n: int, partials: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A harmonic note: partial k at k * freq with the given amplitudes, slightly detuned."""
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for k, amp in enumerate(partials, start=1):
        f = k * freq * (1 + rng.normal(0, 0.002))
        if f < RATE / 2 - 200:
            out += amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return out


def _envelope(n: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / RATE
    env = np.minimum(1.0, t / max(attack, 1e-3)) * np.exp(-t / max(decay, 1e-3))
    fade = min(n, int(0.01 * RATE))
    env[n - fade :] *= np.linspace(1, 0, fade)
    return env


def synthetic_music(n: int, rng: np.random.Generator) -> np.ndarray:
    """n samples of a random instrumental: chord pad, melody, bass and drums (each part optional)."""
    out = np.zeros(n)
    beat = int(RATE * 60 / rng.uniform(70, 150))
    root = 110 * 2 ** (rng.integers(0, 12) / 12)
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
    timbre = (1.0 / np.arange(1, 9)) ** rng.uniform(0.6, 2.0)  # bright to mellow
    if rng.random() < 0.8:  # chord pad, a chord every 2-4 beats
        step = beat * int(rng.integers(2, 5))
        for s in range(0, n, step):
            m = min(step, n - s)
            deg = int(rng.integers(0, 5))
            for d in (0, 2, 4):
                f = root * 2 ** (scale[deg + d] / 12) * 2
                out[s : s + m] += 0.25 * _tone(f, m, timbre, rng) * _envelope(m, 0.08, 3.0)
    if rng.random() < 0.8:  # melody, plucked or sung-like notes
        s = 0
        while s < n:
            m = min(int(beat * rng.choice([0.5, 1, 1, 2])), n - s)
            if rng.random() < 0.85:
                f = root * 4 * 2 ** (scale[int(rng.integers(0, len(scale)))] / 12)
                env = _envelope(m, rng.uniform(0.005, 0.08), rng.uniform(0.1, 1.0))
                out[s : s + m] += 0.4 * _tone(f, m, timbre, rng) * env
            s += m
    if rng.random() < 0.7:  # bass on the beat
        for s in range(0, n, beat * 2):
            m = min(beat * 2, n - s)
            f = root / 2 * 2 ** (scale[int(rng.integers(0, 5))] / 12)
            out[s : s + m] += 0.5 * _tone(f, m, timbre[:4], rng) * _envelope(m, 0.01, 0.5)
    if rng.random() < 0.7:  # drums: kick on beats, hats or snare between
        for s in range(0, n, beat):
            m = min(beat, n - s)
            t = np.arange(m) / RATE
            out[s : s + m] += (
                0.8 * np.sin(2 * np.pi * 55 * t * (1 + 2 * np.exp(-t / 0.03))) * np.exp(-t / 0.12)
            )
            h = s + beat // 2
            if h < n:
                mh = min(beat // 2, n - h)
                noise = sosfilt(
                    butter(2, rng.uniform(2000, 6000), "high", fs=RATE, output="sos"), rng.standard_normal(mh)
                )
                out[h : h + mh] += 0.3 * noise * np.exp(-np.arange(mh) / RATE / rng.uniform(0.02, 0.15))
    if rng.random() < 0.4:  # a room
        ir = rng.standard_normal(int(0.3 * RATE)) * np.exp(-np.arange(int(0.3 * RATE)) / (0.06 * RATE))
        ir[0] = 3.0
        out = np.convolve(out, ir / np.sqrt(np.sum(ir**2)))[:n]
    return out / (np.max(np.abs(out)) + 1e-9)


class MusicBeds:
    """Random stretches of music: cut from the given files or synthesised."""

    def __init__(self, files: list[Path] | None = None) -> None:
        self.tracks = []
        for f in files or []:
            from facecast.runtime.audio_io import load_audio

            a = load_audio(f).astype(np.float64)
            self.tracks.append(a / (np.max(np.abs(a)) + 1e-9))

    def __call__(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.tracks and rng.random() < 0.5:
            a = self.tracks[int(rng.integers(len(self.tracks)))]
            if len(a) > n:
                s = int(rng.integers(0, len(a) - n))
                return a[s : s + n].copy()
        return synthetic_music(n, rng)
