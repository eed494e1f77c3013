"""FaceMotion: the one record every output shares (generator input, ZeroMQ pose, bake files, VMC,
VTube Studio, Unity). One per video frame.

Conventions (degrees, viewer's point of view):
- head yaw > 0: the face turns toward the viewer's right; pitch > 0: chin up; roll > 0: the head
  tilts clockwise as the viewer sees it.
- head x, y: offset of the head as a fraction of the frame size, x > 0 to the viewer's right,
  y > 0 up. scale: 1.0 is the portrait's own size (head distance: >1 nearer).
- gaze yaw/pitch per eye: same signs as the head, relative to the head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .names import ARKIT_INDEX, ARKIT_NAMES, EMOTIONS, GAZE_FIELDS, HEAD_FIELDS, VISEME_NAMES

# Layout of the packed motion vector the generator consumes: blendshapes, head, gaze.
N_BLENDSHAPES = len(ARKIT_NAMES)
HEAD_OFFSET = N_BLENDSHAPES
GAZE_OFFSET = HEAD_OFFSET + len(HEAD_FIELDS)
HEAD_INDEX = {f: HEAD_OFFSET + i for i, f in enumerate(HEAD_FIELDS)}  # head field -> vector column
MOTION_VECTOR_SIZE = GAZE_OFFSET + len(GAZE_FIELDS)


@dataclass
class HeadPose:
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    x: float = 0.0
    y: float = 0.0
    scale: float = 1.0


@dataclass
class Gaze:
    left_yaw: float = 0.0
    left_pitch: float = 0.0
    right_yaw: float = 0.0
    right_pitch: float = 0.0


@dataclass
class Emotion:
    label: str = "neutral"
    intensity: float = 0.0

    def __post_init__(self) -> None:
        if self.label not in EMOTIONS:
            raise ValueError(f"unknown emotion {self.label!r}; expected one of {', '.join(EMOTIONS)}")


@dataclass
class FaceMotion:
    """Pose parameters for one frame. Blendshapes and visemes are 0..1 arrays in the order of
    names.ARKIT_NAMES and names.VISEME_NAMES."""

    t: float = 0.0
    blendshapes: np.ndarray = field(default_factory=lambda: np.zeros(N_BLENDSHAPES, np.float32))
    visemes: np.ndarray = field(default_factory=lambda: _silent_visemes())
    head: HeadPose = field(default_factory=HeadPose)
    gaze: Gaze = field(default_factory=Gaze)
    emotion: Emotion = field(default_factory=Emotion)

    def __getitem__(self, name: str) -> float:
        """Blendshape value by ARKit name: motion['jawOpen']."""
        return float(self.blendshapes[ARKIT_INDEX[name]])

    def set(self, name: str, value: float) -> None:
        self.blendshapes[ARKIT_INDEX[name]] = np.float32(value)

    def to_vector(self) -> np.ndarray:
        """Pack into the generator's float32 input vector (MOTION_VECTOR_SIZE values)."""
        v = np.empty(MOTION_VECTOR_SIZE, np.float32)
        v[:N_BLENDSHAPES] = self.blendshapes
        v[HEAD_OFFSET:GAZE_OFFSET] = [getattr(self.head, f) for f in HEAD_FIELDS]
        v[GAZE_OFFSET:] = [getattr(self.gaze, f) for f in GAZE_FIELDS]
        return v

    @classmethod
    def from_vector(cls, v: np.ndarray, t: float = 0.0) -> FaceMotion:
        v = np.asarray(v, np.float32)
        if v.shape != (MOTION_VECTOR_SIZE,):
            raise ValueError(f"motion vector must have shape ({MOTION_VECTOR_SIZE},), got {v.shape}")
        return cls(
            t=t,
            blendshapes=v[:N_BLENDSHAPES].copy(),
            head=HeadPose(*map(float, v[HEAD_OFFSET:GAZE_OFFSET])),
            gaze=Gaze(*map(float, v[GAZE_OFFSET:])),
        )

    def to_dict(self) -> dict:
        """The JSON/msgpack view: names spelled out, plain floats."""
        return {
            "t": float(self.t),
            "blendshapes": {n: round(float(x), 5) for n, x in zip(ARKIT_NAMES, self.blendshapes)},
            "visemes": {n: round(float(x), 5) for n, x in zip(VISEME_NAMES, self.visemes)},
            "head": {f: round(float(getattr(self.head, f)), 5) for f in HEAD_FIELDS},
            "gaze": {
                "left": {"yaw": round(self.gaze.left_yaw, 5), "pitch": round(self.gaze.left_pitch, 5)},
                "right": {"yaw": round(self.gaze.right_yaw, 5), "pitch": round(self.gaze.right_pitch, 5)},
            },
            "emotion": {"label": self.emotion.label, "intensity": round(float(self.emotion.intensity), 5)},
        }

    @classmethod
    def from_dict(cls, d: dict) -> FaceMotion:
        """Inverse of to_dict. Missing names default to 0; unknown names are an error."""
        bs = np.zeros(N_BLENDSHAPES, np.float32)
        for name, value in d.get("blendshapes", {}).items():
            if name not in ARKIT_INDEX:
                raise ValueError(f"unknown blendshape {name!r} in FaceMotion")
            bs[ARKIT_INDEX[name]] = value
        vis = np.zeros(len(VISEME_NAMES), np.float32)
        for name, value in d.get("visemes", {}).items():
            if name not in VISEME_NAMES:
                raise ValueError(f"unknown viseme {name!r} in FaceMotion")
            vis[VISEME_NAMES.index(name)] = value
        g = d.get("gaze", {})
        gl, gr = g.get("left", {}), g.get("right", {})
        e = d.get("emotion", {})
        return cls(
            t=float(d.get("t", 0.0)),
            blendshapes=bs,
            visemes=vis,
            head=HeadPose(
                **{
                    f: float(d.get("head", {}).get(f, HeadPose.__dataclass_fields__[f].default))
                    for f in HEAD_FIELDS
                }
            ),
            gaze=Gaze(
                float(gl.get("yaw", 0)),
                float(gl.get("pitch", 0)),
                float(gr.get("yaw", 0)),
                float(gr.get("pitch", 0)),
            ),
            emotion=Emotion(e.get("label", "neutral"), float(e.get("intensity", 0.0))),
        )


def _silent_visemes() -> np.ndarray:
    v = np.zeros(len(VISEME_NAMES), np.float32)
    v[0] = 1.0
    return v


def stack_vectors(motions: list[FaceMotion]) -> np.ndarray:
    """A batch of FaceMotion as an (N, MOTION_VECTOR_SIZE) float32 array for the generator."""
    return (
        np.stack([m.to_vector() for m in motions])
        if motions
        else np.zeros((0, MOTION_VECTOR_SIZE), np.float32)
    )
