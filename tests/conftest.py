"""Shared fixtures. Tests make their own inputs: speech from espeak-ng, portraits that scikit-image and
matplotlib ship. Nothing from ../shared/eval-dev is used here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmarks/ helpers (face measurement) are shared with the tests


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep avatar caches of the test run out of the user's home."""
    os.environ["FACECAST_CACHE_DIR"] = str(tmp_path_factory.mktemp("facecast-cache"))


def espeak_wav(path: Path, text: str, voice: str = "en-us", speed: int = 150) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed: apt-get install espeak-ng (see README, 'Run the tests')")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    return path


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory) -> Path:
    """About three seconds of English speech made by espeak-ng."""
    return espeak_wav(
        tmp_path_factory.mktemp("speech") / "speech.wav",
        "Hello there. My mouth opens on vowels, and shuts on my bilabials.",
    )


@pytest.fixture(scope="session")
def astronaut_png(tmp_path_factory) -> Path:
    """scikit-image's public-domain astronaut portrait (Eileen Collins), saved as PNG."""
    import cv2
    from skimage import data

    path = tmp_path_factory.mktemp("portraits") / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture(scope="session")
def grace_hopper_jpg() -> Path:
    """matplotlib's public-domain Grace Hopper photo."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
