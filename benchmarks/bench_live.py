"""Live figures of `facecast serve`, measured over real ZeroMQ on loopback against a service running
in its own process (as users run it), with the built-in portrait and speech:

- live_fps: frames per second one speaking 512x512 session delivers to a subscriber (asked for 40).
- first_frame_ms: a sentence sent in one push_audio (text-to-speech style) to the first frame of it
  at a subscriber (median, p95 over repeats); first_frame_stream_ms: the same for audio streamed in
  real time in 20 ms chunks (a microphone), which also waits for the motion look-ahead.
- sessions_at_40fps: how many speaking 512x512 sessions each deliver at least 38 fps at once.
- pose_only_sessions: how many speaking pose-only sessions at 30 fps each deliver at least 28.5 Hz
  (pose_only_sessions_100ms_step: the same with `serve --pose-step-ms 100`).
- pose_latency_ms: audio streamed in 20 ms chunks, from sending a chunk to receiving the pose for
  the instant in it (median, p95).

Run alone: python -m benchmarks.bench_live [--quick]
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections import defaultdict

import numpy as np

from .service_process import running_service


def _inputs():
    from facecast.cmd_demo import builtin_inputs
    from facecast.runtime.audio_io import load_audio

    image, speech = builtin_inputs()
    return image, load_audio(speech)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _first_frame_after(sub, pts: float, t_send: float, timeout: float = 3.0):
    from facecast.bridge.wire import Frame

    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        msg = sub.recv(timeout=0.05)
        if isinstance(msg, Frame) and msg.header.pts >= pts:
            return (time.perf_counter() - t_send) * 1000.0
    return None


def _frame_session(client, image, size: int, fps: float, name: str | None = None) -> str:
    sid = client.open(session=name, size=size, fps=fps)
    client.load_avatar(sid, path=str(image))
    return sid


def measure_frames(control: str, data: str, size: int, repeats: int) -> dict:
    from facecast.bridge.client import Client
    from facecast.bridge.wire import Frame

    image, speech = _inputs()
    out: dict = {}
    with Client(control, data, timeout=30) as c:
        sid = _frame_session(c, image, size, 40.0)
        firsts, fps_runs = [], []
        with c.subscribe(f"frame/{sid}/", rcvbuf=0, max_lag=None) as sub:
            time.sleep(1.0)
            for i in range(repeats):
                sentence = speech[i * 8000 : i * 8000 + 32000]  # 2 s
                t0 = time.perf_counter()
                reply = c.push_audio(sid, sentence, 16000)
                first = _first_frame_after(sub, reply["pts"], t0)
                if first is not None:
                    firsts.append(first)
                n, t_start = 0, time.perf_counter()
                while time.perf_counter() - t_start < 1.2:  # frames while it speaks
                    if isinstance(sub.recv(timeout=0.05), Frame):
                        n += 1
                fps_runs.append(n / (time.perf_counter() - t_start))
                time.sleep(1.0)
            stream_firsts = []
            for i in range(max(2, repeats // 2)):
                chunks = [speech[j : j + 320] for j in range(16000 * i, 16000 * i + 8000, 320)]
                t0 = time.perf_counter()
                reply = c.push_audio(sid, chunks[0], 16000)
                target = reply["pts"]
                got = None
                for k, ch in enumerate(chunks[1:], 1):
                    while time.perf_counter() < t0 + k * 0.02:
                        msg = sub.recv(timeout=0.002)
                        if got is None and isinstance(msg, Frame) and msg.header.pts >= target:
                            got = (time.perf_counter() - t0) * 1000.0
                    c.push_audio(sid, ch, 16000)
                if got is None:
                    got = _first_frame_after(sub, target, t0)
                if got is not None:
                    stream_firsts.append(got)
                time.sleep(1.0)
        c.close_session(sid)
    out["live_fps"] = statistics.median(fps_runs)
    out["live_fps_min"] = min(fps_runs)
    out["first_frame_ms"] = statistics.median(firsts) if firsts else float("nan")
    out["first_frame_ms_p95"] = _pct(firsts, 95)
    out["first_frame_stream_ms"] = statistics.median(stream_firsts) if stream_firsts else float("nan")
    out["first_frame_stream_ms_p95"] = _pct(stream_firsts, 95)
    return out


def _rates(sub, kind, seconds: float) -> dict[str, float]:
    """Messages per second per session received on `sub` over `seconds`, after dropping what had
    queued up before (a backlog read in the window would count as rate the service never had)."""
    while sub.recv(timeout=0) is not None:
        pass
    counts: dict[str, int] = defaultdict(int)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        msg = sub.recv(timeout=0.05)
        if isinstance(msg, kind):
            counts[msg.header.session if hasattr(msg, "header") else msg.session] += 1
    return {k: v / seconds for k, v in counts.items()}


def _holds(control: str, data: str, n: int, pose_only: bool, fps: float, image, speech, size: int) -> bool:
    from facecast.bridge.client import Client, ServerTimeout
    from facecast.bridge.wire import Frame, Pose

    with Client(control, data, timeout=60) as c:
        sids = []
        try:
            for _ in range(n):
                sid = c.open(pose_only=pose_only, fps=fps, size=size)
                if not pose_only:
                    c.load_avatar(sid, path=str(image))
                sids.append(sid)
            kind = Pose if pose_only else Frame
            # every message counted: this measures the service, so the client skips nothing
            with c.subscribe("pose/" if pose_only else "frame/", hwm=10_000, rcvbuf=0, max_lag=None) as sub:
                time.sleep(0.5)
                for sid in sids:
                    c.push_audio(sid, speech[: 16000 * 8], 16000)
                time.sleep(1.0)
                rates = _rates(sub, kind, 3.0)
            worst = min((rates.get(s, 0.0) for s in sids), default=0.0)
            return worst >= 0.95 * fps
        except ServerTimeout:  # so loaded that the control socket no longer answers: not holding
            return False
        finally:
            # an overloaded service answers slowly: send every close at once, then collect replies
            # for a bounded time (one 60 s wait per session added up to most of an hour)
            rids = [c.send("close", session=sid) for sid in sids]
            if rids:
                with contextlib.suppress(Exception):
                    c.wait(rids[-1], "close", timeout=30)


def _max_holding(control, data, steps, **kw) -> int:
    best = 0
    for n in steps:
        if not _holds(control, data, n, **kw):
            break
        best = n
        time.sleep(0.5)
    return best


def measure_pose_latency(control: str, data: str, seconds: float = 3.0) -> dict:
    from facecast.bridge.client import Client
    from facecast.bridge.wire import Pose

    _, speech = _inputs()
    lat = []
    with Client(control, data, timeout=10) as c:
        sid = c.open(pose_only=True, fps=60)
        with c.subscribe(f"pose/{sid}/") as sub:
            time.sleep(0.5)
            sent: list[tuple[float, float]] = []  # (pts of chunk start, wall time sent)
            t0 = time.perf_counter()
            n_chunks = int(seconds / 0.02)
            for k in range(n_chunks):
                while time.perf_counter() < t0 + k * 0.02:
                    msg = sub.recv(timeout=0.002)
                    if isinstance(msg, Pose) and sent and msg.pts >= sent[0][0]:
                        i = max(j for j, (p, _) in enumerate(sent) if p <= msg.pts)
                        lat.append((time.perf_counter() - sent[i][1]) * 1000.0)
                t = time.perf_counter()
                reply = c.push_audio(sid, speech[k * 320 : (k + 1) * 320], 16000)
                sent.append((reply["pts"], t))
        c.close_session(sid)
    lat = lat[5:]  # the very first poses include the session's start-up
    return {"pose_latency_ms": statistics.median(lat), "pose_latency_ms_p95": _pct(lat, 95)}


def measure_generator_baseline(image, size: int, seconds: float = 3.0) -> float:
    """Frames per second of the bare generator, one frame per call as a live session renders:
    the ceiling live_fps is compared with (same machine, same minute)."""
    from facecast.runtime.facemotion import FaceMotion, stack_vectors
    from facecast.runtime.session import load_generator

    gen = load_generator(image, size)
    v = stack_vectors([FaceMotion()])
    gen.render(v)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        gen.render(v)
        times.append(time.perf_counter() - t0)
    return 1.0 / statistics.median(times)


def measure_live(size: int = 512, quick: bool = False) -> dict:
    import os

    image, speech = _inputs()
    out: dict = {"live_load_average_1m": os.getloadavg()[0]}
    out["generator_fps_same_run"] = measure_generator_baseline(image, size)
    with running_service(("--max-sessions", "400")) as (control, data, _proc):
        out.update(measure_frames(control, data, size, repeats=3 if quick else 7))
        out["live_fps_vs_generator"] = out["live_fps"] / out["generator_fps_same_run"]
        out.update(measure_pose_latency(control, data))
        frame_steps = [1, 2, 3, 4, 6, 8]
        out["sessions_at_40fps"] = _max_holding(
            control, data, frame_steps, pose_only=False, fps=40.0, image=image, speech=speech, size=size
        )
        pose_steps = [10, 25, 50] if quick else [10, 25, 50, 75, 100, 150, 200, 300]
        out["pose_only_sessions"] = _max_holding(
            control, data, pose_steps, pose_only=True, fps=30.0, image=image, speech=speech, size=size
        )
    with running_service(("--max-sessions", "400", "--pose-step-ms", "100")) as (
        control,
        data,
        _proc,
    ):  # tuned for NPCs
        out["pose_only_sessions_100ms_step"] = _max_holding(
            control, data, pose_steps, pose_only=True, fps=30.0, image=image, speech=speech, size=size
        )
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(measure_live(quick="--quick" in sys.argv), indent=2))
