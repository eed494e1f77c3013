"""runtime/resample.py and runtime/iir.py: the project's own resampler and smoothing filters, checked
against scipy.signal (the reference they replace at run time) and for what streaming needs: chunked
input gives exactly the whole input's output, and the resampled audio stays on time."""

from __future__ import annotations

import subprocess
import sys
from math import gcd

import numpy as np
import pytest
from scipy import signal

from facecast.runtime.audio_io import SAMPLE_RATE
from facecast.runtime.errors import AudioError
from facecast.runtime.iir import IIRFilter, critically_damped, lfilter_zi, one_pole
from facecast.runtime.resample import Resampler, resample

RATES = [8000, 11025, 22050, 32000, 44100, 48000, 96000]


@pytest.mark.parametrize("rate", RATES)
def test_resampling_matches_scipy_resample_poly(rate):
    x = np.random.default_rng(rate).standard_normal(rate // 2 + 37)
    g = gcd(rate, SAMPLE_RATE)
    ref = signal.resample_poly(x, SAMPLE_RATE // g, rate // g)
    out = resample(x, rate)
    assert out.shape == ref.shape and out.dtype == np.float32
    assert np.abs(out - ref).max() < 1e-6


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_resampling_in_chunks_gives_the_same_samples(rate):
    x = np.random.default_rng(0).standard_normal(rate).astype(np.float32) * 0.1
    whole = resample(x, rate)
    r = Resampler(rate)
    sizes = np.random.default_rng(1).integers(1, 900, 200)
    edges = np.minimum(np.cumsum(np.r_[0, sizes]), x.size)
    chunked = [r.push(x[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    chunked += [r.push(x[edges[-1] :]), r.flush()]
    assert np.array_equal(np.concatenate(chunked), whole)


@pytest.mark.parametrize("rate", [8000, 44100, 48000])
def test_a_click_stays_on_time(rate):
    """No filter delay: a click at 0.25 s comes out at 0.25 s, also while streaming."""
    x = np.zeros(rate // 2)
    x[rate // 4] = 1.0
    r = Resampler(rate)
    out = np.concatenate([r.push(x[i : i + 480]) for i in range(0, x.size, 480)] + [r.flush()])
    assert abs(int(np.argmax(out)) - SAMPLE_RATE // 4) <= 1


def test_resampling_keeps_a_tone_and_removes_what_16k_cannot_hold():
    t = np.arange(48000) / 48000
    tone = np.sin(2 * np.pi * 440 * t)
    alias = np.sin(2 * np.pi * 12000 * t)  # above 8 kHz: must not fold down to 4 kHz
    out_tone = resample(tone, 48000)
    spectrum = np.abs(np.fft.rfft(out_tone[2000:14000]))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / 12000 - 440) < 3
    assert np.std(resample(alias, 48000)[2000:]) < 0.02 < np.std(out_tone[2000:])


@pytest.mark.parametrize("rate", [0, 3999, 400000, 44100.0, "48000", True])
def test_a_bad_rate_is_named(rate):
    with pytest.raises(AudioError, match="sample rate must be an integer"):
        Resampler(rate)


FILTERS = [critically_damped(0.05), one_pole(0.3), ([0.2, 0.3, 0.1], [1.0, -0.5, 0.2, 0.05]), ([2.0], [2.0])]


@pytest.mark.parametrize("b, a", FILTERS)
def test_the_filter_matches_scipy_and_any_split_gives_the_same_samples(b, a):
    """The motion engine's streaming == offline promise rests on this: bit-identical pieces."""
    x = np.random.default_rng(2).standard_normal((700, 3))
    whole = IIRFilter(b, a, (3,))(x)
    assert np.allclose(whole, signal.lfilter(b, a, x, axis=0), atol=1e-12)
    f = IIRFilter(b, a, (3,))
    sizes = np.random.default_rng(3).integers(0, 70, 40)
    edges = np.minimum(np.cumsum(np.r_[0, sizes]), len(x))
    pieces = [f(x[s:e]) for s, e in zip(edges[:-1], edges[1:])] + [f(x[edges[-1] :])]
    assert np.array_equal(np.concatenate(pieces), whole)
    one = IIRFilter(b, a)
    assert np.allclose(one(x[:, 0]), signal.lfilter(b, a, x[:, 0]), atol=1e-12)


@pytest.mark.parametrize("b, a", FILTERS[:3])
def test_a_filter_at_rest_stays_at_rest(b, a):
    assert np.allclose(lfilter_zi(b, a), signal.lfilter_zi(b, a))
    f = IIRFilter(b, a, (2,))
    f.rest([3.0, -1.0])
    y = f(np.tile([3.0, -1.0], (80, 1)))
    assert np.allclose(y, np.array([3.0, -1.0]) * np.sum(b) / np.sum(a))


def test_the_runtime_does_not_import_scipy_signal():
    """Importing scipy.signal costs 0.7 s at each start; the CLI's render path must not pull it in."""
    code = (
        "import sys, facecast.runtime.render, facecast.runtime.motion_engine, facecast.runtime.session; "
        "print('scipy.signal' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"
