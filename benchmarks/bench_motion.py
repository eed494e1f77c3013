"""motion_realtime_factor: seconds of audio the motion engine turns into FaceMotion per second of
wall time, offline (bake: the voice gate off, as `facecast bake` runs by default) on ~60 s of the
built-in speech at 60 FPS. Also measured in the same run: the same with the voice gate on (as
render and live run; runtime/voice_gate.py),
the feature extractor alone (the floor any audio-driven engine pays) and live-style streaming in
20 ms chunks. Medians and p95 over several runs (the p95 of the time, so the slow end). The
machine may be shared: `*_cpu_*` figures use this process's CPU time, which other people's jobs
inflate far less than wall time (the engine runs single-threaded, so uncontended they agree)."""

from __future__ import annotations

import statistics
import time
from importlib import resources

import numpy as np


def _minute_of_speech() -> np.ndarray:
    from facecast.runtime.audio_io import SAMPLE_RATE, load_audio

    speech = load_audio(resources.files("facecast.runtime") / "assets" / "demo_speech.flac")
    reps = int(np.ceil(60 * SAMPLE_RATE / speech.size))
    return np.tile(speech, reps)[: 60 * SAMPLE_RATE]


def _p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


def measure_motion_speed(runs: int = 7, fps: float = 60.0) -> dict:
    from facecast.runtime.audio_features import features_of
    from facecast.runtime.motion_engine import MotionEngine, motion_from_audio

    audio = _minute_of_speech()
    seconds = audio.size / 16000
    motion_from_audio(audio[:16000], fps=fps)  # load the models once
    offline, offline_cpu, gated, feats, stream, stream_cpu = [], [], [], [], [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        motion_from_audio(audio, fps=fps, voice_gate=False)
        offline.append(time.perf_counter() - t)
        offline_cpu.append(time.process_time() - c)
        t = time.perf_counter()
        motion_from_audio(audio, fps=fps)
        gated.append(time.perf_counter() - t)
        t = time.perf_counter()
        features_of(audio)
        feats.append(time.perf_counter() - t)
    for _ in range(max(1, runs // 2)):
        engine = MotionEngine(fps=fps)
        t, c = time.perf_counter(), time.process_time()
        for i in range(0, audio.size, 320):
            engine.push(audio[i : i + 320])
        engine.flush()
        stream.append(time.perf_counter() - t)
        stream_cpu.append(time.process_time() - c)
    chunks = audio.size / 320
    return {
        "motion_realtime_factor": seconds / statistics.median(offline),
        "motion_realtime_factor_p95": seconds / _p95(offline),
        "motion_cpu_realtime_factor": seconds / statistics.median(offline_cpu),
        "motion_60s_seconds": statistics.median(offline),
        "motion_voice_gate_realtime_factor": seconds / statistics.median(gated),
        "motion_voice_gate_realtime_factor_p95": seconds / _p95(gated),
        "motion_features_only_realtime_factor": seconds / statistics.median(feats),
        "motion_stream_20ms_realtime_factor": seconds / statistics.median(stream),
        "motion_stream_20ms_per_chunk_ms": 1000 * statistics.median(stream) / chunks,
        "motion_stream_20ms_cpu_per_chunk_ms": 1000 * statistics.median(stream_cpu) / chunks,
        "motion_fps": fps,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure_motion_speed(), indent=2))
