"""FaceMotion -> VTube Studio parameters: the options of the VTube Studio output and the mapping of
one frame onto VTube Studio's default input parameters (and facecast's custom Facecast* ones).
Pure functions, no socket: the client (vtube_studio.py) sends what these return."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..runtime.facemotion import FaceMotion
from ..runtime.names import (
    ARKIT_INDEX,
    ARKIT_NAMES,
    EMOTIONS,
    PASCAL_NAMES,
    VISEME_INDEX,
    VRM0_NAMES,
    VRM_PRESETS,
)

DEFAULT_URL = "ws://localhost:8001"


def default_token_file() -> Path:
    if os.name == "nt" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "facecast" / "vtube_studio_token.json"


@dataclass
class VTSOptions:
    url: str = DEFAULT_URL
    token_file: Path | str = field(default_factory=default_token_file)
    plugin_name: str = "facecast"
    plugin_developer: str = "facecast project"
    custom_parameters: bool = True  # also create Facecast* parameters (ARKit shapes, vowels, emotions)
    connect_timeout: float = 3.0
    request_timeout: float = 3.0
    token_timeout: float = 120.0  # the user has to click Allow in VTube Studio
    keepalive: float = 0.5  # re-send the last values at least this often (VTS needs < 1 s)
    max_rate: float = 60.0  # injections per second at most
    reconnect_max_delay: float = 5.0
    gaze_range: tuple[float, float] = (30.0, 20.0)  # eye yaw, pitch in degrees that map to +-1
    # Live2D mouths open by lip gap (ParamMouthOpenY), ARKit's jawOpen is a jaw angle that stays
    # near 0.2..0.4 in speech: MouthOpen = gain * (jawOpen - mouthClose), clipped to 0..1.
    mouth_open_gain: float = 2.0


# --- FaceMotion -> VTube Studio parameters --------------------------------------------------------

_B = {n: ARKIT_INDEX[n] for n in ARKIT_NAMES}  # source names come from names.py; a typo fails at import
_VOWELS = ("aa", "ih", "ou", "ee", "oh")  # VRM presets; parameter names use their 0.x spellings


def _clip(x: float, lo: float, hi: float) -> float:
    return float(min(hi, max(lo, x)))


def _custom_parameters() -> dict[str, str]:
    """facecast's custom parameters (all 0..1): name -> explanation shown in VTube Studio."""
    out = {f"Facecast{PASCAL_NAMES[n]}": f"facecast: ARKit {n} (0..1) from speech" for n in ARKIT_NAMES}
    for v in _VOWELS:
        out[f"FacecastVowel{VRM0_NAMES[v]}"] = (
            f"facecast: vowel {VRM0_NAMES[v]} (0..1) for ParamA/I/U/E/O rigs"
        )
    for e in (e for e in EMOTIONS if e != "neutral"):
        out[f"Facecast{e.capitalize()}"] = f"facecast: {e} emotion intensity (0..1) for expressions"
    return out


def custom_parameter_specs() -> list[dict]:
    """ParameterCreationRequest payloads for facecast's custom parameters."""
    return [
        {"parameterName": n, "explanation": x, "min": 0, "max": 1, "defaultValue": 0}
        for n, x in _custom_parameters().items()
    ]


def parameter_values(motion: FaceMotion, options: VTSOptions | None = None) -> list[dict]:
    """VTube Studio's default input parameters (and facecast's custom ones) for one frame.

    Signs (Live2D standard parameters, which VTS maps these to): FaceAngleX + turns the face to the
    screen's right, FaceAngleY + up, FaceAngleZ + tilts clockwise; EyeLeftX + looks to the screen's
    right, EyeLeftY + up: the same as FaceMotion's viewer's-point-of-view signs. MouthSmile and the
    brows are 0..1 with 0.5 neutral (VTS maps them onto -1..1 Live2D parameters)."""
    options = options or VTSOptions()
    bs = motion.blendshapes
    h, g = motion.head, motion.gaze
    gy, gp = options.gaze_range

    def b(name: str) -> float:
        return float(bs[_B[name]])

    smile = (b("mouthSmileLeft") + b("mouthSmileRight")) / 2
    frown = (b("mouthFrownLeft") + b("mouthFrownRight")) / 2
    brow_l = (b("browInnerUp") + b("browOuterUpLeft")) / 2 - b("browDownLeft")
    brow_r = (b("browInnerUp") + b("browOuterUpRight")) / 2 - b("browDownRight")
    values = {
        "FaceAngleX": _clip(h.yaw, -90, 90),
        "FaceAngleY": _clip(h.pitch, -90, 90),
        "FaceAngleZ": _clip(h.roll, -90, 90),
        "MouthOpen": _clip(options.mouth_open_gain * (b("jawOpen") - b("mouthClose")), 0, 1),
        "MouthSmile": _clip(0.5 + 0.5 * (smile - frown), 0, 1),
        "EyeOpenLeft": _clip(1.0 - b("eyeBlinkLeft"), 0, 1),
        "EyeOpenRight": _clip(1.0 - b("eyeBlinkRight"), 0, 1),
        "EyeLeftX": _clip(g.left_yaw / gy, -1, 1),
        "EyeLeftY": _clip(g.left_pitch / gp, -1, 1),
        "EyeRightX": _clip(g.right_yaw / gy, -1, 1),
        "EyeRightY": _clip(g.right_pitch / gp, -1, 1),
        "BrowLeftY": _clip(0.5 + 0.5 * brow_l, 0, 1),
        "BrowRightY": _clip(0.5 + 0.5 * brow_r, 0, 1),
        "Brows": _clip(0.5 + 0.25 * (brow_l + brow_r), 0, 1),
        "CheekPuff": _clip(b("cheekPuff"), 0, 1),
        "TongueOut": _clip(b("tongueOut"), 0, 1),
    }
    if options.custom_parameters:
        for n in ARKIT_NAMES:
            values["Facecast" + PASCAL_NAMES[n]] = _clip(b(n), 0, 1)
        for v in _VOWELS:
            mix = VRM_PRESETS[v]
            val = sum(w * float(motion.visemes[VISEME_INDEX[s.partition(":")[2]]]) for s, w in mix.items())
            values["FacecastVowel" + VRM0_NAMES[v]] = _clip(val, 0, 1)
        for e in EMOTIONS:
            if e != "neutral":
                on = motion.emotion.label == e
                values["Facecast" + e.capitalize()] = _clip(motion.emotion.intensity if on else 0.0, 0, 1)
    return [{"id": k, "value": round(v, 5)} for k, v in values.items()]
