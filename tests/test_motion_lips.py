"""Lips against speech with exact phone timings (festival's, and a real speaker's recordings):
shut on m/b/p, open on open vowels, rounded on rounded vowels."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from facecast.runtime.controls import Controls
from facecast.runtime.lip_phones import BILABIAL, OPEN_VOWELS, ROUNDED, SPREAD, normalise
from facecast.runtime.motion_engine import motion_from_audio
from scripts.synth_aligned import synth_batch

TEXTS = [
    "Bob met my mom by the barn at five past nine.",
    "Papa bought a big map of Bombay, and maybe more.",
    "Who knew the blue moon would move so soon?",
    "Father saw a dark car pass the tall wall.",
]


@pytest.fixture(scope="module")
def aligned(tmp_path_factory):
    if shutil.which("festival") is None:
        pytest.fail("festival is not installed: apt-get install festival festvox-kallpc16k")
    out = tmp_path_factory.mktemp("festival")
    paths = synth_batch("kal_diphone", TEXTS, [1.0] * len(TEXTS), out, "kal")
    assert len(paths) == len(TEXTS)
    return [np.load(p) for p in paths]


def _segments(d):
    ends = d["ends"]
    starts = np.concatenate([[0.0], ends[:-1]])
    return [(s, e, normalise(str(p))) for s, e, p in zip(starts, ends, d["phones"])]


def _mid_frames(s: float, e: float, frac: float, fps: float = 100.0) -> np.ndarray:
    mid, half = (s + e) / 2, max((e - s) * frac / 2, 0.5 / fps)
    return np.arange(int(np.ceil((mid - half) * fps)), int(np.floor((mid + half) * fps)) + 1)


def _lip_measures(utterances, emotion: str = "neutral") -> dict[str, list]:
    """At the middle of each phone: lips shut on bilabials and on open vowels, jaw on both, and
    rounding on rounded and spread vowels. The lips part by the jaw (jawOpen - mouthClose) and by
    raising the upper lip or lowering the lower one."""
    m: dict[str, list] = {k: [] for k in ("shut", "open_shut", "rounded", "spread", "jaw_open", "jaw_closed")}
    parting = ("mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight")
    for d in utterances:
        frames = motion_from_audio(d["audio"], fps=100, controls=Controls(emotion=emotion))
        gap = np.array([max(f["jawOpen"] - f["mouthClose"], *(f[k] for k in parting)) for f in frames])
        jaw = np.array([f["jawOpen"] for f in frames])
        rnd = np.array([f["mouthFunnel"] + f["mouthPucker"] for f in frames])
        for s, e, p in _segments(d):
            idx = _mid_frames(s, e, 0.3)
            idx = idx[idx < len(frames)]
            if p in BILABIAL:
                m["shut"] += list(gap[idx] < 0.1)
                m["jaw_closed"].append(jaw[idx].mean())
            if p in OPEN_VOWELS:
                m["open_shut"] += list(gap[idx] < 0.1)
                m["jaw_open"].append(jaw[idx].mean())
            if p in ROUNDED:
                m["rounded"].append(rnd[idx].mean())
            elif p in SPREAD:
                m["spread"].append(rnd[idx].mean())
    return m


def _assert_lips(m: dict[str, list], min_phones: int, max_open_shut: float, min_rounding: float) -> None:
    """Shut on >= 70% of bilabial frames, at most max_open_shut of open-vowel frames, the jaw lower
    on open vowels than on bilabials, more rounding on rounded vowels than on spread ones."""
    assert len(m["shut"]) > min_phones and len(m["open_shut"]) > min_phones // 2
    assert np.mean(m["shut"]) >= 0.7, f"lips shut in only {np.mean(m['shut']):.0%} of bilabial frames"
    shut_open = np.mean(m["open_shut"])
    assert shut_open <= max_open_shut, f"lips shut in {shut_open:.0%} of open-vowel frames"
    assert np.mean(m["jaw_open"]) > np.mean(m["jaw_closed"]) + 0.15
    assert np.mean(m["rounded"]) > np.mean(m["spread"]) + min_rounding


def test_lips_shut_on_bilabials_open_on_vowels_round_on_rounded(aligned):
    _assert_lips(_lip_measures(aligned), min_phones=20, max_open_shut=0.1, min_rounding=0.1)


@pytest.mark.parametrize("emotion", ["surprised", "disgusted", "happy"])
def test_lips_shut_on_bilabials_whatever_the_emotion(aligned, emotion):
    """Surprise drops the jaw and disgust raises the upper lip; "m", "b" and "p" still close."""
    m = _lip_measures(aligned, emotion)
    assert np.mean(m["shut"]) >= 0.7, (
        f"{emotion}: lips shut in only {np.mean(m['shut']):.0%} of bilabial frames"
    )


@pytest.fixture(scope="module")
def read_speech(tmp_path_factory):
    """A dozen sentences read by a real speaker, with phone labels: festvox-ru's recordings
    (benchmarks/read_speech.py), which the lip model never heard."""
    from benchmarks import read_speech

    if not read_speech.available():
        pytest.fail("festvox-ru is not installed: apt-get install festvox-ru (README, 'Run the tests')")
    paths = read_speech.material(tmp_path_factory.mktemp("read"), 12, seed=3)
    return [np.load(p) for p in paths]


def test_a_real_speaker_shuts_the_lips_on_bilabials_and_opens_them_on_open_vowels(read_speech):
    _assert_lips(_lip_measures(read_speech), min_phones=200, max_open_shut=0.05, min_rounding=0.05)


def test_mouth_moves_smoothly_without_chatter(aligned):
    frames = motion_from_audio(aligned[0]["audio"], fps=100)
    jaw = np.array([f["jawOpen"] for f in frames])
    # no frame-to-frame snaps ...
    assert np.max(np.abs(np.diff(jaw))) <= 0.1 + 1e-6
    # ... and no flutter: chatter is the mouth reversing direction twice within 30 ms (a single
    # quick turn, as at the bottom of a bilabial closure, is natural)
    d = np.diff(jaw)
    turns = [i for i in range(1, d.size) if d[i - 1] * d[i] < 0 and max(abs(d[i - 1]), abs(d[i])) > 0.03]
    flutter = sum(1 for a, b in zip(turns, turns[1:]) if b - a < 3)
    assert flutter <= 0.01 * jaw.size, turns


def test_unsure_speech_still_opens_the_mouth_and_bilabials_still_seal():
    """Speech over music leaves the lip model unsure (votes split between a vowel and silence):
    the openness normalisation brings the wide openings back toward a clear speaker's, while a
    bilabial that wins the vote still seals the lips."""
    from facecast.runtime.lips import MOUTH_SHAPES, OPEN_TARGET, VISEME_TABLE, LipState
    from facecast.runtime.names import VISEME_INDEX, VISEME_NAMES

    n = 600  # 6 s at 100 ticks per second: syllables of 200 ms, every fifth one a bilabial
    post = np.zeros((n, len(VISEME_NAMES)))
    for k in range(0, n, 20):
        bilabial = (k // 20) % 5 == 4
        post[k : k + 20, VISEME_INDEX["sil"]] = 0.2 if bilabial else 0.55
        post[k : k + 20, VISEME_INDEX["PP" if bilabial else "aa"]] = 0.8 if bilabial else 0.45

    state = LipState()  # fed in uneven blocks, as a stream arrives
    mouth = np.concatenate([state.step(post[i : i + 37])[1] for i in range(0, n, 37)])
    jaw, close = MOUTH_SHAPES.index("jawOpen"), MOUTH_SHAPES.index("mouthClose")
    # the jaw the split vote alone would give on the vowels
    unsure_p90 = 0.45 * float(VISEME_TABLE[VISEME_INDEX["aa"], jaw])
    late = mouth[300:]  # once the running percentile has settled
    assert np.percentile(late[:, jaw], 90) > 1.15 * unsure_p90
    assert np.percentile(late[:, jaw], 90) <= OPEN_TARGET * 1.05
    gaps = late[:, jaw] - late[:, close]
    mids = [k + 10 - 300 for k in range(300, n, 20) if (k // 20) % 5 == 4]
    assert all(gaps[m] < 0.02 for m in mids), [round(float(gaps[m]), 3) for m in mids]
