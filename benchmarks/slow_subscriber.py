"""How old are the frames a slow subscriber of `facecast serve` gets, and does anyone else suffer?

One speaking 512x512 session at 25 fps (scikit-image's astronaut portrait, the built-in speech) on a
service in its own process, read over loopback ZeroMQ at once by:

- fast: frames, poses and status with `recv()`, as fast as they come (the reference);
- slow_recv: frames with `recv()`, sleeping `--slow-ms` (150) after each frame;
- slow_latest: frames with `latest()`, sleeping the same;
- stuck: a SUB socket that subscribes to everything and never reads.

A slow reader's frame is judged against the fast one: `lag` = the newest frame seq the fast reader
had when the slow one got its frame, minus that frame's seq; `age_ms` = how much later the slow one
got that frame than the fast one did. Median and p95 of both, and the fast reader's seq gaps.

"before" reads with the Python client of commit 0a5dfc4, rebuilt here on a bare SUB socket (RCVHWM
16 messages, the kernel's own receive buffer, `recv` one message at a time, `latest` drains and
keeps the last message); "after" with `facecast.bridge.client` as it is. The service is the same
`facecast serve` (32 messages queued per subscriber) in both; both run in one invocation, one after
the other, under the same load.

    python -m benchmarks.slow_subscriber [--seconds 12] [--slow-ms 150]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import zmq

from .service_process import running_service

FPS = 25.0
SIZE = 512


class OldSubscriber:
    """The Python client's Subscriber as of 0a5dfc4, for the "before" figures."""

    def __init__(self, data: str, topics: list[str], hwm: int = 16):
        from facecast.bridge import wire

        self.wire = wire
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, hwm)
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        self.sock.connect(data)

    def recv(self, timeout: float | None = 1.0):
        if timeout is not None and not self.sock.poll(int(timeout * 1000)):
            return None
        return self.wire.decode_data(self.sock.recv_multipart(copy=True))

    def latest(self, timeout: float | None = 1.0):
        msg = self.recv(timeout)
        while msg is not None and self.sock.poll(0):
            msg = self.wire.decode_data(self.sock.recv_multipart())
        return msg

    def close(self) -> None:
        self.sock.close(0)


def _inputs() -> tuple[Path, np.ndarray]:
    import cv2
    from skimage import data as skdata

    from facecast.cmd_demo import builtin_inputs
    from facecast.runtime.audio_io import load_audio

    path = Path(tempfile.gettempdir()) / "facecast-bench-astronaut.png"
    if not path.exists():
        cv2.imwrite(str(path), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR))
    return path, load_audio(builtin_inputs()[1])


def _pct(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def run_one(before: bool, seconds: float, slow_s: float) -> dict:
    """One service, one speaking session, the four readers: the figures of the module doc."""
    from facecast.bridge.client import Client
    from facecast.bridge.wire import Frame, Pose, Status

    image, speech = _inputs()
    with running_service() as (control, data, _proc), Client(control, data, timeout=60) as c:
        sid = c.open(size=SIZE, fps=FPS)
        c.load_avatar(sid, path=str(image))

        def subscribe(*topics: str):
            return OldSubscriber(data, list(topics)) if before else c.subscribe(*topics)

        stop = threading.Event()
        fast: list[tuple[float, int]] = []
        poses: list[int] = []
        statuses = [0]
        slow: dict[str, list[tuple[float, int]]] = {"slow_recv": [], "slow_latest": []}
        subs = {
            "fast": subscribe(f"frame/{sid}/", f"pose/{sid}/", "status"),
            "slow_recv": subscribe(f"frame/{sid}/"),
            "slow_latest": subscribe(f"frame/{sid}/"),
        }
        stuck = zmq.Context.instance().socket(zmq.SUB)
        stuck.setsockopt(zmq.LINGER, 0)
        stuck.setsockopt(zmq.SUBSCRIBE, b"")
        stuck.connect(data)  # and never reads

        def read_fast() -> None:
            sub = subs["fast"]
            while not stop.is_set():
                msg = sub.recv(timeout=0.1)
                if isinstance(msg, Frame):
                    fast.append((time.monotonic(), msg.header.seq))
                elif isinstance(msg, Pose):
                    poses.append(msg.seq)
                elif isinstance(msg, Status):
                    statuses[0] += 1

        def read_slow(name: str) -> None:
            sub = subs[name]
            get = sub.latest if name == "slow_latest" else sub.recv
            while not stop.is_set():
                msg = get(timeout=0.1)
                if isinstance(msg, Frame):
                    slow[name].append((time.monotonic(), msg.header.seq))
                    time.sleep(slow_s)

        threads = [threading.Thread(target=read_fast)]
        threads += [threading.Thread(target=read_slow, args=(n,)) for n in slow]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)  # subscriptions reach the PUB
            pushed = 0.0
            while pushed < seconds:  # more than `seconds` of speech, queued at once
                reply = c.push_audio(sid, speech[: 16000 * 4], 16000)
                pushed += reply["duration_s"]
            time.sleep(seconds)
            entry = c.status(sid)[0]
            fast_skipped = getattr(subs["fast"], "skipped", 0)
        finally:
            stop.set()
            for t in threads:
                t.join(5)
            for sub in subs.values():
                sub.close()
            stuck.close(0)

    ft = np.array([t for t, _ in fast])
    fs = np.array([q for _, q in fast])
    first_seq = {int(q): t for t, q in reversed(fast)}
    out: dict = {
        "fast_frames": len(fs),
        "fast_fps": float((len(fs) - 1) / (ft[-1] - ft[0])) if len(fs) > 1 else 0.0,
        "fast_frame_gaps": int(np.sum(np.diff(fs) != 1)),
        "fast_pose_gaps": int(np.sum(np.diff(poses) != 1)),
        "fast_statuses": statuses[0],
        "fast_skipped": fast_skipped,
        "session_dropped": entry["dropped"],
    }
    for name, got in slow.items():
        got = [g for g in got if ft.size and g[0] >= ft[0]]
        lags = [int(fs[i] - q) for t, q in got if (i := np.searchsorted(ft, t, side="right") - 1) >= 0]
        ages = [(t - first_seq[q]) * 1000.0 for t, q in got if q in first_seq]
        out[name] = {
            "frames": len(got),
            "lag_median": float(np.median(lags)) if lags else float("nan"),
            "lag_p95": _pct(lags, 95),
            "age_ms_median": float(np.median(ages)) if ages else float("nan"),
            "age_ms_p95": _pct(ages, 95),
        }
    return out


def measure(seconds: float = 12.0, slow_ms: float = 150.0) -> dict:
    out: dict = {"load_average_1m": os.getloadavg()[0], "fps": FPS, "slow_ms": slow_ms}
    out["before"] = run_one(True, seconds, slow_ms / 1000.0)
    out["after"] = run_one(False, seconds, slow_ms / 1000.0)
    out["load_average_1m_end"] = os.getloadavg()[0]
    return out


def measure_slow_subscriber(seconds: float = 8.0, slow_ms: float = 150.0) -> dict:
    """The `facecast bench` figures: the client as it is, flat keys."""
    r = run_one(False, seconds, slow_ms / 1000.0)
    return {
        "slow_recv_lag_frames": r["slow_recv"]["lag_median"],
        "slow_recv_lag_frames_p95": r["slow_recv"]["lag_p95"],
        "slow_recv_age_ms": r["slow_recv"]["age_ms_median"],
        "slow_latest_lag_frames": r["slow_latest"]["lag_median"],
        "slow_latest_age_ms": r["slow_latest"]["age_ms_median"],
        "keeps_up_frame_gaps": r["fast_frame_gaps"],
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=12.0, help="speech read per run (default 12)")
    p.add_argument("--slow-ms", type=float, default=150.0, help="the slow readers' sleep per frame")
    a = p.parse_args()
    print(json.dumps(measure(a.seconds, a.slow_ms), indent=2))
