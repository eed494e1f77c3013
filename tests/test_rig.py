"""The rig's per-avatar tensors: anatomy-driven blendshapes scaled to the face, a spline that
reproduces what a spline must, and a moving region that holds the head."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facecast.runtime.avatar import prepare_avatar
from facecast.runtime.errors import AvatarError
from facecast.runtime.face_anatomy import FACE_OVAL, LIPS_LI, LIPS_UI
from facecast.runtime.names import ARKIT_INDEX
from facecast.runtime.rig import RigOptions, build_rig
from facecast.runtime.rig_depth import SHIFT_LIMIT, ease_shifts, ease_turns, warp_area_ratio


@pytest.fixture(scope="module")
def rig(avatar):
    return build_rig(avatar)


def _point(rig, avatar, landmark):
    """Control point index of a landmark (control points keep the rig's landmark positions)."""
    d = np.linalg.norm(rig["ctrl"][:, :2] - rig["landmarks"][landmark, :2], axis=1)
    assert d.min() < 1e-3
    return int(d.argmin())


def test_rig_tensors_are_finite_and_consistent(rig, avatar):
    S = avatar.size
    k = len(rig["ctrl"])
    assert rig["basis"].shape == (52, k, 3)
    assert rig["tps"].shape[2] == k
    assert rig["tps"].shape[1] == rig["grid_nodes"].shape[0] * rig["grid_nodes"].shape[1]
    assert rig["texture"].shape == (
        1,
        3,
        2 * S,
        2 * S,
    )  # the portrait upscaled 2x (RGB; texels carry the matte)
    for name, v in rig.items():
        assert np.isfinite(v).all(), name


def test_moving_region_holds_the_whole_face(rig, avatar):
    pix = rig["region_pix"]
    lo, hi = pix[0, 0], pix[-1, -1]
    face = avatar.landmarks[:468, :2]
    assert (face.min(0) > lo).all() and (face.max(0) < hi).all()
    # and the still background around it tiles the frame exactly once with the region
    S, (rh, rw) = avatar.size, pix.shape[:2]
    top, left, right, bottom = (rig[k] for k in ("bg_top", "bg_left", "bg_right", "bg_bottom"))
    assert top.shape[2] == bottom.shape[2] == S
    assert left.shape[1] == right.shape[1] == rh and left.shape[2] + rw + right.shape[2] == S
    assert top.shape[1] + rh + bottom.shape[1] == S
    # and the packed texels are the 2x texture's RGBA bytes, rounded
    tex = rig["texture"][0].transpose(1, 2, 0).reshape(-1, 3)
    texels = rig["texels"].view(np.uint8).reshape(-1, 4)
    assert len(texels) == len(tex) and np.abs(texels[:, :3] / 255.0 - tex).max() <= 0.5 / 255 + 1e-6


def test_spline_reproduces_a_translation_exactly(rig, avatar):
    """Thin-plate splines reproduce affine maps: moving every point by the same vector moves every
    grid node on the face by exactly that vector (both warps); away from the head the rig fades the
    field to exactly zero, never beyond the vector."""
    k = len(rig["ctrl"])
    disp = np.tile(np.array([[3.0, -2.0]]), (k, 1))
    nodes = rig["grid_nodes"].reshape(-1, 2)
    oval = avatar.landmarks[list(FACE_OVAL), :2].astype(np.float32)
    on_face = np.array([cv2.pointPolygonTest(oval, (float(x), float(y)), False) > 0 for x, y in nodes])
    assert on_face.sum() > 50
    for m in rig["tps"]:
        used = np.abs(m).sum(0) > 0
        out = m @ np.where(used[:, None], disp, 0.0)
        factor = out[:, 0] / 3.0
        np.testing.assert_allclose(out[:, 1], -2.0 * factor, atol=1e-3)
        assert factor.min() > -1e-3 and factor.max() < 1 + 1e-3
        np.testing.assert_allclose(factor[on_face], 1.0, atol=1e-3)
        assert np.any(factor == 0.0)


def test_jaw_opens_the_lower_lip_only(rig, avatar):
    face_h = np.linalg.norm(avatar.landmarks[152, :2] - avatar.landmarks[[468, 473], :2].mean(0))
    jaw = rig["basis"][ARKIT_INDEX["jawOpen"]]
    lower = jaw[_point(rig, avatar, LIPS_LI[5])]
    upper = jaw[_point(rig, avatar, LIPS_UI[5])]
    assert 0.1 * face_h < lower[1] < 0.3 * face_h  # down, in proportion to the face
    assert abs(upper[1]) < 0.01 * face_h


def test_each_blink_closes_its_own_eye(rig, avatar):
    for name, lid, other in (("eyeBlinkLeft", 386, 159), ("eyeBlinkRight", 159, 386)):
        b = rig["basis"][ARKIT_INDEX[name]]
        assert b[_point(rig, avatar, lid), 1] > 2.0  # the upper lid comes down (image y grows)
        assert abs(b[_point(rig, avatar, other), 1]) < 0.1


def test_bad_landmarks_are_rejected(avatar):
    from dataclasses import replace

    with pytest.raises(AvatarError, match="landmarks"):
        build_rig(replace(avatar, landmarks=avatar.landmarks[:100]))


@pytest.mark.parametrize("portrait", ["astronaut", "grace_hopper"])
def test_turns_compress_instead_of_folding(portrait, avatar, grace_hopper_jpg):
    """A backward warp cannot draw occlusion: where the forward warp folds (the nose sliding over the
    cheek) the frame tears into a jagged seam. The rig's depth is shaped so that the warp's area
    ratio stays positive over the promised +-20 degrees of yaw and pitch, alone and combined, and
    over the larger turns the motion engine asks for at intensity 2 once the generator has eased
    them (up to 35 degrees); the raw depth folds already at 20."""
    av = avatar if portrait == "astronaut" else prepare_avatar(grace_hopper_jpg)
    turns = [(20, 0), (-20, 0), (0, 20), (0, -20), (18, 12), (-18, -12)]
    shaped = build_rig(av)
    assert min(warp_area_ratio(shaped, y, p).min() for y, p in turns) > 0.15
    big = np.zeros((6, 62), np.float32)
    big[:, 52:54] = [(35, 0), (-35, 0), (0, 35), (0, -35), (30, 20), (-30, -20)]
    eased = ease_turns(big)[:, 52:54]
    assert np.hypot(*eased.T).max() < 26 and (np.sign(eased) == np.sign(big[:, 52:54])).all()
    assert min(warp_area_ratio(shaped, y, p).min() for y, p in eased) > 0.0
    raw = build_rig(av, RigOptions(unfold=False))
    assert min(warp_area_ratio(raw, y, p).min() for y, p in turns) < 0.0
    # only the depth changed, and only where it had to: the face keeps most of its relief
    z_raw, z_shaped = raw["ctrl"][:, 2], shaped["ctrl"][:, 2]
    assert np.ptp(z_shaped) > 0.6 * np.ptp(z_raw)
    np.testing.assert_array_equal(raw["ctrl"][:, :2], shaped["ctrl"][:, :2])


def test_head_shifts_compress_instead_of_folding(avatar):
    """Shifting the head compresses the hair and background beside it; past about 0.045 of the
    frame (intensity 2 with an emotion) the warp folds on some portraits, so the picture eases
    shifts toward SHIFT_LIMIT, where the warp still compresses without folding."""
    rig = build_rig(avatar)
    big = np.zeros((4, 62), np.float32)
    big[:, 55:57] = [(0.06, 0), (-0.06, 0), (0, 0.06), (0.045, 0.03)]
    eased = ease_shifts(big)[:, 55:57]
    assert np.hypot(*eased.T).max() <= SHIFT_LIMIT + 1e-6
    assert min(warp_area_ratio(rig, x=x, y=y).min() for x, y in eased) > 0.15
    assert warp_area_ratio(rig, x=0.06).min() < 0.0  # not eased, it folds
    small = np.zeros((1, 62), np.float32)
    small[0, 52:57] = (8, -5, 0, 0.02, -0.01)  # a small turn and shift are left alone
    np.testing.assert_array_equal(ease_shifts(small), small)
    # a large turn with the shift the motion engine pairs with it (0.0015 of the frame per degree
    # across, 0.001 per degree up): held at the shaped depth's margin, the shift fades out
    paired = np.zeros((6, 62), np.float32)
    turns = np.array([(20, 0), (-20, 0), (0, 20), (0, -20), (20, 12), (-20, -12)], np.float32)
    paired[:, 52:54] = turns
    paired[:, 55:57] = turns * [0.0015, 0.001]
    eased_pairs = ease_shifts(paired)
    for (yaw, pitch), (x, y) in zip(turns, eased_pairs[:, 55:57]):
        assert warp_area_ratio(rig, yaw, pitch, x, y).min() > 0.15


def test_easing_leaves_the_promised_range_alone():
    m = np.zeros((41, 62), np.float32)
    m[:, 52] = np.linspace(-14, 14, 41)
    m[:, 53] = np.linspace(14, -14, 41)
    m[::5, 53] = 0
    m[::5, 52] = np.linspace(-20, 20, 9)
    np.testing.assert_array_equal(ease_turns(m), m)
    far = np.zeros((50, 62), np.float32)
    far[:, 52] = np.linspace(20, 60, 50)
    yaw = ease_turns(far)[:, 52]
    assert (np.diff(yaw) > 0).all() and yaw[-1] < 26  # still turning further, ever more slowly


@pytest.mark.parametrize("portrait", ["astronaut", "grace_hopper"])
def test_teeth_are_near_white_in_the_portraits_light(portrait, avatar, grace_hopper_jpg):
    """Teeth are a pale, bright version of the skin's colour. Grace Hopper's eye-white sample (small
    eyes behind glasses) is mostly lid skin, and teeth taken from it came out salmon like gums."""
    from facecast.runtime.rig_colors import COLOR_SLOTS

    def sat(c):
        return (c.max() - c.min()) / c.max()

    av = avatar if portrait == "astronaut" else prepare_avatar(grace_hopper_jpg)
    col = dict(zip(COLOR_SLOTS, build_rig(av)["colors"]))
    teeth, skin, lip = col["teeth"], col["skin"], col["lip"]
    assert sat(teeth) < 0.5 * sat(skin) and sat(teeth) < 0.25
    assert teeth.mean() >= 0.95 * min(skin.mean(), 0.95)
    assert np.linalg.norm(teeth - lip) > 0.15  # not the lips' colour
    assert np.sign(teeth[0] - teeth[2]) == np.sign(skin[0] - skin[2])  # the skin's warmth, not its opposite


def test_teeth_stay_bright_when_a_shadow_falls_on_one_cheek(avatar):
    """Hair or a glasses frame can throw one cheek into shadow (an eval-dev portrait did): the skin
    sample must come from the lit cheek, not the shadow: there the teeth had turned dark grey,
    darker than the lips, and the shut lids dark."""
    from facecast.runtime.face_anatomy import FaceFrame
    from facecast.runtime.rig_colors import COLOR_SLOTS, portrait_colors

    img, lm = np.asarray(avatar.image), np.asarray(avatar.landmarks, np.float64)
    face = FaceFrame.from_landmarks(lm)
    shadow = np.zeros(img.shape[:2], np.uint8)
    for i in (50, 101):  # the subject's right cheek
        cv2.circle(shadow, tuple(np.round(lm[i, :2]).astype(int)), int(0.12 * face.height), 1, -1)
    shaded = img.copy()
    shaded[shadow > 0] = (shaded[shadow > 0] * 0.3).astype(np.uint8)
    lit = dict(zip(COLOR_SLOTS, portrait_colors(img, lm, face)))
    dark = dict(zip(COLOR_SLOTS, portrait_colors(shaded, lm, face)))
    for slot in ("skin", "teeth", "lid"):  # skin colours the shut lid and, with the eye whites, the teeth
        assert np.abs(dark[slot] - lit[slot]).max() < 0.06, slot
    assert dark["teeth"].mean() > dark["lip"].mean()


def test_a_shut_lid_takes_its_skin_from_below_a_glasses_frame(avatar, rig):
    """The row of lid skin a shut photo lid is made of stays off a dark band above the eye (a
    glasses frame, a low brow): painted in at 1.15-1.5 iris radii above each lid, it moves the
    chosen row below it."""
    from facecast.runtime.face_anatomy import EYE_L_UP, EYE_R_UP, iris_radius
    from facecast.runtime.rig_colors import LID_ROW_RANGE, shut_lid_row

    img = np.asarray(avatar.image)
    lm = np.asarray(avatar.landmarks, np.float64)
    lid = rig["colors"][8]
    framed = img.copy()
    for eye, up in enumerate((EYE_R_UP, EYE_L_UP)):
        r = iris_radius(lm, eye)
        top = lm[list(up), :2]
        band = np.concatenate([top - [0, 1.15 * r], (top - [0, 1.5 * r])[::-1]])
        cv2.fillPoly(framed, [np.round(band).astype(np.int32)], (30, 25, 25))
    for eye in (0, 1):
        r = iris_radius(lm, eye)
        row = shut_lid_row(framed, lm, eye, lid)
        assert LID_ROW_RANGE[0] <= row < 1.15 - 1.0 / r, (eye, row, shut_lid_row(img, lm, eye, lid))


def test_a_parted_mouth_is_closed_in_the_rigs_picture_and_shut_mouths_left_alone(avatar, grace_hopper_jpg):
    """The rig never shows a portrait's own teeth (shut lips cover them, an open mouth is drawn): a
    parted mouth is closed once in the picture the rig samples. Its inner lip lines meet, no tooth
    is left between the lips, and nothing changes away from the mouth and jaw; shut mouths are
    untouched."""
    from facecast.runtime.face_anatomy import LIPS_LI, LIPS_LO, LIPS_UI, LIPS_UO, FaceFrame
    from facecast.runtime.lip_edges import lip_colour, teeth_mask
    from facecast.runtime.mouth_close import mouth_for_rig

    shut = prepare_avatar(grace_hopper_jpg)
    lm = np.asarray(shut.landmarks, np.float64)
    same, image = mouth_for_rig(shut.image, lm, cel=False)
    assert same is lm and image is shut.image

    lm = np.asarray(avatar.landmarks, np.float64)
    closed, picture = mouth_for_rig(avatar.image, lm, cel=False)
    down = FaceFrame.from_landmarks(lm).down  # the lips meet along the face's down axis
    assert np.abs((closed[list(LIPS_UI), :2] - closed[list(LIPS_LI), :2]) @ down).max() < 1e-6

    def teeth(image, points):  # pale, un-red pixels inside the lips' outline
        lab = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2LAB).astype(np.float32)
        lips = np.zeros(lab.shape[:2], np.uint8)
        cv2.fillPoly(lips, [np.round(points[list(LIPS_UO + LIPS_LO[::-1]), :2]).astype(np.int32)], 1)
        return teeth_mask(lab, lip_colour(lab, points)) & (lips > 0)

    assert teeth(avatar.image, lm).sum() > 300  # her row of teeth
    seam = np.zeros(picture.shape[:2], np.uint8)  # where the teeth showed between shut lips
    cv2.polylines(seam, [np.round(closed[list(LIPS_UI), :2]).astype(np.int32)], False, 1, 5)
    assert (teeth(picture, closed) & (seam > 0)).sum() < 0.05 * seam.sum()  # (3%: a lip highlight)
    changed = (picture != avatar.image).any(-1)
    ys, xs = np.nonzero(changed)
    face_h = np.linalg.norm(lm[152, :2] - lm[[468, 473], :2].mean(0))
    assert ys.min() > lm[1, 1] - 0.2 * face_h  # (below the nose tip, give or take)
    assert np.abs(xs - lm[[61, 291], 0].mean()).max() < 2.0 * np.linalg.norm(lm[468, :2] - lm[473, :2])


def test_a_wide_open_mouth_is_closed_by_the_jaw(grace_hopper_jpg):
    """A shout or a sung note opens the jaw: closing it with the lips alone stretched them over
    the whole opening (and left a smear). Grace Hopper's shut mouth opened by the rig's own jaw
    drop closes again with the chin rising by most of the opening, the lips shut and in order,
    and nothing above the mouth moved."""
    from facecast.runtime.face_anatomy import LIPS_LI, LIPS_LO, LIPS_UI, LIPS_UO, FaceFrame
    from facecast.runtime.mouth_close import LIPS_CLOSE, closed_landmarks
    from facecast.runtime.rig_basis import JAW_DROP, jaw_weights

    lm = np.asarray(prepare_avatar(grace_hopper_jpg).landmarks, np.float64)
    face = FaceFrame.from_landmarks(lm)
    opened = lm.copy()
    opened[:, :2] += JAW_DROP * face.height * jaw_weights(lm, face)[:, None] * face.down
    gap = float((opened[14, :2] - opened[13, :2]) @ face.down) / face.height
    assert gap > 0.2  # wide open
    shut = closed_landmarks(opened, face)
    down = face.down
    assert np.abs((shut[list(LIPS_LI), :2] - shut[list(LIPS_UI), :2]) @ down).max() < 1e-6
    assert ((shut[list(LIPS_UO[1:-1]), :2] - shut[list(LIPS_UI[1:-1]), :2]) @ down < 0).all()  # in order
    assert ((shut[list(LIPS_LO[1:-1]), :2] - shut[list(LIPS_LI[1:-1]), :2]) @ down > 0).all()
    rise = float((opened[152, :2] - shut[152, :2]) @ down) / face.height
    assert rise > 0.5 * gap and abs(rise - (gap - LIPS_CLOSE)) < 0.02  # the chin carries the rest
    above = lm[:468, 1] < lm[2, 1]  # the nose's base and up: still
    assert np.abs(shut[:468][above] - opened[:468][above]).max() < 1e-9
