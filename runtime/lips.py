"""Lips: feature frames -> viseme posteriors -> ARKit mouth blendshapes.

The posteriors come from a small causal network (runtime/models/lips.onnx, trained by
scripts/train_lips.py on festival speech with exact phone timings) that sees CONTEXT_PAST frames of
the past and LOOK_AHEAD frames of the future. One table maps each viseme to mouth blendshapes; the
blend is the posterior-weighted mix, then a critically damped filter provides coarticulation
(no chatter). A loudness-to-jaw baseline lives here too, for the benchmark.
"""

from __future__ import annotations

import logging
from importlib import resources

import numpy as np

from .audio_features import N_FEATURES
from .iir import IIRFilter, critically_damped, one_pole
from .names import ARKIT_INDEX, VISEME_INDEX, VISEME_NAMES
from .ort_runtime import onnxruntime

log = logging.getLogger("facecast")

CONTEXT_PAST = 12  # frames of history the model sees (120 ms)
LOOK_AHEAD = 5  # frames of future the model sees (50 ms)
CONTEXT = CONTEXT_PAST + 1 + LOOK_AHEAD
MODEL_FILE = "lips.onnx"

# Mouth shapes per viseme. Lips are shut when jawOpen - mouthClose is about 0.
_VISEME_SHAPES: dict[str, dict[str, float]] = {
    "sil": {"jawOpen": 0.02, "mouthClose": 0.02},
    "PP": {
        "jawOpen": 0.07,
        "mouthClose": 0.07,
        "mouthPressLeft": 0.35,
        "mouthPressRight": 0.35,
        "mouthRollLower": 0.12,
        "mouthRollUpper": 0.08,
    },
    "FF": {
        "jawOpen": 0.08,
        "mouthClose": 0.04,
        "mouthRollLower": 0.5,
        "mouthUpperUpLeft": 0.2,
        "mouthUpperUpRight": 0.2,
    },
    "TH": {"jawOpen": 0.13, "tongueOut": 0.25, "mouthUpperUpLeft": 0.1, "mouthUpperUpRight": 0.1},
    "DD": {
        "jawOpen": 0.14,
        "mouthStretchLeft": 0.1,
        "mouthStretchRight": 0.1,
        "mouthUpperUpLeft": 0.1,
        "mouthUpperUpRight": 0.1,
    },
    "kk": {"jawOpen": 0.2, "mouthStretchLeft": 0.1, "mouthStretchRight": 0.1},
    "CH": {
        "jawOpen": 0.13,
        "mouthFunnel": 0.35,
        "mouthPucker": 0.15,
        "mouthUpperUpLeft": 0.2,
        "mouthUpperUpRight": 0.2,
        "mouthLowerDownLeft": 0.2,
        "mouthLowerDownRight": 0.2,
    },
    "SS": {
        "jawOpen": 0.06,
        "mouthStretchLeft": 0.25,
        "mouthStretchRight": 0.25,
        "mouthUpperUpLeft": 0.15,
        "mouthUpperUpRight": 0.15,
        "mouthLowerDownLeft": 0.12,
        "mouthLowerDownRight": 0.12,
        "mouthClose": 0.02,
    },
    "nn": {"jawOpen": 0.12, "mouthStretchLeft": 0.05, "mouthStretchRight": 0.05},
    "RR": {"jawOpen": 0.15, "mouthFunnel": 0.25, "mouthPucker": 0.25},
    "aa": {
        "jawOpen": 0.64,
        "mouthLowerDownLeft": 0.3,
        "mouthLowerDownRight": 0.3,
        "mouthUpperUpLeft": 0.1,
        "mouthUpperUpRight": 0.1,
    },
    "E": {
        "jawOpen": 0.42,
        "mouthStretchLeft": 0.3,
        "mouthStretchRight": 0.3,
        "mouthSmileLeft": 0.085,
        "mouthSmileRight": 0.085,
        "mouthLowerDownLeft": 0.2,
        "mouthLowerDownRight": 0.2,
    },
    "ih": {
        "jawOpen": 0.24,
        "mouthStretchLeft": 0.35,
        "mouthStretchRight": 0.35,
        "mouthSmileLeft": 0.13,
        "mouthSmileRight": 0.13,
        "mouthUpperUpLeft": 0.1,
        "mouthUpperUpRight": 0.1,
    },
    "oh": {"jawOpen": 0.46, "mouthFunnel": 0.5, "mouthPucker": 0.2},
    "ou": {"jawOpen": 0.16, "mouthPucker": 0.6, "mouthFunnel": 0.35},
}
MOUTH_SHAPES: tuple[str, ...] = tuple(
    sorted({k for v in _VISEME_SHAPES.values() for k in v}, key=ARKIT_INDEX.get)
)
MOUTH_INDEX = np.array([ARKIT_INDEX[n] for n in MOUTH_SHAPES])
VISEME_TABLE = np.zeros((len(VISEME_NAMES), len(MOUTH_SHAPES)), np.float32)
for _v, _shapes in _VISEME_SHAPES.items():
    for _n, _x in _shapes.items():
        VISEME_TABLE[VISEME_INDEX[_v], MOUTH_SHAPES.index(_n)] = _x


_COART_B, _COART_A = critically_damped(0.012)
# The bilabial seal ramps in from a PP posterior of SEAL_FROM to SEAL_FROM + SEAL_WIDTH. On real read
# speech the model is less sure of its bilabials than on the synthetic voices it learnt from (median
# PP at a real m/b/p 0.28, at a synthetic one 0.55), while open vowels stay under 0.2: starting at
# 0.10 closes real bilabials (0.59 -> 0.83 of frames) for 0.8% of open-vowel frames (docs/motion.md).
SEAL_FROM, SEAL_WIDTH = 0.10, 0.25
MAX_STEP = 0.1  # per 10 ms tick
LOUD_MIN, LOUD_MAX = 0.6, 1.1  # jaw gain from quiet to loud (jawOpen stays <= 0.7)
# Openness normalisation: the 90th percentile of jawOpen while speaking, tracked online, is pulled
# up toward OPEN_TARGET (at most OPEN_GAIN_MAX times). Clean speech already sits there (0.36-0.45);
# speech over music or noise leaves the model less sure of its visemes and the mouth half-open
# (p90 0.27 on the dev news clip over music).
OPEN_TARGET, OPEN_GAIN_MAX = 0.40, 1.35
OPEN_Q, OPEN_RATE, OPEN_SPEAKING = 0.9, 0.004, 0.08  # quantile, step per tick, jaw counted as speech
_LOUD_B, _LOUD_A = one_pole(0.03)
_TABLE64 = VISEME_TABLE.astype(np.float64)


class LipModel:
    """The ONNX viseme classifier: (n, CONTEXT * N_FEATURES) -> (n, 15) posteriors."""

    def __init__(self, path=None) -> None:
        ort = onnxruntime()

        if path is None:
            path = resources.files("facecast.runtime") / "models" / MODEL_FILE
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        if windows.shape[0] == 0:
            return np.zeros((0, len(VISEME_NAMES)), np.float32)
        return self.session.run(None, {self.input: windows.astype(np.float32, copy=False)})[0]


_MODEL: LipModel | None = None


def lip_model() -> LipModel:
    """Loaded once per process (an InferenceSession is thread-safe for run())."""
    global _MODEL
    if _MODEL is None:
        _MODEL = LipModel()
    return _MODEL


def context_windows(history: np.ndarray, n_new: int) -> np.ndarray:
    """Rows of CONTEXT stacked frames. `history` holds the last CONTEXT - 1 + n_new frames; row j is
    centred on frame history[CONTEXT_PAST + j]."""
    if n_new <= 0:
        return np.zeros((0, CONTEXT * N_FEATURES), np.float32)
    w = np.lib.stride_tricks.sliding_window_view(history, (CONTEXT, N_FEATURES))[:n_new, 0]
    return w.reshape(n_new, CONTEXT * N_FEATURES)


_PP, _SIL = VISEME_INDEX["PP"], VISEME_INDEX["sil"]
_JAW, _CLOSE = MOUTH_SHAPES.index("jawOpen"), MOUTH_SHAPES.index("mouthClose")


def bilabial_seal(vis: np.ndarray) -> np.ndarray:
    """(n,) 0..1: how surely the lips seal for a bilabial, from the smoothed visemes (n, 15)."""
    seal = np.clip((vis[:, _PP] - SEAL_FROM) / SEAL_WIDTH, 0.0, 1.0)
    return seal * seal * (3.0 - 2.0 * seal)


class LipState:
    """Coarticulation across blocks: the posteriors pass a critically damped filter (state carried
    exactly by iir.IIRFilter), then the viseme table; a likely bilabial (PP past SEAL_FROM) seals the lips."""

    def __init__(self) -> None:
        self.coart = IIRFilter(_COART_B, _COART_A, (len(VISEME_NAMES),))
        self.coart.rest(np.eye(len(VISEME_NAMES))[_SIL])  # at rest on silence
        self.last = VISEME_TABLE[_SIL].astype(np.float64)  # mouth at the previous tick
        self.loud = IIRFilter(_LOUD_B, _LOUD_A)
        self.open_p90 = OPEN_TARGET  # running 90th percentile of jawOpen while speaking

    def step(
        self, posteriors: np.ndarray, level_db: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n, 15) posteriors -> smoothed visemes (n, 15) and mouth blendshapes (n, len(MOUTH_SHAPES))."""
        if posteriors.shape[0] == 0:
            return np.zeros((0, len(VISEME_NAMES))), np.zeros((0, len(MOUTH_SHAPES)))
        vis = self.coart(posteriors)
        mouth = np.einsum("ij,jk->ik", vis, _TABLE64, optimize=False)
        # a mixed vote (PP 0.6, aa 0.4) would leave the lips ajar; closure needs them sealed
        seal = bilabial_seal(vis)
        mouth[:, _JAW] *= 1.0 - 0.5 * seal
        if level_db is not None:  # louder syllables open wider (real speech dynamics)
            loud = np.clip(10.0 ** (level_db / 20.0), 0.0, 1.0)
            gain = self.loud(LOUD_MIN + (1.0 - LOUD_MIN) * 2.0 * loud)
            mouth[:, _JAW] *= np.minimum(gain, LOUD_MAX)
            mouth[:, _CLOSE] *= np.minimum(gain, LOUD_MAX)
        mouth = self._normalise_openness(mouth)
        mouth = self._slew(mouth)
        # sealed on a bilabial; never past closed (mouthClose > jawOpen pushes the lips through)
        mouth[:, _CLOSE] = np.minimum(np.maximum(mouth[:, _CLOSE], mouth[:, _JAW] * seal), mouth[:, _JAW])
        return vis, mouth

    def _normalise_openness(self, mouth: np.ndarray) -> np.ndarray:
        """Scale jawOpen and mouthClose together (a closed mouth stays closed) so the speaker's
        wide openings reach OPEN_TARGET. The percentile is tracked per tick (a stochastic quantile
        estimate: up by RATE x 0.1 when above it, down by RATE x 0.9 when below), so streaming in
        any block size gives the same result as offline."""
        q = self.open_p90
        gains = []
        for jaw in mouth[:, _JAW].tolist():  # plain floats: a live block is 2 ticks, numpy costs more
            if jaw > OPEN_SPEAKING:
                q += OPEN_RATE * (OPEN_Q - (jaw < q))
            g = min(OPEN_GAIN_MAX, max(1.0, OPEN_TARGET / max(q, 1e-3)))
            # only real openings grow: a mouth at rest or nearly shut stays as it is
            t = min(1.0, max(0.0, (jaw - 0.06) / 0.14))
            gains.append(1.0 + (g - 1.0) * t * t * (3.0 - 2.0 * t))
        self.open_p90 = q
        gains = np.asarray(gains)
        mouth[:, _JAW] *= gains
        mouth[:, _CLOSE] *= gains
        return mouth

    def _slew(self, mouth: np.ndarray) -> np.ndarray:
        """Limit every shape's change per tick: a jaw swings about 0.5 in 50 ms, no faster, so
        sudden vote changes never make the mouth snap or chatter (lips still seal at once)."""
        out = np.empty_like(mouth)
        last = self.last
        for i in range(mouth.shape[0]):
            last = last + np.clip(mouth[i] - last, -MAX_STEP, MAX_STEP)
            out[i] = last
        self.last = last
        return out


def loudness_jaw(level_db: np.ndarray) -> np.ndarray:
    """The baseline every volume-meter lip sync uses: jaw opening proportional to the RMS amplitude
    relative to the recent speech peak (0.7 at the peak)."""
    return np.clip(0.7 * 10.0 ** (np.asarray(level_db, np.float64) / 20.0), 0.0, 1.0)
