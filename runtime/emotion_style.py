"""Emotion: blendshape offsets and a style of motion per emotion, cross-faded smoothly.

The mixer keeps one weight per emotion, each following its target (intensity for the chosen
emotion, the rest for neutral) with a first-order lag, so a live change never jumps. Offsets and
style are the weight-blend of the per-emotion tables below.
"""

from __future__ import annotations

import numpy as np

from .iir import IIRFilter, one_pole
from .names import ARKIT_INDEX, ARKIT_NAMES, EMOTIONS

SMOOTH_S = 0.35

_SHAPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {
        "mouthSmileLeft": 0.8,
        "mouthSmileRight": 0.8,
        "cheekSquintLeft": 0.6,
        "cheekSquintRight": 0.6,
        "eyeSquintLeft": 0.3,
        "eyeSquintRight": 0.3,
        "mouthDimpleLeft": 0.2,
        "mouthDimpleRight": 0.2,
        "mouthUpperUpLeft": 0.15,
        "mouthUpperUpRight": 0.15,
    },
    "sad": {
        "mouthFrownLeft": 0.7,
        "mouthFrownRight": 0.7,
        "browInnerUp": 0.8,
        "mouthShrugLower": 0.3,
        "mouthPressLeft": 0.15,
        "mouthPressRight": 0.15,
        "eyeSquintLeft": 0.1,
        "eyeSquintRight": 0.1,
    },
    "angry": {
        "browDownLeft": 1.0,
        "browDownRight": 1.0,
        "noseSneerLeft": 0.3,
        "noseSneerRight": 0.3,
        "eyeSquintLeft": 0.45,
        "eyeSquintRight": 0.45,
        "mouthPressLeft": 0.4,
        "mouthPressRight": 0.4,
        "mouthFrownLeft": 0.3,
        "mouthFrownRight": 0.3,
        "mouthRollLower": 0.2,
    },
    "surprised": {
        "browInnerUp": 0.9,
        "browOuterUpLeft": 0.9,
        "browOuterUpRight": 0.9,
        "eyeWideLeft": 0.85,
        "eyeWideRight": 0.85,
        "jawOpen": 0.12,
        "mouthShrugUpper": 0.1,
    },
    "fearful": {
        "browInnerUp": 0.9,
        "browOuterUpLeft": 0.35,
        "browOuterUpRight": 0.35,
        "eyeWideLeft": 0.8,
        "eyeWideRight": 0.8,
        "mouthStretchLeft": 0.6,
        "mouthStretchRight": 0.6,
        "jawOpen": 0.05,
        "mouthFrownLeft": 0.1,
        "mouthFrownRight": 0.1,
    },
    "disgusted": {
        "noseSneerLeft": 1.0,
        "noseSneerRight": 1.0,
        "mouthUpperUpLeft": 0.8,
        "mouthUpperUpRight": 0.8,
        "browDownLeft": 0.6,
        "browDownRight": 0.6,
        "cheekSquintLeft": 0.5,
        "cheekSquintRight": 0.5,
        "eyeSquintLeft": 0.4,
        "eyeSquintRight": 0.4,
        "mouthFrownLeft": 0.35,
        "mouthFrownRight": 0.35,
        "mouthShrugLower": 0.4,
        "mouthLowerDownLeft": 0.2,
        "mouthLowerDownRight": 0.2,
    },
}

# Style of motion: head amplitude, liveliness (speed), pitch bias (deg, + chin up), yaw bias,
# roll bias, brow gain on emphasis, blink rate factor.
STYLE_FIELDS = ("amp", "lively", "pitch_bias", "yaw_bias", "roll_bias", "brow_gain", "blink_rate")
_STYLES: dict[str, tuple[float, ...]] = {
    "neutral": (1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0),
    "happy": (1.25, 1.25, 2.0, 0.0, 1.0, 1.3, 1.0),
    "sad": (0.6, 0.6, -5.0, 0.0, -1.5, 0.5, 0.8),
    "angry": (1.1, 1.4, -2.0, 0.0, 0.0, 0.4, 0.8),
    "surprised": (1.1, 1.2, 3.0, 0.0, 0.0, 1.8, 0.6),
    "fearful": (0.8, 1.5, -1.5, -2.0, 0.0, 1.4, 1.4),
    "disgusted": (0.9, 0.9, 1.0, 3.0, 2.0, 0.5, 1.0),
}

SHAPE_MATRIX = np.zeros((len(EMOTIONS), len(ARKIT_NAMES)))
for _i, _e in enumerate(EMOTIONS):
    for _n, _x in _SHAPES[_e].items():
        SHAPE_MATRIX[_i, ARKIT_INDEX[_n]] = _x
STYLE_MATRIX = np.array([_STYLES[e] for e in EMOTIONS], np.float64)


class EmotionMixer:
    def __init__(self) -> None:
        self.filter = IIRFilter(*one_pole(SMOOTH_S), (len(EMOTIONS),))
        self.reset(None)

    def reset(self, start: np.ndarray | None) -> None:
        """Start at `start` weights (the initial controls: no fade-in at the start of a session)."""
        self.filter.rest(0.0 if start is None else np.asarray(start, np.float64))

    @staticmethod
    def target(label: str, intensity: float) -> np.ndarray:
        w = np.zeros(len(EMOTIONS))
        w[0] = 1.0
        if label != "neutral":
            k = EMOTIONS.index(label)
            w[k] = intensity
            w[0] = 1.0 - intensity
        return w

    def step(self, target: np.ndarray, n: int) -> np.ndarray:
        """(n, 7) smoothed weights while the target stays put for n ticks."""
        x = np.broadcast_to(target, (n, target.size))
        return self.filter(x)

    @staticmethod
    def offsets(weights: np.ndarray) -> np.ndarray:
        return np.einsum("ij,jk->ik", weights, SHAPE_MATRIX, optimize=False)

    @staticmethod
    def style(weights: np.ndarray) -> np.ndarray:
        """(n, len(STYLE_FIELDS)): neutral style plus the weighted deviation of each emotion."""
        dev = STYLE_MATRIX - STYLE_MATRIX[0]
        return STYLE_MATRIX[0] + np.einsum("ij,jk->ik", weights[:, 1:], dev[1:], optimize=False)
