import json

import numpy as np
import pytest

from facecast.runtime.facemotion import MOTION_VECTOR_SIZE, FaceMotion, HeadPose
from facecast.runtime.names import (
    ARKIT_NAMES,
    PASCAL_NAMES,
    VISEME_NAMES,
    canonical_blendshape,
)


def test_name_tables_have_the_published_sizes_and_spellings():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert len(VISEME_NAMES) == 15
    assert "jawOpen" in ARKIT_NAMES and "tongueOut" in ARKIT_NAMES
    assert PASCAL_NAMES["eyeBlinkLeft"] == "EyeBlinkLeft"


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("eyeBlink_L", "eyeBlinkLeft"),
        ("EyeBlinkRight", "eyeBlinkRight"),
        ("jawOpen", "jawOpen"),
        ("mouthSmile_R", "mouthSmileRight"),
        ("BrowInnerUp", "browInnerUp"),
    ],
)
def test_aliases_resolve_to_arkit(alias, canonical):
    assert canonical_blendshape(alias) == canonical


def test_unknown_alias_names_the_problem():
    with pytest.raises(KeyError, match="unknown blendshape name 'jawOpenn'"):
        canonical_blendshape("jawOpenn")


def test_vector_round_trip_keeps_every_field(rng):
    m = FaceMotion(
        t=1.5,
        blendshapes=rng.random(52).astype(np.float32),
        head=HeadPose(yaw=12, pitch=-4, roll=3, x=0.05, y=-0.02, scale=1.1),
    )
    m.gaze.left_yaw = 7.0
    v = m.to_vector()
    assert v.shape == (MOTION_VECTOR_SIZE,)
    back = FaceMotion.from_vector(v, t=1.5)
    np.testing.assert_allclose(back.blendshapes, m.blendshapes)
    assert (
        back.head.yaw == 12 and back.head.scale == pytest.approx(1.1) and back.head.x == pytest.approx(0.05)
    )
    assert back.gaze.left_yaw == 7.0


def test_dict_round_trip_through_json(rng):
    m = FaceMotion(t=0.04, blendshapes=rng.random(52).astype(np.float32))
    m.set("jawOpen", 0.75)
    d = json.loads(json.dumps(m.to_dict()))
    assert d["blendshapes"]["jawOpen"] == 0.75
    back = FaceMotion.from_dict(d)
    assert back["jawOpen"] == pytest.approx(0.75)
    np.testing.assert_allclose(back.blendshapes, m.blendshapes, atol=1e-5)


def test_from_dict_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown blendshape 'mouthOpen'"):
        FaceMotion.from_dict({"blendshapes": {"mouthOpen": 1.0}})
    with pytest.raises(ValueError, match="unknown emotion 'bored'"):
        FaceMotion.from_dict({"emotion": {"label": "bored"}})


def test_public_api_names_resolve():
    import facecast

    for name in facecast.__all__:
        assert getattr(facecast, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        facecast.nothing  # noqa: B018
