"""Shared fixtures. Tests make their own inputs: speech from espeak-ng, portraits that scikit-image and
matplotlib ship. Nothing from ../shared/eval-dev is used here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def avatar(astronaut_png):
    """The astronaut portrait prepared for the generator, once per test module."""
    from facecast.runtime.avatar import prepare_avatar

    return prepare_avatar(astronaut_png)


@pytest.fixture(scope="module")
def gen(avatar):
    """A Generator for the astronaut, once per test module (a module's tests share its state)."""
    from facecast.runtime.generator import Generator

    return Generator(avatar)


@pytest.fixture()
def server_options() -> dict:
    """ServerOptions beyond the loopback endpoints for `server`; a module overrides it to set limits."""
    return {}


@pytest.fixture()
def client_timeout() -> float:
    """Seconds `client` waits for a reply; a module overrides it."""
    return 10.0


@pytest.fixture()
def server(server_options):
    """A `facecast serve` service in this process on free loopback ports, stopped after the test."""
    from facecast.bridge.server import Server, ServerOptions

    srv = Server(
        ServerOptions(control="tcp://127.0.0.1:*", data="tcp://127.0.0.1:*", **server_options)
    ).start()
    yield srv
    srv.stop()


@pytest.fixture()
def client(server, client_timeout) -> Iterator:
    """A Client connected to `server`'s control and data endpoints."""
    from facecast.bridge.client import Client

    with Client(server.control_endpoint, server.data_endpoint, timeout=client_timeout) as c:
        yield c
