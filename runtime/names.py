"""Every name table facecast uses, in one place: ARKit blendshapes, Oculus visemes, emotions and
the aliases other tools expect (ARKit raw names, VMC "perfect sync" PascalCase, VRM presets).

Outputs look names up here; nothing else spells a blendshape name by hand.
"""

from __future__ import annotations

# The 52 ARKit blendshapes, camelCase exactly as Apple spells them, in Apple's documented order.
ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft",
    "eyeLookDownLeft",
    "eyeLookInLeft",
    "eyeLookOutLeft",
    "eyeLookUpLeft",
    "eyeSquintLeft",
    "eyeWideLeft",
    "eyeBlinkRight",
    "eyeLookDownRight",
    "eyeLookInRight",
    "eyeLookOutRight",
    "eyeLookUpRight",
    "eyeSquintRight",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawRight",
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthLeft",
    "mouthRight",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "noseSneerLeft",
    "noseSneerRight",
    "tongueOut",
)
ARKIT_INDEX: dict[str, int] = {n: i for i, n in enumerate(ARKIT_NAMES)}

# The 15 Meta/Oculus visemes in the order of the Oculus Lipsync SDK.
VISEME_NAMES: tuple[str, ...] = (
    "sil",
    "PP",
    "FF",
    "TH",
    "DD",
    "kk",
    "CH",
    "SS",
    "nn",
    "RR",
    "aa",
    "E",
    "ih",
    "oh",
    "ou",
)
VISEME_INDEX: dict[str, int] = {n: i for i, n in enumerate(VISEME_NAMES)}

EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "surprised", "fearful", "disgusted")

# Head pose and gaze fields, in the order they are packed into motion vectors.
HEAD_FIELDS: tuple[str, ...] = ("yaw", "pitch", "roll", "x", "y", "scale")
GAZE_FIELDS: tuple[str, ...] = ("left_yaw", "left_pitch", "right_yaw", "right_pitch")
# The gaze angles (degrees: across, up or down) that the ARKit eyeLook* shapes stand for at 1.
EYE_LOOK_DEGREES: tuple[float, float] = (30.0, 25.0)


def _pascal(name: str) -> str:
    return name[0].upper() + name[1:]


def _arkit_raw(name: str) -> str:
    """ARKit's raw identifiers (ARFaceAnchor.BlendShapeLocation raw values), e.g. eyeBlink_L."""
    for side, suffix in (("Left", "_L"), ("Right", "_R")):
        if name.endswith(side):
            return name[: -len(side)] + suffix
    return name


# VMC "perfect sync" names (PascalCase of ARKit), and ARKit raw names.
PASCAL_NAMES: dict[str, str] = {n: _pascal(n) for n in ARKIT_NAMES}
ARKIT_RAW_NAMES: dict[str, str] = {n: _arkit_raw(n) for n in ARKIT_NAMES}

# VRM 0.x / 1.0 expression presets, each a weighted mix of ARKit shapes and visemes.
# Keys are VRM 1.0 names; VRM0_NAMES maps them to the 0.x spellings.
VRM_PRESETS: dict[str, dict[str, float]] = {
    "aa": {"viseme:aa": 1.0},
    "ih": {"viseme:ih": 1.0, "viseme:E": 0.5},
    "ou": {"viseme:ou": 1.0},
    "ee": {"viseme:E": 1.0},
    "oh": {"viseme:oh": 1.0},
    "blink": {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5},
    "blinkLeft": {"eyeBlinkLeft": 1.0},
    "blinkRight": {"eyeBlinkRight": 1.0},
    "happy": {"emotion:happy": 1.0},
    "angry": {"emotion:angry": 1.0},
    "sad": {"emotion:sad": 1.0},
    "relaxed": {"emotion:neutral": 0.0},
    "surprised": {"emotion:surprised": 1.0},
    "neutral": {"emotion:neutral": 1.0},
}
VRM0_NAMES: dict[str, str] = {
    "aa": "A",
    "ih": "I",
    "ou": "U",
    "ee": "E",
    "oh": "O",
    "blink": "Blink",
    "blinkLeft": "Blink_L",
    "blinkRight": "Blink_R",
    "happy": "Joy",
    "angry": "Angry",
    "sad": "Sorrow",
    "relaxed": "Fun",
    "surprised": "Surprised",
    "neutral": "Neutral",
}

# Every alias users' tools send or expect, resolved to the canonical ARKit name.
ALIASES: dict[str, str] = {
    **{v: k for k, v in PASCAL_NAMES.items()},
    **{v: k for k, v in ARKIT_RAW_NAMES.items()},
    **{n: n for n in ARKIT_NAMES},
}


def canonical_blendshape(name: str) -> str:
    """Resolve any known spelling (camelCase, PascalCase, ARKit raw) to the ARKit camelCase name."""
    try:
        return ALIASES[name]
    except KeyError:
        raise KeyError(
            f"unknown blendshape name {name!r}; expected one of the 52 ARKit names "
            f"(e.g. 'jawOpen', 'JawOpen' or 'eyeBlink_L')"
        ) from None
