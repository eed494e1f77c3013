"""facecast: one portrait plus speech becomes a live talking face and pose parameters.

The public API, imported lazily so that `import facecast` stays cheap (the generator and the face
models load only when used):

    from facecast import FaceMotion, Controls, stream_motion, motion_from_audio, prepare_avatar, Generator, render
"""

from __future__ import annotations

import importlib
import logging
import os

# onnxruntime's releases for Linux and macOS (1.32 here) write a device identifier under
# ~/.cache/Microsoft/DeveloperTools/.onnxruntime and queue usage events (process, OS, CPU, the
# Python path) for upload to Microsoft, unless this is set before onnxruntime starts. facecast
# promises no network at run time, and it is used in private calls: off, unless the user set it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
logger = logging.getLogger("facecast")

_EXPORTS = {
    "FaceMotion": "facecast.runtime.facemotion",
    "Controls": "facecast.runtime.controls",
    "MotionEngine": "facecast.runtime.motion_engine",
    "stream_motion": "facecast.runtime.motion_engine",
    "motion_from_audio": "facecast.runtime.motion_engine",
    "load_audio": "facecast.runtime.audio_io",
    "Avatar": "facecast.runtime.avatar",
    "prepare_avatar": "facecast.runtime.avatar",
    "Generator": "facecast.runtime.generator",
    "render": "facecast.runtime.render",
    "RenderOptions": "facecast.runtime.render",
    "FacecastError": "facecast.runtime.errors",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'facecast' has no attribute {name!r}")
