"""A nearer head (FaceMotion scale above 1) is rendered as the camera coming closer: a zoom of the
whole picture about the face.

The warp can shrink a head inside the still background (the background beside it stretches) but
not grow one: the background beside the head would have to compress, and past a scale of about
1.08 the warp folds there, which shows as a rippled, torn edge of hair against the background
(measured 2026-11-27: a negative area ratio on all 9 portraits at scale 1.15 with a small shift,
on 7 of 9 at 1.2 alone; none up to 1.08). Scale comes from the distance control, a session setting
that the motion engine passes through unchanged rather than a motion, so a magnified frame stays
as still as the head's motion allows. The graph renders scale 1 and the frame is magnified here;
the FaceMotion records keep their scale for 3D and Live2D avatars.
"""

from __future__ import annotations

import cv2
import numpy as np

from .facemotion import HEAD_INDEX

SCALE, X, Y = HEAD_INDEX["scale"], HEAD_INDEX["x"], HEAD_INDEX["y"]  # motion vector columns


def split_zoom(motion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(motion with scale capped at 1, the zoom factor per frame: 1 where no zoom is needed)."""
    out = np.array(motion, np.float32, copy=True)
    zoom = np.maximum(out[:, SCALE], 1.0)
    out[:, SCALE] = np.minimum(out[:, SCALE], 1.0)
    return out, zoom


def face_centre(rig: dict[str, np.ndarray]) -> np.ndarray:
    """Midway between the eyes' middle and the mouth, in portrait pixels: what a closer camera
    keeps centred."""
    eyes = rig["iris_src"].mean(0)
    mouth = rig["ctrl"][rig["mouth_index"], :2].mean(0)
    return (0.5 * (eyes + mouth)).astype(np.float64)


def zoom_frames(frames: np.ndarray, zoom: np.ndarray, centre: np.ndarray, motion: np.ndarray) -> np.ndarray:
    """Magnify (N, S, S, C) uint8 frames in place by `zoom` about the face, which has moved by the
    frame's head shift (motion x, y); frames with zoom 1 are left alone."""
    size = frames.shape[1]
    for i in np.flatnonzero(zoom > 1.0 + 1e-4):
        z = float(zoom[i])
        # the rig's coordinates put pixel centres at +0.5, OpenCV's at the integers
        cx = centre[0] - 0.5 + float(motion[i, X]) * size
        cy = centre[1] - 0.5 - float(motion[i, Y]) * size
        m = np.array([[z, 0.0, cx * (1 - z)], [0.0, z, cy * (1 - z)]])
        frames[i] = cv2.warpAffine(
            np.ascontiguousarray(frames[i]),
            m,
            (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    return frames
