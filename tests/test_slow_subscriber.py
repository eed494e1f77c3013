"""Slow subscribers of a real `facecast serve` (loopback ZeroMQ, a speaking portrait session) get
recent frames, while a subscriber that keeps up next to them still gets every frame, pose and status
(issue #4). Lags are counted in frames against what the service has published, not in wall-clock
time, so a loaded machine renders fewer frames but does not fail the test."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import zmq

from facecast.bridge.client import MAX_LAG, Client
from facecast.bridge.server import Server, ServerOptions
from facecast.bridge.wire import Frame, Pose, Status
from facecast.runtime.audio_io import load_audio

pytest.importorskip("facecast.runtime.generator", reason="the generator has not landed yet")

ANY = "tcp://127.0.0.1:*"
SLOW_S = 0.15  # the slow readers' work per frame: several frame intervals at 25 fps


@pytest.fixture()
def server():
    srv = Server(ServerOptions(control=ANY, data=ANY)).start()
    yield srv
    srv.stop()


def test_slow_readers_get_recent_frames_and_a_fast_one_gets_every_frame(server, astronaut_png, speech_wav):
    with Client(server.control_endpoint, server.data_endpoint, timeout=60) as c:
        sid = c.open(size=256, fps=25)
        c.load_avatar(sid, path=astronaut_png)
        speech = load_audio(speech_wav)
        stop = threading.Event()
        fast_frames: list[int] = []
        fast_poses: list[int] = []
        statuses = [0]
        stuck = zmq.Context.instance().socket(zmq.SUB)  # a client that subscribes and never reads
        stuck.setsockopt(zmq.LINGER, 0)
        stuck.setsockopt(zmq.SUBSCRIBE, b"")
        stuck.connect(server.data_endpoint)
        fast = c.subscribe(f"frame/{sid}/", f"pose/{sid}/", "status")
        by_recv = c.subscribe(f"frame/{sid}/")
        by_latest = c.subscribe(f"frame/{sid}/")

        def read_fast() -> None:
            while not stop.is_set():
                msg = fast.recv(timeout=0.1)
                if isinstance(msg, Frame):
                    fast_frames.append(msg.header.seq)
                elif isinstance(msg, Pose):
                    fast_poses.append(msg.seq)
                elif isinstance(msg, Status):
                    statuses[0] += 1

        reader = threading.Thread(target=read_fast)
        reader.start()
        lags: dict[str, list[int]] = {"recv": [], "latest": []}
        try:
            time.sleep(0.3)  # subscriptions reach the PUB
            for _ in range(2):
                c.push_audio(sid, speech, 16000)
            end = time.monotonic() + 5.0
            while time.monotonic() < end:
                for name, get in (("recv", by_recv.recv), ("latest", by_latest.latest)):
                    msg = get(timeout=1.0)
                    assert isinstance(msg, Frame), f"{name}: no frame within a second"
                    published = c.status(sid)[0]["frames"]  # the newest published seq is this - 1
                    lags[name].append(published - 1 - msg.header.seq)
                time.sleep(SLOW_S)  # the slow readers' work
        finally:
            stop.set()
            reader.join(5)
            for sub in (fast, by_recv, by_latest):
                sub.close()
            stuck.close(0)
        entry = c.status(sid)[0]

    assert entry["error"] is None and entry["frames"] >= 30, entry
    lags_recv, lags_latest = np.array(lags["recv"][2:]), np.array(lags["latest"][2:])
    assert len(lags_recv) >= 10
    # what the service published while the slow readers worked, and so what they fell behind by
    # before this change (~80-130 frames of 512x512, piled up in ZeroMQ and kernel buffers)
    # recv(): at most MAX_LAG behind the newest frame that has arrived; up to a batch of 4 more
    # may be counted as published but still on their way
    assert lags_recv.max() <= MAX_LAG + 4, lags_recv
    # latest(): the newest frame that has arrived
    assert np.median(lags_latest) <= 1 and lags_latest.max() <= 4, lags_latest
    # the reader that keeps up, next to the slow and the stuck ones, lost nothing
    assert len(fast_frames) >= 30
    assert np.all(np.diff(fast_frames) == 1), np.diff(fast_frames)
    assert np.all(np.diff(fast_poses) == 1) and len(fast_poses) >= len(fast_frames)
    assert statuses[0] >= 5  # heartbeats: at least one a second over ~6 s
