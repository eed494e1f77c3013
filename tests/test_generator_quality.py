"""Quality of the rendered frames, measured by an independent detector (dlib 68 points and face
descriptor, benchmarks/face_measure.py), on scikit-image's astronaut portrait. The same checks run
over the dev portraits in benchmarks/generator_quality.py."""

from __future__ import annotations

import numpy as np

from benchmarks import generator_quality as q


def test_jaw_opening_is_measured_back_and_closed_lips_close(gen):
    r = q.jaw_check(gen)
    assert all(r["found"])
    assert r["jaw_gap_corr"] >= 0.9
    assert r["jaw_gap_corr_mesh"] >= 0.9  # mediapipe's mesh, a second opinion (0.988)
    assert r["closed_gap"] < 0.045  # rest lips under head turns: dlib's lip points drift on a turned smile
    frontal = q.measure_frame(np.ascontiguousarray(gen.render(q.motion()[None])[0, ..., :3]))
    assert frontal.lip_gap < 0.02
    assert r["closed_gap_mesh"] < 0.02  # mediapipe's mesh (second opinion): shut at every pose (0.004)
    gaps = np.array(r["gaps"])
    assert gaps[-1] > 0.08  # a wide-open jaw is a wide-open mouth, not a twitch


def test_shut_lips_hide_a_smiling_portraits_teeth(avatar):
    """The astronaut smiles with her teeth showing; shut (at rest, turned, on a bilabial) her lips
    must cover them, not keep a line of them between the lips. Before 2026-11-28 the shut frames
    showed 11-16% of the opening dlib outlines on the portrait (a light line along the lips)."""
    assert q.opening_check(avatar)["opening_shown"] < 0.05


def test_head_yaw_pitch_and_roll_are_measured_back(gen):
    """Within 3 degrees over -20..20 (roll -15..15) by both readers, but for dlib's pitch: it reads
    this portrait's chin-down -20 as 15.7-16.6 degrees whatever depth the render gives the turn
    (chin-down depth gains 1.05 to 1.65, where mediapipe's reading follows the gain from 15.3 to
    23.7): the bound is its generic face's, not the render's (docs/generator.md, "A steadier
    reading"). It still has to be within 4.5 (3.4-4.3 over that sweep)."""
    r = q.pose_check(gen)
    assert all(r["found"])
    assert r["yaw_err"] <= 3.0, r["yaw_measured"]
    assert r["yaw_err_mesh"] <= 3.0, r["yaw_measured_mesh"]
    assert r["pitch_err_mesh"] <= 3.0, r["pitch_measured_mesh"]
    assert r["pitch_err"] <= 4.5, r["pitch_measured"]
    assert r["roll_err"] <= 3.0, r["roll_measured"]  # +-15 degrees of roll


def test_blinks_are_seen_and_talking_is_not_a_blink(gen):
    r = q.blink_check(gen)
    assert all(r["found"])
    assert r["blink_detect"] >= 0.95
    assert r["false_blinks"] == 0
    assert r["wink_ear_ratio"] < 0.95  # a single closed eye still reads lower than the open one
    # mediapipe's eye-contour model (its own network, not the mesh the rig is built from) on crops
    # at dlib's eye corners: every blink, no false one, and a wink shuts one eye well down
    assert r["blink_detect_model"] >= 0.95
    assert r["false_blinks_model"] == 0
    assert r["wink_ear_ratio_model"] < 0.6
    # the second opinion (mediapipe's mesh on the frame): every blink seen, none while talking, and
    # the lids really shut (open eyes read 1.0; the lid stopping halfway would read ~0.6)
    assert r["blink_detect_mesh"] >= 0.95
    assert r["false_blinks_mesh"] == 0
    assert r["closed_ear_ratio_mesh"] < 0.4


def test_the_irises_look_where_they_are_told(gen):
    """Gaze read by an independent network (mediapipe's eye-contour model on crops at dlib's eye
    corners): looking 25 degrees left or right moves both irises that way, 20 degrees up or down
    moves them up or down (the astronaut reads 0.09-0.11 and 0.045-0.06 eye widths)."""
    r = q.gaze_check(gen)
    assert all(r["found"])
    assert r["gaze_x"] > 0.05, r["gaze_shift"]
    assert r["gaze_y"] > 0.025, r["gaze_shift"]


def test_identity_holds(gen, avatar):
    assert q.identity_check(gen, avatar)["identity_dist"] < 0.5


def test_still_motion_does_not_shimmer(gen):
    assert q.still_check(gen)["still_change"] == 0


def test_each_emotion_is_read_back_from_the_face(gen):
    """Happy raises and widens the mouth corners, sad lifts the inner brows and turns the corners
    down, angry and disgusted lower the brows and narrow the eyes (disgust baring the upper teeth),
    surprised and fearful raise the brows and open the eyes: measured by dlib on the frame."""
    r = q.emotion_check(gen)
    assert all(r["found"])
    assert r["emotions_missed"] == [], r["emotion_changes"]


def test_visemes_open_shut_and_round_the_rendered_mouth(grace_hopper_jpg):
    """The 15 visemes as the frame shows them, read by dlib: open vowels open the mouth, "m", "b",
    "p" and silence shut it, "f"/"v" nearly, rounded vowels narrow it. On Grace
    Hopper, whose lips are closed in her photo (the astronaut's parted ones leave a line of her
    teeth between shut lips, which dlib reads as a 0.03 gap: docs/generator.md)."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator
    from facecast.runtime.lips import MOUTH_INDEX, VISEME_TABLE
    from facecast.runtime.names import VISEME_NAMES

    vs = []
    for row in VISEME_TABLE:
        v = q.motion()
        v[MOUTH_INDEX] = row
        vs.append(v)
    frames = Generator(prepare_avatar(grace_hopper_jpg)).render(np.stack(vs))
    ms = dict(zip(VISEME_NAMES, (q.measure_frame(np.ascontiguousarray(f[..., :3])) for f in frames)))
    assert all(m is not None for m in ms.values())
    gap = {k: m.lip_gap for k, m in ms.items()}
    width = {
        k: float(np.linalg.norm(m.landmarks[48] - m.landmarks[54])) / m.face_height for k, m in ms.items()
    }
    assert max(gap["PP"], gap["sil"]) < 0.02, gap
    assert gap["FF"] < 0.03, gap
    assert min(gap["aa"], gap["E"], gap["oh"]) > 0.07, gap
    # rounded against spread at a like opening (an opening jaw narrows the mouth too)
    assert width["oh"] < 0.97 * width["E"], width
    assert width["ou"] < 0.97 * width["sil"], width


def test_the_demo_portraits_blinks_are_seen(grace_hopper_jpg):
    """Grace Hopper (the demo's portrait, eyes behind glasses): every commanded blink is seen by
    dlib too. A shut eye's lashes bunch into a dark band (0.14-0.27 eye widths across in the
    real blinks of the dev videos); drawn as a thin line, dlib's points stayed on the lid above it
    and saw 60% of her blinks."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    r = q.blink_check(Generator(prepare_avatar(grace_hopper_jpg)))
    assert all(r["found"])
    assert r["blink_detect"] >= 0.95
    assert r["blink_detect_model"] >= 0.95 and r["false_blinks_model"] == 0
    assert r["blink_detect_mesh"] >= 0.95
    assert r["false_blinks_mesh"] == 0
