"""facecast.runtime: inference. Audio in, motion, avatar preparation, the ONNX generator, sessions.

Never imports facecast.bridge: data flows audio -> motion -> frames -> outputs.
"""

from .facemotion import MOTION_VECTOR_SIZE, Emotion, FaceMotion, Gaze, HeadPose

__all__ = ["FaceMotion", "HeadPose", "Gaze", "Emotion", "MOTION_VECTOR_SIZE"]
