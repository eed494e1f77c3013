"""bridge/wire.py: round trips of every data message and the request validator's error codes,
including a hypothesis fuzz of the decoder (it may only ever raise ProtocolError)."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facecast.bridge import wire
from facecast.runtime.facemotion import FaceMotion


def _frame(h=3, w=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 4), dtype=np.uint8)


@pytest.mark.parametrize("fmt", ["RGBA", "BGRA"])
def test_frame_round_trip(fmt):
    rgba = _frame()
    parts = wire.encode_frame("npc-1", 3, 0.12, rgba, fmt)
    assert bytes(parts[0]) == b"frame/npc-1/"
    frame = wire.decode_data([bytes(p) for p in parts])
    assert (frame.header.width, frame.header.height, frame.header.stride) == (5, 3, 20)
    assert frame.header.format == fmt and frame.header.seq == 3 and frame.header.pts == 0.12
    got = frame.pixels if fmt == "RGBA" else frame.pixels[..., [2, 1, 0, 3]]
    assert np.array_equal(got, rgba)


def test_frame_decoder_honours_a_padded_stride():
    rgba = _frame(2, 3)
    padded = np.zeros((2, 16), np.uint8)
    padded[:, :12] = rgba.reshape(2, 12)
    header = wire.pack(
        {
            "v": 1,
            "session": "a",
            "seq": 0,
            "pts": 0.0,
            "width": 3,
            "height": 2,
            "format": "RGBA",
            "stride": 16,
        }
    )
    frame = wire.decode_data([b"frame/a/", header, padded.tobytes()])
    assert np.array_equal(frame.pixels, rgba)


def test_frame_with_short_pixels_is_malformed():
    parts = [bytes(p) for p in wire.encode_frame("a", 0, 0.0, _frame())]
    with pytest.raises(wire.ProtocolError) as e:
        wire.decode_data(parts[:2] + [parts[2][:-1]])
    assert e.value.code == "malformed"


def test_pose_round_trip_keeps_the_face_motion():
    m = FaceMotion(t=2.5)
    m.set("jawOpen", 0.7)
    m.head.yaw = -12.0
    pose = wire.decode_data(wire.encode_pose("x", 9, 2.5, m))
    back = pose.face_motion()
    assert (pose.session, pose.seq, pose.pts) == ("x", 9, 2.5)
    assert back["jawOpen"] == pytest.approx(0.7, abs=1e-5) and back.head.yaw == -12.0


def test_decoders_ignore_unknown_keys():
    header = wire.pack({"v": 1, "session": "a", "seq": 1, "pts": 0.5, "motion": {}, "future_key": [1, 2]})
    assert wire.decode_data([b"pose/a/", header]).seq == 1
    req = wire.decode_request([wire.pack({"v": 1, "id": 5, "op": "ping", "trace": "abc"})])
    assert (req.id, req.op, req.args) == (5, "ping", {})


def _req(**m):
    return [wire.pack({"v": 1, "id": 1, **m})]


@pytest.mark.parametrize(
    "parts, code, words",
    [
        ([b"\xc1"], "malformed", "msgpack"),
        ([wire.pack([1, 2])], "malformed", "map"),
        ([wire.pack({"v": 1, "op": "ping"})], "malformed", "id"),
        ([wire.pack({"v": 1, "id": -1, "op": "ping"})], "malformed", "id"),
        ([wire.pack({"id": 1, "op": "ping"})], "malformed", "'v'"),
        (_req(op="ping") + [b"x", b"y"], "malformed", "parts"),
        (_req(op=3), "malformed", "op"),
        ([wire.pack({"v": 2, "id": 1, "op": "ping"})], "unsupported_version", "v1"),
        (_req(op="dance"), "unknown_op", "dance"),
        (_req(op="close"), "bad_argument", "session"),
        (_req(op="close", session="a/b"), "bad_argument", "session"),
        (_req(op="open", pose_only="yes"), "bad_argument", "pose_only"),
        (_req(op="open", fps=True), "bad_argument", "fps"),
        (_req(op="open", size=513), "bad_argument", "size"),
        (_req(op="open", format="YUV"), "bad_argument", "format"),
        (_req(op="set", session="a", controls={"emotion": 3}), "bad_argument", "emotion"),
        (_req(op="set", session="a", controls={"smile": 1}), "bad_argument", "smile"),
        (_req(op="set", session="a", controls={"gaze": [1]}), "bad_argument", "gaze"),
        (_req(op="push_audio", session="a", sample_rate=16000, dtype="int16"), "bad_argument", "second"),
        (
            _req(op="push_audio", session="a", sample_rate=16000, dtype="int8") + [b"ab"],
            "bad_argument",
            "dtype",
        ),
        (
            _req(op="push_audio", session="a", sample_rate=10, dtype="int16") + [b"ab"],
            "bad_argument",
            "sample_rate",
        ),
        (_req(op="ping") + [b"payload"], "malformed", "payload"),
        (_req(op="load_avatar", session="a"), "bad_argument", "path"),
        (_req(op="load_avatar", session="a", path="p.png") + [b"png"], "bad_argument", "not both"),
        ([wire.pack({"v": 1, "id": 1, "op": "ping", "pad": "x" * 70000})], "too_large", "limit"),
        (
            _req(op="load_avatar", session="a") + [b"\0" * (wire.MAX_PAYLOAD_BYTES + 1)],
            "too_large",
            "payload",
        ),
    ],
)
def test_bad_requests_get_the_right_code_and_a_message_naming_the_problem(parts, code, words):
    with pytest.raises(wire.ProtocolError) as e:
        wire.decode_request(parts)
    assert e.value.code == code
    assert words in e.value.message


def test_request_id_is_kept_on_errors_after_the_id_was_read():
    with pytest.raises(wire.ProtocolError) as e:
        wire.decode_request([wire.pack({"v": 1, "id": 77, "op": "nope"})])
    assert e.value.request_id == 77


@pytest.mark.parametrize(
    "dtype, channels, payload",
    [
        ("int16", 1, b"\0\0\0"),
        ("float32", 2, b"\0" * 12),
        ("float32", 1, np.array([np.nan], "<f4").tobytes()),
    ],
)
def test_audio_payload_that_does_not_fit_its_parameters_is_bad_audio(dtype, channels, payload):
    req = wire.decode_request(
        _req(op="push_audio", session="a", sample_rate=48000, dtype=dtype, channels=channels) + [payload]
    )
    with pytest.raises(wire.ProtocolError) as e:
        wire.decode_samples(req)
    assert e.value.code == "bad_audio"


def test_good_audio_payload_decodes():
    samples = np.array([1, -2, 3, -4], "<i2")
    req = wire.decode_request(
        _req(op="push_audio", session="a", sample_rate=48000, dtype="int16", channels=2) + [samples.tobytes()]
    )
    got, channels = wire.decode_samples(req)
    assert channels == 2 and got.tolist() == [1, -2, 3, -4]


# --- fuzzing: whatever arrives, the decoder answers with a request or a ProtocolError -------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=20),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_field_names = st.sampled_from(
    [
        "v",
        "id",
        "op",
        "session",
        "pose_only",
        "size",
        "fps",
        "format",
        "path",
        "sample_rate",
        "channels",
        "dtype",
        "controls",
        "x",
    ]
)
_requests = st.fixed_dictionaries(
    {
        "v": st.one_of(st.just(1), _scalars),
        "id": st.one_of(st.integers(0, 2**64 - 1), _scalars),
        "op": st.one_of(st.sampled_from(list(wire.OPS)), _scalars),
    },
).flatmap(
    lambda base: st.dictionaries(_field_names, _values, max_size=6).map(lambda extra: {**extra, **base})
)


def _decode_or_protocol_error(parts):
    try:
        req = wire.decode_request(parts)
    except wire.ProtocolError as exc:
        assert exc.code in wire.ERROR_CODES and exc.message
        return None
    assert req.op in wire.OPS and isinstance(req.id, int)
    if req.op == "push_audio":
        try:
            wire.decode_samples(req)
        except wire.ProtocolError as exc:
            assert exc.code == "bad_audio"
    return req


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=200), min_size=0, max_size=3))
def test_fuzz_raw_bytes(parts):
    _decode_or_protocol_error(parts)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_requests, st.one_of(st.none(), st.binary(max_size=64)))
def test_fuzz_structured_requests(head, payload):
    parts = [msgpack.packb(head, use_bin_type=True)] + ([payload] if payload is not None else [])
    _decode_or_protocol_error(parts)
