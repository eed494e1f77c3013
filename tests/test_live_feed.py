"""bridge/live_portrait.AudioFeed: `facecast live` reads and plays its audio on a thread of its own,
so a slow render never starves the speakers; the render loop takes what has arrived."""

from __future__ import annotations

import time

import numpy as np
import pytest

from facecast.bridge.live_portrait import AudioFeed
from facecast.runtime.errors import AudioError


class Recorder:
    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []

    def write(self, chunk: np.ndarray) -> None:
        self.chunks.append(chunk)


def _paced(n: int, seconds: float = 0.01):
    for i in range(n):
        time.sleep(seconds)
        yield np.full(160, i, np.float32)


def test_the_player_gets_every_chunk_while_the_loop_is_busy():
    player = Recorder()
    feed = AudioFeed(_paced(20), player)
    first = feed.take()
    deadline = time.monotonic() + 5.0  # the loop is busy rendering: it takes nothing meanwhile
    while len(player.chunks) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(player.chunks) == 20  # the whole speech played on
    rest = []
    while (chunk := feed.take()) is not None:
        rest.append(chunk)
    got = np.concatenate([first, *rest])
    assert np.array_equal(got, np.concatenate([np.full(160, i, np.float32) for i in range(20)]))
    assert len(player.chunks) == 20 and feed.take() is None and feed.start is not None


def test_a_failing_source_is_raised_in_the_loop():
    def source():
        yield np.zeros(160, np.float32)
        raise AudioError("the microphone stopped delivering audio (unplugged?)")

    feed = AudioFeed(source(), None)
    with pytest.raises(AudioError, match="unplugged"):
        while feed.take() is not None:
            pass
