"""Controls: what a user can steer per session, live. One definition, shared by the CLI, the motion
engine, the service and the plugins. The motion engine smooths every change so nothing jumps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .names import EMOTIONS


@dataclass(frozen=True)
class Controls:
    emotion: str = "neutral"  # one of names.EMOTIONS
    emotion_intensity: float = 1.0  # 0..1
    gaze: tuple[float, float] | None = None  # (yaw, pitch) degrees the eyes look at; None = the camera
    distance: float = 1.0  # head scale: >1 nearer, <1 farther
    intensity: float = 1.0  # head motion: 0 still, 1 natural, >1 lively (max 2)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.emotion not in EMOTIONS:
            raise ValueError(f"unknown emotion {self.emotion!r}; expected one of {', '.join(EMOTIONS)}")
        if not 0.0 <= self.emotion_intensity <= 1.0:
            raise ValueError(f"emotion intensity must be in 0..1, got {self.emotion_intensity}")
        if not 0.5 <= self.distance <= 2.0:
            raise ValueError(f"distance (head scale) must be in 0.5..2.0, got {self.distance}")
        if not 0.0 <= self.intensity <= 2.0:
            raise ValueError(f"motion intensity must be in 0..2, got {self.intensity}")
        if self.gaze is not None:
            yaw, pitch = self.gaze
            if not (-40 <= yaw <= 40 and -30 <= pitch <= 30):
                raise ValueError(f"gaze must be within +-40 yaw, +-30 pitch degrees, got {self.gaze}")

    def updated(self, **changes) -> Controls:
        """A copy with some fields changed (validated)."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise ValueError(
                f"unknown control(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(self.__dataclass_fields__)}"
            )
        if "gaze" in changes and changes["gaze"] is not None and not isinstance(changes["gaze"], tuple):
            changes["gaze"] = tuple(changes["gaze"])
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)


def parse_emotion(text: str) -> tuple[str, float]:
    """'happy' or 'happy:0.6' -> ('happy', 0.6)."""
    name, _, level = text.partition(":")
    try:
        intensity = float(level) if level else 1.0
    except ValueError:
        raise ValueError(f"emotion intensity must be a number, got {level!r} in {text!r}") from None
    Controls(emotion=name, emotion_intensity=intensity)  # validates
    return name, intensity
