"""Independent face measurement for quality tests and benchmarks: dlib's HOG face detector and
68-point shape predictor, never mediapipe (which facecast itself uses to build the avatar, so it
would grade its own homework).

Definitions (68-point scheme, 0-based indices):
- face height: distance from the brow line (mean of the brow points 17-26) to the chin (8). It was
  chosen over eye-line-to-chin because with it real talkers' lip openings land where published
  statistics put them (docs/measurements.md); it includes the jaw, so a wide-open mouth lengthens it
  by a few percent, which slightly compresses the largest openings.
- inner-lip gap: mean vertical distance of the inner lip pairs 61-67, 62-66, 63-65, divided by the
  face height (0 = lips closed; ~0.05-0.09 is an open vowel in real speech).
- eye aspect ratio (EAR, Soukupova and Cech 2016): (|p1-p5| + |p2-p4|) / (2 |p0-p3|) per eye, about
  0.25-0.35 open and under ~0.15 closed. `ear` is (subject's right eye, subject's left eye).
- head pose: cv2.solvePnP of 14 landmarks against the anthropometric mean face of Martins and
  Batista (as annotated for dlib points by lincolnhard's head-pose-estimation), focal length = image
  width, principal point at the centre. Degrees, FaceMotion's signs: yaw > 0 the face turns toward
  the viewer's right, pitch > 0 chin up, roll > 0 clockwise as the viewer sees it.
- the 68 points: the per-point median of the shape predictor's fits from 27 boxes around the
  detector's (shifted by 4% of its size either way across and down, scaled by 0.96 and 1.04).
  dlib's cascade follows its starting box, and the HOG detector's box moves in steps with small
  changes of the picture: a single fit read two renders of Grace Hopper that differ by at most 15
  levels in 280 mouth pixels 3.1 degrees of yaw apart and her eye ratio 4.7% apart (the median:
  0.7 degrees, 1.6%). On the three eval-dev talking-head videos the median reads as the single fit
  on average (mean yaw and pitch within 0.1 degrees) and steadier from frame to frame
  (docs/generator.md, "A steadier reading").
- identity: dlib's 128-d ResNet face descriptor; Euclidean distance < 0.6 means the same person
  by dlib's convention (99.38% on LFW).

Two exceptions, `mesh_ear` and `mesh_lip_gap` (the same definitions on mediapipe's face mesh).
`mesh_lip_gap` is for real videos, which facecast did not draw: there mediapipe is as independent
as dlib, and a second reading of the speaker's lips.
`mesh_ear`: dlib's 68-point shape model keeps an eye open where a closed eye has
lashes, liner or a pale lid (on the dev portraits it read some rendered closed eyes as *more* open
than open ones), so blinks are also read with mediapipe's face mesh, re-detected on the rendered
frame. That is a second opinion, not an independent one: the rig's lid curves come from
mediapipe's landmarks of the portrait.
`eye_model_ear` is a third reading of blinks, and an independent one: mediapipe's eye-contour
model (`iris_landmark.tflite`, shipped inside the mediapipe wheel and run here with TensorFlow
Lite's interpreter from PyPI) is a network of its own, trained on eye crops, not the face mesh the
rig is built from; it is given crops placed by dlib's eye corners, as mediapipe places them from its
mesh's (a square of 2.3 corner distances, turned to the corners' line, the subject's left eye
mirrored: the model knows one eye). EAR from its lid contour: its 71 points begin with the lower lid
(0-8, outer corner to inner) and the upper lid (9-15); the pairs 11-3, 12-4, 13-5 stand where the
68-point scheme's p1-p5 and p2-p4 do.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from facecast.runtime.face_anatomy import BROW_TOPS

FACE_HEIGHT = "brow line to chin"
DETECT_MAX_SIDE = 400  # the HOG detector runs on a copy this size: faces in portraits are large
CNN_MAX_SIDE = 256  # the CNN fallback detector's input size (its cost grows with the area)
# the boxes the shape predictor starts from: the detector's, shifted by these fractions of its size
# across and down and scaled by these factors (27 fits, their per-point median is the reading)
BOX_SHIFTS = (-0.04, 0.0, 0.04)
BOX_SCALES = (0.96, 1.0, 1.04)

# Mean 3D face (Martins & Batista anthropometric model), model units ~cm: x toward the subject's
# right (the viewer's left), y up, z toward the viewer. Keys are dlib 68-point indices.
MODEL_POINTS = {
    17: (6.825897, 6.760612, 4.402142),  # brow, outer end (viewer's left)
    21: (1.330353, 7.122144, 6.903745),  # brow, inner end
    22: (-1.330353, 7.122144, 6.903745),
    26: (-6.825897, 6.760612, 4.402142),
    36: (5.311432, 5.485328, 3.987654),  # eye corners
    39: (1.789930, 5.393625, 4.413414),
    42: (-1.789930, 5.393625, 4.413414),
    45: (-5.311432, 5.485328, 3.987654),
    31: (2.005628, 1.409845, 6.165652),  # nostril wings
    35: (-2.005628, 1.409845, 6.165652),
    48: (2.774015, -2.080775, 5.048531),  # mouth corners
    54: (-2.774015, -2.080775, 5.048531),
    57: (0.000000, -3.116408, 6.097667),  # lower lip, centre
    8: (0.000000, -7.415691, 4.070434),  # chin
}
_PNP_INDEX = list(MODEL_POINTS)
# Into OpenCV's camera frame (x right, y down, z away from the camera) for a face looking at it.
_PNP_OBJECT = np.array(list(MODEL_POINTS.values()), np.float64) * (-1.0, -1.0, -1.0)


@dataclass
class FrameMeasure:
    landmarks: np.ndarray  # (68, 2) float32 pixels
    box: tuple[int, int, int, int]  # face box x0, y0, x1, y1 from the detector
    face_height: float  # pixels, brow line to chin
    lip_gap: float  # inner-lip gap / face height
    ear: tuple[float, float]  # eye aspect ratio, subject's right eye then left eye
    yaw: float  # degrees, FaceMotion signs
    pitch: float
    roll: float
    embedding: np.ndarray | None = None  # (128,) dlib face descriptor, when asked for

    @property
    def mean_ear(self) -> float:
        return (self.ear[0] + self.ear[1]) / 2


class _Models:
    """dlib models, loaded once per process. dlib objects are not documented as thread-safe."""

    lock = threading.Lock()
    detector = None
    predictor = None
    encoder = None
    cnn = None

    @classmethod
    def get(cls, with_encoder: bool = False):
        import dlib

        with cls.lock:
            if cls.detector is None:
                cls.detector = dlib.get_frontal_face_detector()
                cls.predictor = dlib.shape_predictor(
                    str(_model_path("shape_predictor_68_face_landmarks.dat"))
                )
            if with_encoder and cls.encoder is None:
                cls.encoder = dlib.face_recognition_model_v1(
                    str(_model_path("dlib_face_recognition_resnet_model_v1.dat"))
                )
        return cls


def _model_path(name: str) -> Path:
    """The models of the face_recognition_models package, found without importing it (its
    __init__ needs pkg_resources, which recent setuptools no longer ship)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "face measurement needs dlib's models: pip install face-recognition-models dlib-bin"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: reinstall face-recognition-models")
    return path


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 4:
        image = image[..., :3]
    return np.ascontiguousarray(image, dtype=np.uint8)


def _shrunk(rgb: np.ndarray, scale: float) -> np.ndarray:
    """The picture scaled down by `scale` (<= 1), averaging pixels by area."""
    if scale == 1.0:
        return rgb
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def detect(rgb: np.ndarray):
    """The largest face as a dlib rectangle in full-resolution pixels, or None. HOG first (~15 ms);
    when it misses (glasses, grimaces, stylised faces) dlib's CNN detector at 256 px (~0.7 s)."""
    import dlib

    m = _Models.get()
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = _shrunk(rgb, scale)
    with m.lock:
        rects = list(m.detector(small, 0) or m.detector(small, 1))
    if not rects:
        scale = min(1.0, CNN_MAX_SIDE / max(h, w))
        small = _shrunk(rgb, scale)
        with m.lock:
            if m.cnn is None:
                m.cnn = dlib.cnn_face_detection_model_v1(str(_model_path("mmod_human_face_detector.dat")))
            rects = [d.rect for d in m.cnn(small, 0)]
    if not rects:
        return None
    r = max(rects, key=lambda r: r.width() * r.height())
    return dlib.rectangle(
        round(r.left() / scale), round(r.top() / scale), round(r.right() / scale), round(r.bottom() / scale)
    )


def measure_frame(rgb: np.ndarray, with_embedding: bool = False) -> FrameMeasure | None:
    """Measure the largest face in an RGB frame; None when dlib finds no face. The 68 points are
    the median of the shape predictor's fits from the 27 boxes around the detector's that
    BOX_SHIFTS and BOX_SCALES make (see the module docstring)."""
    import dlib

    rgb = _rgb(rgb)
    rect = detect(rgb)
    if rect is None:
        return None
    m = _Models.get(with_encoder=with_embedding)
    cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
    w, h = rect.width(), rect.height()
    fits = []
    with m.lock:
        for s in BOX_SCALES:
            for dx in BOX_SHIFTS:
                for dy in BOX_SHIFTS:
                    x, y = cx + dx * w, cy + dy * h
                    box = dlib.rectangle(
                        round(x - s * w / 2), round(y - s * h / 2), round(x + s * w / 2), round(y + s * h / 2)
                    )
                    fits.append([(p.x, p.y) for p in m.predictor(rgb, box).parts()])
        if with_embedding:  # (aligned by the detector's own box, as dlib's examples do)
            shape = m.predictor(rgb, rect)
            emb = np.array(m.encoder.compute_face_descriptor(rgb, shape), np.float32)
        else:
            emb = None
    pts = np.median(np.array(fits, np.float32), axis=0)
    return _measure_points(
        pts, rgb.shape[1], rgb.shape[0], (rect.left(), rect.top(), rect.right(), rect.bottom()), emb
    )


def _measure_points(pts: np.ndarray, width: int, height: int, box, emb) -> FrameMeasure:
    face_h = float(np.linalg.norm(pts[8] - pts[17:27].mean(axis=0)))
    gaps = [np.linalg.norm(pts[a] - pts[b]) for a, b in ((61, 67), (62, 66), (63, 65))]
    ear = (eye_aspect_ratio(pts[36:42]), eye_aspect_ratio(pts[42:48]))
    yaw, pitch, roll = head_pose(pts, width, height)
    return FrameMeasure(pts, box, face_h, float(np.mean(gaps)) / face_h, ear, yaw, pitch, roll, emb)


def expression_features(m: FrameMeasure) -> dict[str, float]:
    """Facial action read off the 68 points, in face heights (up is positive), for telling
    expressions apart by their action units (Ekman and Friesen's FACS): brows raised (AU1+2) or
    lowered (AU4), the inner brow raised against the outer (AU1, sad and fearful; lowered against
    it, AU4), the eyes opened (AU5) or narrowed (AU6/7), the mouth corners raised (AU12) or pulled
    down (AU15), the mouth widened (AU12/20) and the lips parted (AU10, AU25/26). Compare a frame
    with a neutral frame of the same face and pose."""
    p = m.landmarks.astype(np.float64)
    h = m.face_height
    eye_y = p[[36, 39, 42, 45], 1].mean()
    mid_y = (p[62, 1] + p[66, 1]) / 2
    return {
        "brow_raise": float(eye_y - p[17:27, 1].mean()) / h,
        "inner_brow_raise": float(p[[17, 26], 1].mean() - p[[21, 22], 1].mean()) / h,
        "eye_open": m.mean_ear,
        "corner_raise": float(mid_y - p[[48, 54], 1].mean()) / h,
        "mouth_width": float(np.linalg.norm(p[48] - p[54])) / h,
        "lip_gap": m.lip_gap,
    }


def eye_aspect_ratio(eye: np.ndarray) -> float:
    p = eye.astype(np.float64)
    width = np.linalg.norm(p[0] - p[3])
    return (
        float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width)) if width else 0.0
    )


# mediapipe face-mesh eye points in the 68-point scheme's eye order (corner, two upper, corner, two
# lower), so eye_aspect_ratio reads them: subject's right eye, then left
_MESH_EYES = ((33, 160, 158, 133, 153, 144), (263, 387, 385, 362, 380, 373))


def mesh_ear(rgb: np.ndarray) -> tuple[float, float] | None:
    """Eye aspect ratio of both eyes from mediapipe's face mesh (see the module note), or None when
    mediapipe finds no face."""
    from facecast.runtime.face_landmarks import face_mesh

    lm = face_mesh(np.ascontiguousarray(_rgb(rgb)))
    if lm is None:
        return None
    right, left = (eye_aspect_ratio(lm[list(idx), :2]) for idx in _MESH_EYES)
    return right, left


EYE_MODEL = "modules/iris_landmark/iris_landmark.tflite"  # inside the mediapipe package
EYE_CROP = 2.3  # crop side / eye-corner distance (mediapipe's own region for this model)
_EYE_MODEL_SIZE = 64
_EYE_MODEL_PAIRS = ((11, 3), (12, 4), (13, 5))  # upper-lid / lower-lid points of its contour


class _EyeModel:
    """The eye-contour model's interpreter, loaded once per process (not thread-safe: locked)."""

    lock = threading.Lock()
    interpreter = None

    @classmethod
    def get(cls):
        if cls.interpreter is None:
            from importlib import resources

            cls.interpreter = tflite_interpreter(str(resources.files("mediapipe").joinpath(EYE_MODEL)))
        return cls.interpreter


TFLITE_MODULES = ("tflite_runtime", "ai_edge_litert")  # (the second where the first has no wheel)


def tflite_interpreter(path: str):
    """A TensorFlow Lite interpreter for the model file, its tensors allocated: from
    tflite-runtime (the test extra, Python < 3.12) or LiteRT (its successor, Python >= 3.12)."""
    try:
        from tflite_runtime.interpreter import Interpreter
    except ImportError:
        from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=path)
    interpreter.allocate_tensors()
    return interpreter


def eye_model_points(
    rgb: np.ndarray, start: np.ndarray, end: np.ndarray, mirror: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(lid (16, 2), iris (5, 2)) in frame pixels for the eye between two corners: its lid
    contour and its iris (centre first, then four points on its edge). `start` and `end` in the
    order they lie across the frame (left to right), `mirror` for the subject's left eye."""
    centre = (start + end) / 2.0
    d = end - start
    scale = _EYE_MODEL_SIZE / (EYE_CROP * float(np.linalg.norm(d)))
    M = cv2.getRotationMatrix2D(
        (float(centre[0]), float(centre[1])), float(np.degrees(np.arctan2(d[1], d[0]))), scale
    )
    M[:, 2] += _EYE_MODEL_SIZE / 2.0 - centre
    crop = cv2.warpAffine(np.ascontiguousarray(_rgb(rgb)), M, (_EYE_MODEL_SIZE, _EYE_MODEL_SIZE),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    if mirror:
        crop = crop[:, ::-1]
    with _EyeModel.lock:
        it = _EyeModel.get()
        it.set_tensor(it.get_input_details()[0]["index"], (crop.astype(np.float32) / 255.0)[None])
        it.invoke()
        contour, iris = (it.get_tensor(o["index"]) for o in it.get_output_details()[:2])
    pts = np.concatenate([contour.reshape(71, 3)[:16, :2], iris.reshape(5, 3)[:, :2]]).astype(np.float64)
    if mirror:
        pts[:, 0] = _EYE_MODEL_SIZE - pts[:, 0]
    inverse = cv2.invertAffineTransform(M)
    pts = pts @ inverse[:, :2].T + inverse[:, 2]
    return pts[:16], pts[16:]


def _eye_corners(landmarks: np.ndarray):
    """(start, end, mirror) of the subject's right eye, then left eye, from 68-point landmarks."""
    p = landmarks.astype(np.float64)
    return ((p[36], p[39], False), (p[42], p[45], True))


def eye_model_ear(rgb: np.ndarray, landmarks: np.ndarray) -> tuple[float, float]:
    """Eye aspect ratio of (the subject's right eye, left eye) by mediapipe's eye-contour model on
    crops placed by the 68-point eye corners `landmarks` (a FrameMeasure's): see the module note."""
    ears = []
    for start, end, mirror in _eye_corners(landmarks):
        lid, _ = eye_model_points(rgb, start, end, mirror)
        width = float(np.linalg.norm(lid[0] - lid[8]))
        ears.append(float(np.mean([np.linalg.norm(lid[u] - lid[lo]) for u, lo in _EYE_MODEL_PAIRS])) / width)
    return ears[0], ears[1]


def eye_model_gaze(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(2, 2): where each iris centre sits by the eye-contour model (the subject's right eye,
    then left), from the middle of its eye's corners (the model's own lid contour), in eye widths
    along the corners' line (> 0: toward the viewer's right) and across it (> 0: down)."""
    out = []
    for start, end, mirror in _eye_corners(landmarks):
        lid, iris = eye_model_points(rgb, start, end, mirror)
        a, b = (lid[8], lid[0]) if mirror else (lid[0], lid[8])  # (left to right in the frame)
        axis = b - a
        width = float(np.linalg.norm(axis))
        across, down = axis / width, np.array([-axis[1], axis[0]]) / width
        rel = iris[0] - (a + b) / 2.0
        out.append([float(rel @ across) / width, float(rel @ down) / width])
    return np.array(out)


# mediapipe face-mesh points for the same definitions: brow points (BROW_TOPS, the 68-point 17-26),
# chin (8), inner-lip pairs (61-67, 62-66, 63-65)
_MESH_CHIN = 152
_MESH_INNER_LIPS = ((82, 87), (13, 14), (312, 317))


def mesh_lip_gap(rgb: np.ndarray) -> float | None:
    """Inner-lip gap / face height from mediapipe's face mesh, or None when it finds no face."""
    from facecast.runtime.face_landmarks import face_mesh

    lm = face_mesh(np.ascontiguousarray(_rgb(rgb)))
    if lm is None:
        return None
    p = lm[:, :2].astype(np.float64)
    face_h = float(np.linalg.norm(p[_MESH_CHIN] - p[list(BROW_TOPS)].mean(axis=0)))
    gaps = [np.linalg.norm(p[a] - p[b]) for a, b in _MESH_INNER_LIPS]
    return float(np.mean(gaps)) / face_h if face_h else None


def head_pose(pts: np.ndarray, width: int, height: int) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees by PnP against the mean face (see the module docstring)."""
    image_pts = pts[_PNP_INDEX].astype(np.float64)
    f = float(width)
    camera = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)
    ok, rvec, _ = cv2.solvePnP(_PNP_OBJECT, image_pts, camera, None, flags=cv2.SOLVEPNP_ITERATIVE)
    if ok and abs(_pose_angles(rvec)[2]) > 90.0:
        # Converged to the mirrored solution (face upside down, yaw thrown 20-40 degrees), seen on
        # stylised faces: solve again from a frontal start in front of the camera.
        start_t = np.array([[0.0], [0.0], [width / 8.0]])
        ok, rvec, _ = cv2.solvePnP(_PNP_OBJECT, image_pts, camera, None, np.zeros((3, 1)), start_t, True,
                                   cv2.SOLVEPNP_ITERATIVE)  # fmt: skip
    if not ok:
        return float("nan"), float("nan"), float("nan")
    return _pose_angles(rvec)


def _pose_angles(rvec: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in FaceMotion's signs from a PnP rotation vector."""
    rot, _ = cv2.Rodrigues(rvec)
    fwd = rot @ np.array([0.0, 0.0, -1.0])  # out of the face, toward the camera when frontal
    right = rot @ np.array([1.0, 0.0, 0.0])  # the face's own left-to-right as the viewer sees it
    yaw = np.degrees(np.arctan2(fwd[0], -fwd[2]))
    pitch = np.degrees(np.arctan2(-fwd[1], -fwd[2]))
    roll = np.degrees(np.arctan2(right[1], right[0]))
    return float(yaw), float(pitch), float(roll)


def face_embedding(rgb: np.ndarray) -> np.ndarray:
    """dlib's 128-d descriptor of the largest face; ValueError when there is none."""
    fm = measure_frame(rgb, with_embedding=True)
    if fm is None:
        raise ValueError("no face found by dlib")
    return fm.embedding


def identity_distance(rgb_a: np.ndarray, rgb_b: np.ndarray) -> float:
    """Euclidean distance of dlib face descriptors: < 0.6 means the same person (dlib's threshold)."""
    return float(np.linalg.norm(face_embedding(rgb_a) - face_embedding(rgb_b)))
