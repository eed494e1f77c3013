"""Soak test of `facecast serve`: a long run with steady speaking sessions plus clients that keep
connecting, opening sessions, streaming, subscribing and vanishing (half of them without closing
their session: the service's --idle-timeout collects those). Samples the service's resident memory
and reports whether it stays flat.

    python -m benchmarks.soak --minutes 3            # default
    python -m benchmarks.soak --minutes 60 --frames  # the hour-long run, with a portrait session
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import numpy as np

from .service_process import running_service


def _proc_status(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float("nan")


def rss_mb(pid: int) -> float:
    return _proc_status(pid, "VmRSS") / 1024.0


def thread_count(pid: int) -> int:
    """The service's threads: each frame session has one, pose-only sessions share one."""
    return int(_proc_status(pid, "Threads"))


def _speaker(control: str, data: str, speech: np.ndarray, stop: threading.Event, frames: bool, image) -> None:
    """One steady session that speaks a sentence every few seconds, forever."""

    while not stop.is_set():
        try:
            _speak(control, data, speech, stop, frames, image)
        except Exception as exc:
            log_error(exc)


def log_error(exc: Exception) -> None:
    print(f"soak: a speaker failed and starts again: {exc}", file=sys.stderr)


def _speak(control: str, data: str, speech: np.ndarray, stop: threading.Event, frames: bool, image) -> None:
    from facecast.bridge.client import Client

    with Client(control, data, timeout=60) as c:
        sid = c.open(pose_only=not frames, size=256, fps=25)
        if frames:
            c.load_avatar(sid, path=str(image))
        with c.subscribe(f"pose/{sid}/") as sub:
            i = 0
            while not stop.is_set():
                c.push_audio(sid, speech[(i % 4) * 16000 : (i % 4) * 16000 + 48000], 16000)
                end = time.monotonic() + 4.0
                while time.monotonic() < end and not stop.is_set():
                    sub.latest(timeout=0.2)
                i += 1


def _churner(control: str, data: str, speech: np.ndarray, stop: threading.Event, counts: dict) -> None:
    """Clients that come and go: open, stream 20 ms chunks for a second, read a little, vanish."""
    from facecast.bridge.client import Client

    rng = np.random.default_rng(0)
    while not stop.is_set():
        with Client(control, data, timeout=10) as c:
            try:
                sid = c.open(pose_only=True, fps=30)
                with c.subscribe(f"pose/{sid}/", "status") as sub:
                    for k in range(50):
                        c.push_audio(sid, speech[k * 320 : (k + 1) * 320], 16000)
                        sub.recv(timeout=0.0)
                        time.sleep(0.02)
                if rng.random() < 0.5:
                    c.close_session(sid)
                counts["clients"] += 1
            except Exception as exc:  # a refused client is a finding, not a crash of the soak
                counts["errors"] += 1
                counts["last_error"] = str(exc)
        time.sleep(0.5)


def _run(
    proc, control: str, data: str, speech, image, minutes: float, speakers: int, frames: bool, sample_s: float
):
    """Speakers and churning clients against the service for `minutes`; (time, RSS MB, threads)."""
    stop = threading.Event()
    counts = {"clients": 0, "errors": 0, "last_error": None}
    samples: list[tuple[float, float, int]] = []
    threads = [
        threading.Thread(
            target=_speaker, args=(control, data, speech, stop, frames and i == 0, image), daemon=True
        )
        for i in range(speakers)
    ] + [threading.Thread(target=_churner, args=(control, data, speech, stop, counts), daemon=True)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < minutes * 60:
            if proc.poll() is not None:
                raise RuntimeError("facecast serve died during the soak")
            samples.append((time.monotonic() - t0, rss_mb(proc.pid), thread_count(proc.pid)))
            time.sleep(sample_s)
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    return samples, counts


def soak(minutes: float = 3.0, speakers: int = 4, frames: bool = False, sample_s: float = 5.0) -> dict:
    from facecast.cmd_demo import builtin_inputs
    from facecast.runtime.audio_io import load_audio

    image, speech_path = builtin_inputs()
    speech = load_audio(speech_path)
    with running_service(("--idle-timeout", "5")) as (control, data, proc):
        samples, counts = _run(proc, control, data, speech, image, minutes, speakers, frames, sample_s)
    t = np.array([s[0] for s in samples])
    rss = np.array([s[1] for s in samples])
    threads = np.array([s[2] for s in samples])
    half = t >= t[-1] / 2  # after warm-up: caches, thread pools and allocator arenas are full
    slope = float(np.polyfit(t[half] / 3600.0, rss[half], 1)[0]) if half.sum() >= 3 else float("nan")
    return {
        "soak_minutes": minutes,
        "soak_clients": counts["clients"],
        "soak_client_errors": counts["errors"],
        "soak_last_error": counts["last_error"],
        "soak_rss_start_mb": float(rss[half][0]),
        "soak_rss_end_mb": float(rss[-1]),
        "soak_rss_max_mb": float(rss.max()),
        "soak_rss_slope_mb_per_hour_second_half": slope,
        "soak_rss_by_decile_mb": [round(float(np.median(part)), 1) for part in np.array_split(rss, 10)],
        "soak_threads_max": int(threads.max()),
        "soak_threads_by_decile": [int(np.median(part)) for part in np.array_split(threads, 10)],
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--speakers", type=int, default=4)
    p.add_argument("--frames", action="store_true", help="one speaker renders a 256x256 portrait")
    a = p.parse_args()
    print(json.dumps(soak(a.minutes, a.speakers, a.frames), indent=2))
