"""Eyes drawn wider than the face mesh's (3D cartoons): the blink must close the eye as drawn.

The input is the astronaut with each eye painted over as a cartoon's (a large white opening around
the iris, a dark upper outline) well outside mediapipe's eye ring, as on 3D-cartoon portraits.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facecast.runtime.avatar import prepare_avatar
from facecast.runtime.face_anatomy import EYE_L_LO, EYE_L_UP, EYE_R_LO, EYE_R_UP, eye_width
from facecast.runtime.facemotion import FaceMotion
from facecast.runtime.generator import Generator
from facecast.runtime.names import ARKIT_INDEX
from facecast.runtime.rig import build_rig

WHITE, IRIS, OUTLINE = (238, 236, 232), (60, 90, 140), (50, 30, 25)


@pytest.fixture(scope="module")
def cartoon_eyes_png(astronaut_png: Path, tmp_path_factory) -> Path:
    """The astronaut with cartoon eyes: each an ellipse 1.24 eye widths across and 0.6 tall (the
    mesh's eye opens about 0.3), white with a blue iris, under a dark drawn lash line."""
    lm = prepare_avatar(astronaut_png).source_points()
    img = cv2.cvtColor(cv2.imread(str(astronaut_png)), cv2.COLOR_BGR2RGB)
    for e, (up, lo) in enumerate(((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))):
        U, L = lm[list(up)], lm[list(lo)]
        ew = float(np.linalg.norm(U[-1] - U[0]))
        left, right = sorted([U[0], U[-1]], key=lambda p: p[0])
        angle = float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))
        mid = (U.mean(0) + L.mean(0)) / 2
        centre, axes = (int(mid[0]), int(mid[1] + 0.08 * ew)), (int(0.62 * ew), int(0.3 * ew))
        c = lm[468 + 5 * e]
        r = float(np.linalg.norm(lm[469 + 5 * e] - c))
        eye, iris = np.zeros(img.shape[:2], np.uint8), np.zeros(img.shape[:2], np.uint8)
        cv2.ellipse(eye, centre, axes, angle, 0, 360, 1, -1)
        cv2.circle(iris, (int(c[0]), int(c[1])), int(1.15 * r), 1, -1)
        img[(eye > 0) & (iris == 0)] = WHITE
        img[(eye > 0) & (iris > 0)] = IRIS
        cv2.circle(img, (int(c[0]), int(c[1])), int(0.5 * r), (15, 15, 20), -1)
        cv2.ellipse(img, centre, axes, angle, 180, 360, OUTLINE, 2)
    path = tmp_path_factory.mktemp("wide") / "cartoon_eyes.png"
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return path


def test_eyes_drawn_wider_than_the_mesh_are_found_and_photos_are_left_alone(
    cartoon_eyes_png, astronaut_png, grace_hopper_jpg
):
    assert prepare_avatar(cartoon_eyes_png).wide_eyes
    assert not prepare_avatar(astronaut_png).wide_eyes
    assert not prepare_avatar(grace_hopper_jpg).wide_eyes


def test_a_blink_closes_the_whole_drawn_eye_with_a_dark_lash_line(cartoon_eyes_png):
    av = prepare_avatar(cartoon_eyes_png)
    rest = FaceMotion().to_vector()
    shut = rest.copy()
    shut[ARKIT_INDEX["eyeBlinkLeft"]] = shut[ARKIT_INDEX["eyeBlinkRight"]] = 1.0
    f_open, f_shut = Generator(av).render(np.stack([rest, shut]))[..., :3]
    near_eyes = np.zeros(f_open.shape[:2], bool)
    for e, c in enumerate(av.landmarks[[468, 473], :2]):
        ew = eye_width(av.landmarks, e)
        near_eyes[int(c[1] - 0.5 * ew) : int(c[1] + 0.5 * ew), int(c[0] - ew) : int(c[0] + ew)] = True
    white = near_eyes & (f_open.min(-1) > 215)
    assert white.sum() > 300, "the painted eye whites are not in the open frame"
    # before the refit the lid closed mediapipe's inner ring only: 23% of the white stayed
    assert np.mean(f_shut[white].min(-1) > 215) < 0.03
    # the seam takes the drawn lash line's colour, not the iris's blue (read inside the ring before)
    lash = build_rig(av)["colors"][7] * 255
    assert lash.mean() < 90 and lash[2] <= lash[0] + 10, lash
