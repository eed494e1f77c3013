"""Anime portraits: the character art of Ren'Py's demo games (Debian's renpy-demo and
renpy-thequestion, Expat licence), read from the installed packages. The face is found, the
mouth opens into a dark interior, a head turn moves the face and leaves the background still."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.generator_quality import motion
from facecast.runtime import face_landmarks as fl

RENPY = Path("/usr/share/games/renpy")
ANIME = {
    "sylvie": RENPY / "the_question/game/images/sylvie green normal.png",
    "eileen": RENPY / "demo/game/images/eileen happy.png",
    "lucy": RENPY / "demo/game/images/lucy happy.png",  # with glasses
}


@pytest.fixture(scope="module", params=sorted(ANIME))
def anime(request, tmp_path_factory):
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    path = ANIME[request.param]
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: apt-get install renpy-demo renpy-thequestion (README, 'Run the tests')"
        )
    av = prepare_avatar(path, cache_dir=tmp_path_factory.mktemp("anime"))
    return av, Generator(av)


def test_the_face_is_found_and_framed(anime):
    av, _ = anime
    lm = av.landmarks
    assert lm[fl.RIGHT_IRIS, 0] < lm[fl.LEFT_IRIS, 0]
    assert lm[fl.RIGHT_IRIS, 1] < lm[fl.NOSE_TIP, 1] < lm[fl.UPPER_LIP_TOP, 1] < lm[fl.CHIN, 1]
    assert 0.3 < np.ptp(lm[:468, 0]) / av.size < 0.55


def _mouth_box(av) -> tuple[slice, slice]:
    lm = av.landmarks
    corners = lm[[61, 291], :2]
    cx, cy = corners.mean(0)
    half_w = 0.75 * np.ptp(corners[:, 0])
    face_h = lm[fl.CHIN, 1] - lm[fl.FOREHEAD_TOP, 1]
    return slice(int(cy - 0.08 * face_h), int(cy + 0.12 * face_h)), slice(int(cx - half_w), int(cx + half_w))


def test_the_mouth_opens_into_a_dark_interior(anime):
    av, gen = anime
    rest, open_ = gen.render(np.stack([motion(), motion(jawOpen=0.7)]))
    ys, xs = _mouth_box(av)
    skin = np.median(rest[ys, xs, :3].reshape(-1, 3).astype(float).mean(1))
    dark = [int((f[ys, xs, :3].astype(float).mean(-1) < 0.5 * skin).sum()) for f in (rest, open_)]
    area = (ys.stop - ys.start) * (xs.stop - xs.start)
    assert dark[1] > dark[0] + 0.05 * area, f"dark pixels in the mouth: {dark[0]} at rest, {dark[1]} open"


def test_the_open_mouth_is_coloured_as_cel_art(anime, astronaut_png, tmp_path):
    """Drawn faces have no lip colour of their own: their open mouth takes cel art's deep red fill
    (the photo-style cavity, a darkened lip colour, came out grey-brown on them: red/green 1.1)."""
    from facecast.runtime.avatar import prepare_avatar

    av, gen = anime
    assert av.cel_shaded
    rest, open_ = gen.render(np.stack([motion(), motion(jawOpen=0.8)]))[..., :3].astype(float)
    ys, xs = _mouth_box(av)
    lum = open_[ys, xs].mean(-1)
    opening = np.abs(open_[ys, xs] - rest[ys, xs]).max(-1) > 40
    dark = opening & (lum < 0.5 * np.median(rest[ys, xs].mean(-1)))
    assert dark.sum() > 50
    red, green = open_[ys, xs][dark][:, :2].mean(0)
    assert red > 1.8 * green, f"cavity red/green {red / green:.2f}"
    assert not prepare_avatar(astronaut_png, cache_dir=tmp_path).cel_shaded  # photos keep their own


def test_black_and_white_art_keeps_a_grey_mouth(tmp_path):
    """Manga is drawn in black and white: its open mouth must not come out in cel art's red."""
    import cv2

    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    art = cv2.imread(str(ANIME["eileen"]), cv2.IMREAD_UNCHANGED)
    grey = cv2.cvtColor(art[..., :3], cv2.COLOR_BGR2GRAY)
    path = tmp_path / "eileen grey.png"
    cv2.imwrite(str(path), np.dstack([grey, grey, grey, art[..., 3]]))
    av = prepare_avatar(path, cache_dir=tmp_path)
    assert av.cel_shaded
    rest, open_ = Generator(av).render(np.stack([motion(), motion(jawOpen=0.8)]))[..., :3].astype(float)
    ys, xs = _mouth_box(av)
    opening = np.abs(open_[ys, xs] - rest[ys, xs]).max(-1) > 30
    assert opening.sum() > 200
    spread = np.ptp(open_[ys, xs][opening], axis=-1)
    assert spread.max() <= 2, f"colour in a black-and-white mouth: channels differ by up to {spread.max()}"


def test_a_still_from_heavily_compressed_video_is_not_taken_for_cel_art(tmp_path):
    """A webcam or video still at a low bitrate is smooth, in flat blocks: the earlier test (a share of
    flat-gradient pixels) read the astronaut through libx264 at 20 kbit/s as cel art (over its 8%
    limit), and the anime mouth and eyes would have followed. Cel art also has few colours and sharp
    lines; this still has neither."""
    import cv2
    from skimage import data

    from benchmarks.watermark_robustness import h264
    from facecast.runtime.avatar import prepare_avatar

    face = cv2.resize(data.astronaut()[0:320, 100:420], (240, 240), interpolation=cv2.INTER_AREA)
    still = h264(np.stack([face] * 10), "20k")[5]
    assert np.abs(still.astype(float) - face).mean() > 3  # it really is degraded
    png = tmp_path / "still.png"
    cv2.imwrite(str(png), cv2.cvtColor(still, cv2.COLOR_RGB2BGR))
    assert not prepare_avatar(png, cache_dir=tmp_path).cel_shaded


def test_a_head_turn_moves_the_face_and_not_the_background(anime):
    av, gen = anime
    rest, turned = gen.render(np.stack([motion(), motion(yaw=15.0)])).astype(float)
    lm = av.landmarks
    face = (
        slice(int(lm[fl.FOREHEAD_TOP, 1]), int(lm[fl.CHIN, 1])),
        slice(int(lm[:468, 0].min()), int(lm[:468, 0].max())),
    )
    assert np.abs(turned[face] - rest[face]).mean() > 4.0  # the face moved
    s = av.size
    corners = [(slice(0, s // 10), slice(0, s // 10)), (slice(0, s // 10), slice(-s // 10, None))]
    for c in corners:  # the picture's top corners lie outside the moving region
        assert np.abs(turned[c] - rest[c]).max() <= 1.0


def _lab(frame: np.ndarray, ys: slice, xs: slice) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(frame[ys, xs, :3]), cv2.COLOR_RGB2LAB).astype(float)


def _iris_coloured(lab: np.ndarray) -> np.ndarray:
    """Coloured and darker than skin: a drawn iris (and hair or strokes that fall in the box)."""
    return (lab[..., 0] < 170) & (np.hypot(lab[..., 1] - 128, lab[..., 2] - 128) > 20)


def _eye_boxes(av) -> list[tuple[slice, slice]]:
    lm = av.landmarks
    boxes = []
    for c, (a, b) in ((468, (33, 133)), (473, (263, 362))):
        w = float(np.linalg.norm(lm[a, :2] - lm[b, :2]))
        x, y = lm[c, :2]
        boxes.append((slice(int(y - 0.5 * w), int(y + 0.8 * w)), slice(int(x - 0.8 * w), int(x + 0.8 * w))))
    return boxes


@pytest.mark.parametrize("name", sorted(ANIME))
def test_a_blink_covers_the_drawn_eye(name, tmp_path):
    """A full blink hides the drawn iris (its pixels turn to lid or the closed eye's stroke), not
    just the band of a human-sized eye inside it; the hair above is not dragged over the eye.
    Sylvie's eyes touch her fringe: the blob search runs into the hair and the column scan under
    the mesh's lid finds them (drawn_eyes._scan_below_lid); with her mesh eyes kept, over half of
    her iris stayed."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    av = prepare_avatar(ANIME[name], cache_dir=tmp_path)
    frames = Generator(av).render(np.stack([motion(), motion(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)]))
    for ys, xs in _eye_boxes(av):
        rest, shut = (_lab(f, ys, xs) for f in frames)
        iris = _iris_coloured(rest)  # hair and strokes in the box count as still showing when they stay
        unchanged = np.linalg.norm(shut - rest, axis=-1) < 12
        still = unchanged[iris].mean()
        assert iris.sum() > 50 and still < 0.2, f"{still:.0%} of the iris still shows ({iris.sum()} px)"


def test_eyes_drawn_shut_neither_blink_nor_look_around(tmp_path):
    """Sylvie giggling has her eyes drawn shut (^^ arcs), which mediapipe reads as open eyes: a blink
    drew a lid and a lash line over the arcs (a smudge) and a glance moved a patch of them."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    path = RENPY / "the_question/game/images/sylvie blue giggle.png"
    av = prepare_avatar(path, cache_dir=tmp_path)
    rest, shut, look = (
        Generator(av)
        .render(
            np.stack(
                [
                    motion(),
                    motion(eyeBlinkLeft=1.0, eyeBlinkRight=1.0),
                    motion(eyeLookOutLeft=0.8, eyeLookInRight=0.8),
                ]
            )
        )
        .astype(float)
    )
    for ys, xs in _eye_boxes(av):
        for frame in (shut, look):
            assert np.abs(frame[ys, xs] - rest[ys, xs]).max() <= 2
    # her open eyes still blink
    open_av = prepare_avatar(ANIME["sylvie"], cache_dir=tmp_path)
    a, b = (
        Generator(open_av)
        .render(np.stack([motion(), motion(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)]))
        .astype(float)
    )
    ys, xs = _eye_boxes(open_av)[0]
    assert np.abs(a[ys, xs] - b[ys, xs]).mean() > 10


def test_a_glance_moves_the_whole_drawn_iris(tmp_path):
    """Looking aside moves the drawn iris as one piece, top to bottom: the eye layer draws it as
    the upright ellipse it is (a circle moved inside it left its top and bottom behind)."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator
    from facecast.runtime.rig import iris_shape
    from facecast.runtime.rig_basis import is_drawn_eye

    av = prepare_avatar(ANIME["eileen"], cache_dir=tmp_path)
    for eye in (0, 1):  # Eileen's irises are drawn about 1.5 times as tall as wide
        shape = iris_shape(av.landmarks, eye, is_drawn_eye(av.landmarks, eye))
        assert 1.25 < shape[1] < 2.0, shape
    rest, look = Generator(av).render(
        np.stack([motion(), motion(eyeLookInLeft=0.8, eyeLookOutRight=0.8)])  # both eyes to image left
    )

    for ys, xs in _eye_boxes(av):
        before, after = _iris_coloured(_lab(rest, ys, xs)), _iris_coloured(_lab(look, ys, xs))
        rows = np.nonzero(before.any(1))[0]
        third = max(1, (rows[-1] - rows[0]) // 3)
        width = xs.stop - xs.start
        for band in (slice(rows[0], rows[0] + third), slice(rows[-1] - third, rows[-1] + 1)):  # top, bottom
            x0 = np.nonzero(before[band])[1].mean()
            x1 = np.nonzero(after[band])[1].mean()
            assert x1 < x0 - 0.03 * width, f"iris band centre {x0:.1f} -> {x1:.1f} (box {width} px)"


def test_a_glance_bares_white_not_grey(anime):
    """Where a glance moves the drawn iris away, the eye shows its white: near-white and nearly
    colourless. A drawn iris is larger than the mesh's, so the white had been read mostly from iris
    pixels: Sylvie's glance bared a grey-violet band (L 177-179, chroma 16-18)."""
    av, gen = anime
    rest, look = gen.render(np.stack([motion(), motion(eyeLookInLeft=0.8, eyeLookOutRight=0.8)]))
    for ys, xs in _eye_boxes(av):
        before, after = _lab(rest, ys, xs), _lab(look, ys, xs)
        bared = _iris_coloured(before) & ~_iris_coloured(after) & (after[..., 0] > before[..., 0] + 40)
        assert bared.sum() > 50, bared.sum()
        chroma = np.hypot(after[..., 1] - 128, after[..., 2] - 128)
        assert np.median(after[..., 0][bared]) > 200, np.median(after[..., 0][bared])
        assert np.median(chroma[bared]) < 12, np.median(chroma[bared])


def test_the_mouth_opens_where_it_is_drawn(tmp_path):
    """Eileen's lower face is short: mediapipe put its lips near her chin, so she talked with her
    chin while her drawn smile stayed. Her drawn mouth (the widest stroke darker than her skin
    between her eyes and her chin, found here on the portrait alone) must move when the mouth
    opens."""
    import cv2

    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    av = prepare_avatar(ANIME["eileen"], cache_dir=tmp_path)
    lm = av.landmarks
    lab = cv2.cvtColor(av.image, cv2.COLOR_RGB2LAB).astype(float)
    skin = lab[int(lm[fl.CHIN, 1]) - 25, int(lm[fl.CHIN, 0]), 0]  # just above the chin: flat skin
    eyes_y, chin_y = lm[[fl.RIGHT_IRIS, fl.LEFT_IRIS], 1].mean(), lm[fl.CHIN, 1]
    x0, x1 = int(lm[fl.RIGHT_IRIS, 0]), int(lm[fl.LEFT_IRIS, 0])
    y0, y1 = int(eyes_y + 0.35 * (chin_y - eyes_y)), int(chin_y - 0.12 * (chin_y - eyes_y))
    stroke = (lab[y0:y1, x0:x1, 0] < skin - 8).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(stroke, connectivity=8)
    assert n > 1, "no drawn mouth found in the portrait"
    mouth = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_WIDTH]))
    rest, open_ = Generator(av).render(np.stack([motion(), motion(jawOpen=0.6)])).astype(float)
    change = np.abs(open_ - rest)[y0:y1, x0:x1, :3].max(-1)
    moved = float(np.mean(change[mouth] > 40))
    assert moved > 0.5, f"only {moved:.0%} of the drawn mouth's pixels changed as the mouth opened"


@pytest.mark.parametrize("name", sorted(ANIME))
def test_a_shut_drawn_eye_is_the_skin_around_it_and_one_stroke(name, tmp_path):
    """Shut, a drawn eye is what an animator draws for the closed frame: the skin around the eye
    over all of it and one stroke. The lid used to be the cheeks' flat colour laid up to the eye's
    outline, a patch a few levels off the skin beside the eye (blush, shading), with the drawn
    white and the lash line's ends left at the corners: 0.54-0.66 of the eye's pixels read as the
    skin around it and 0.17-0.25 as neither skin nor stroke (now 0.70-0.85 and 0.07-0.09).
    Measured inside the eye's outline."""
    import cv2

    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.face_anatomy import EYE_L_LO, EYE_L_UP, EYE_R_LO, EYE_R_UP, eye_width
    from facecast.runtime.generator import Generator

    av = prepare_avatar(ANIME[name], cache_dir=tmp_path)
    lm = np.asarray(av.landmarks, np.float64)
    frames = Generator(av).render(np.stack([motion(), motion(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)]))
    rest, shut = (
        cv2.cvtColor(np.ascontiguousarray(f[..., :3]), cv2.COLOR_RGB2LAB).astype(float) for f in frames
    )
    for e, (up, lo) in enumerate(((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO))):
        ew = eye_width(lm, e)
        eye = np.zeros(rest.shape[:2], np.uint8)
        cv2.fillPoly(eye, [np.round(lm[list(up) + list(lo[::-1]), :2]).astype(np.int32)], 1)

        near, far = (
            cv2.dilate(eye, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * int(r) + 1,) * 2))
            for r in (0.2 * ew, 0.4 * ew)
        )
        ring = rest[(far - near).astype(bool)]
        ring = ring[ring[:, 0] > 170]  # skin, not hair or strokes: cel skin is light and flat
        values, counts = np.unique(np.round(ring / 4), axis=0, return_counts=True)
        skin = values[counts.argmax()] * 4  # the commonest colour around the eye
        px = shut[eye.astype(bool)]
        skin_like = (np.linalg.norm(px - skin, axis=1) < 10).mean()
        stroke = (px[:, 0] < 0.5 * skin[0]).mean()
        assert skin_like > 0.65, (e, skin_like, stroke)
        assert 0.05 < stroke < 0.3, (e, skin_like, stroke)
        assert 1 - skin_like - stroke < 0.12, (e, skin_like, stroke)


def test_an_eye_neither_search_finds_is_the_found_one_mirrored(tmp_path):
    """Sylvie "surprised" has one drawn eye whose outer corner runs smoothly into her side hair:
    neither the blob nor the column search finds it, and it blinked as a human-sized eye inside
    the drawn one (its iris stayed). The eye found on the other side, mirrored across the face's
    midline, finds it: both eyes are refitted and a full blink hides both irises."""
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator
    from facecast.runtime.rig_basis import is_drawn_eye

    path = RENPY / "the_question/game/images/sylvie blue surprised.png"
    av = prepare_avatar(path, cache_dir=tmp_path)
    lm = np.asarray(av.landmarks, np.float64)
    assert is_drawn_eye(lm, 0) and is_drawn_eye(lm, 1)
    frames = Generator(av).render(np.stack([motion(), motion(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)]))
    for ys, xs in _eye_boxes(av):
        rest, shut = (_lab(f, ys, xs) for f in frames)
        iris = _iris_coloured(rest)
        still = (np.linalg.norm(shut - rest, axis=-1) < 12)[iris].mean()
        assert iris.sum() > 50 and still < 0.2, f"{still:.0%} of the iris still shows ({iris.sum()} px)"


def test_a_drawn_mouth_just_opened_is_not_all_teeth(anime):
    """Cel art draws a band of upper teeth across the top of an opening; a mouth just opened (as in
    quiet speech) is mostly its red fill and tongue. The band was 0.055 face heights at any
    opening, so at jawOpen 0.25 over half the interior was teeth (0.56-0.62; now under 0.05): a
    grin at every syllable."""
    import cv2

    from tests.test_generator import _open_mouths

    av, _ = anime
    (frame,), (inside,) = _open_mouths(av, (0.25,))
    lab = cv2.cvtColor(np.ascontiguousarray(frame[..., :3]), cv2.COLOR_RGB2LAB).astype(float)
    white = (lab[..., 0] > 200) & (np.hypot(lab[..., 1] - 128, lab[..., 2] - 128) < 12)
    assert inside.sum() > 30
    assert white[inside].mean() < 0.3, f"{white[inside].mean():.0%} of the opening is teeth"
