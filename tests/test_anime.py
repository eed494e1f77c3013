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
