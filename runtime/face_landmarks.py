"""mediapipe wrapper: face boxes, the 478-point face mesh (with irises) and person segmentation.

mediapipe 0.10.21's legacy `solutions` ship their models inside the wheel, so this works offline.
The graphs are built once per process (building one costs ~100 ms) and are not thread-safe, so each
is guarded by a lock. Everything takes and returns pixels of the image it was given; the avatar
module does the geometry (which face, which crop).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import types
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("facecast")

N_LANDMARKS = 478  # 468 mesh points + 2 x 5 iris points (refine_landmarks=True)

# Landmark indices (mediapipe face mesh topology). "Right"/"left" are the subject's own sides: the
# subject's right eye appears on the viewer's left.
RIGHT_IRIS = 468  # centre of the subject's right iris (viewer's left); 469-472 its rim
LEFT_IRIS = 473  # centre of the subject's left iris (viewer's right); 474-477 its rim
RIGHT_EYE_RING = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE_RING = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
NOSE_TIP = 1
UPPER_LIP_TOP = 0
LOWER_LIP_BOTTOM = 17
MOUTH_CORNERS = (61, 291)
FOREHEAD_TOP = 10
CHIN = 152
CHEEK_RIGHT = 234  # face edge at the subject's right (viewer's left)
CHEEK_LEFT = 454
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip


@dataclass
class FaceBox:
    """A detected face: box in pixels (x0, y0, width, height) and the detector's confidence."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


_locks: dict[str, threading.Lock] = {name: threading.Lock() for name in ("det0", "det1", "mesh", "seg")}
_graphs: dict[str, object] = {}


_import_lock = threading.Lock()


class _Deferred(types.ModuleType):
    """Stands in for a module while mediapipe imports; the real module is imported on first use of
    an attribute (only mediapipe's own 3D landmark plot and audio recorder would use them)."""

    def __getattr__(self, name: str):
        real = None if name.startswith("__") else importlib.import_module(self.__name__)
        if real is None or real is self:  # (dunders, or used while mediapipe is still importing)
            raise AttributeError(name)
        return getattr(real, name)


# What mediapipe's package imports at import time and facecast never uses there: its drawing
# utilities import matplotlib.pyplot (0.54 s of its 0.9 s import, and on a first run matplotlib's
# font cache built in the user's home); its audio tasks import sounddevice, which starts PortAudio
# (probing the sound servers and writing ~/.config/pulse). `facecast live` imports sounddevice
# itself, for real, when it needs a microphone or speakers.
_DEFERRED = ("matplotlib.pyplot", "sounddevice")


def _import_mediapipe():
    """mediapipe, imported with placeholders for _DEFERRED (and a bare `matplotlib` package for
    pyplot's sake) that are removed after the import, so whoever imports those modules later in
    the same process gets the real ones; a module already imported is left alone."""
    with _import_lock:  # (the graphs are built from several threads)
        if "mediapipe" in sys.modules:
            import mediapipe

            return mediapipe
        placed = {name: _Deferred(name) for name in _DEFERRED if name not in sys.modules}
        if "matplotlib.pyplot" in placed and "matplotlib" not in sys.modules:
            placed["matplotlib"] = types.ModuleType("matplotlib")
        sys.modules.update(placed)
        try:
            import mediapipe
        finally:
            for name, module in placed.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
        return mediapipe


def _graph(name: str):
    """Build a mediapipe graph on first use (quietly: its C++ logging is noise for our users)."""
    g = _graphs.get(name)
    if g is None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        mp = _import_mediapipe()

        if name in ("det0", "det1"):
            g = mp.solutions.face_detection.FaceDetection(
                model_selection=int(name[-1]), min_detection_confidence=0.4
            )
        elif name == "mesh":
            g = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.5
            )
        else:
            g = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        _graphs[name] = g
    return g


def _contiguous(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.dtype} {rgb.shape}")
    return np.ascontiguousarray(rgb)


def detect_faces(rgb: np.ndarray, full_range: bool = True, min_score: float = 0.5) -> list[FaceBox]:
    """Face boxes, largest first. The full-range model finds faces down to ~5% of the image width
    (small faces in big pictures); the short-range model is better for close-ups."""
    rgb = _contiguous(rgb)
    h, w = rgb.shape[:2]
    name = "det1" if full_range else "det0"
    with _locks[name]:
        result = _graph(name).process(rgb)
    boxes = []
    for d in result.detections or []:
        score = float(d.score[0])
        if score < min_score:
            continue
        b = d.location_data.relative_bounding_box
        boxes.append(FaceBox(b.xmin * w, b.ymin * h, b.width * w, b.height * h, score))
    return suppress_overlaps(sorted(boxes, key=lambda b: -b.w * b.h))


def suppress_overlaps(boxes: list[FaceBox], max_overlap: float = 0.4) -> list[FaceBox]:
    """Keep the first of boxes that overlap by more than max_overlap of the smaller one's area (so a
    half face cut by a search tile does not count as a second face)."""
    kept: list[FaceBox] = []
    for b in boxes:
        if all(overlap(b, k) <= max_overlap for k in kept):
            kept.append(b)
    return kept


def overlap(a: FaceBox, b: FaceBox) -> float:
    ix = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    smaller = min(a.w * a.h, b.w * b.h)
    return ix * iy / smaller if smaller > 0 else 0.0


def face_mesh(rgb: np.ndarray) -> np.ndarray | None:
    """The 478 landmarks of the most prominent face as (478, 3) float32 pixels, or None.
    z is mediapipe's relative depth scaled by the image width (same units as x), negative toward
    the camera."""
    rgb = _contiguous(rgb)
    h, w = rgb.shape[:2]
    with _locks["mesh"]:
        result = _graph("mesh").process(rgb)
    if not result.multi_face_landmarks:
        return None
    lm = result.multi_face_landmarks[0].landmark
    pts = np.array([(p.x * w, p.y * h, p.z * w) for p in lm], np.float32)
    return pts if len(pts) == N_LANDMARKS else None


def segment_person(rgb: np.ndarray) -> np.ndarray:
    """Soft person mask (H, W) float32 0..1 from mediapipe selfie segmentation."""
    rgb = _contiguous(rgb)
    with _locks["seg"]:
        result = _graph("seg").process(rgb)
    return np.clip(result.segmentation_mask.astype(np.float32), 0.0, 1.0)


def head_angles(landmarks: np.ndarray) -> tuple[float, float, float]:
    """Rough head yaw, pitch, roll in degrees from the mesh's own 3D points (FaceMotion signs: yaw > 0
    turns toward the viewer's right, pitch > 0 chin up, roll > 0 clockwise as the viewer sees it).
    Good to ~5 degrees: enough to refuse profiles, not for measurement (see benchmarks/face_measure)."""
    p = landmarks.astype(np.float64)
    # Axes of the face in image coordinates (x right, y down, z away from the camera).
    ax = p[LEFT_EYE_RING[0]] - p[RIGHT_EYE_RING[0]]  # subject's right eye corner -> left eye corner
    ax += p[CHEEK_LEFT] - p[CHEEK_RIGHT]
    ay = p[CHIN] - p[FOREHEAD_TOP]  # downward along the face
    ax /= np.linalg.norm(ax)
    ay -= ax * (ay @ ax)
    ay /= np.linalg.norm(ay)
    az = np.cross(ax, ay)  # points away from the camera (into the head) for a frontal face
    # The face's forward direction (out of the face, toward the camera) is -az.
    fwd = -az
    yaw = np.degrees(np.arctan2(fwd[0], -fwd[2]))  # nose toward +x (viewer's right) -> yaw > 0
    pitch = np.degrees(np.arctan2(-fwd[1], -fwd[2]))  # nose up (toward -y) -> chin up -> pitch > 0
    roll = np.degrees(np.arctan2(ax[1], ax[0]))  # eye line sloping down to the right: clockwise
    return float(yaw), float(pitch), float(roll)
