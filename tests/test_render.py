"""`facecast render` and `facecast demo` end to end: real portrait, real speech, a real MP4 decoded back."""

from __future__ import annotations

import json
import subprocess
import sys

import imageio_ffmpeg
import numpy as np
import pytest

from benchmarks.face_measure import measure_frame
from facecast.runtime.audio_io import SAMPLE_RATE, load_audio

FACECAST = [sys.executable, "-m", "facecast"]


def _frames(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return meta, np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])


def _run(*args, check=True):
    proc = subprocess.run([*FACECAST, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"facecast {' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, astronaut_png, speech_wav):
    out = tmp_path_factory.mktemp("render") / "talk.mp4"
    motion = out.with_suffix(".jsonl")
    _run("render", astronaut_png, speech_wav, "-o", out, "--size", 256, "--motion-out", motion, "--quiet")
    return out, motion


def test_render_writes_h264_aac_of_the_audio_length(rendered, speech_wav):
    out, _ = rendered
    meta, frames = _frames(out)
    duration = len(load_audio(speech_wav)) / SAMPLE_RATE
    assert meta["fps"] == 25 and meta["size"] == (256, 256)
    assert abs(frames.shape[0] - np.ceil(duration * 25)) <= 1
    assert abs(len(load_audio(out)) / SAMPLE_RATE - duration) < 0.1
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True
    ).stderr
    assert "h264" in probe and "aac" in probe
    assert "facecast" in probe.lower()  # synthetic-media metadata travels with the file


def test_rendered_face_is_found_and_talks_with_the_speech(rendered):
    out, motion_path = rendered
    _, frames = _frames(out)
    measures = [measure_frame(f) for f in frames[::3]]
    assert all(m is not None for m in measures), "a face must be found in every checked frame"
    motions = [json.loads(line) for line in motion_path.read_text().splitlines()]
    assert len(motions) == len(frames)
    jaw = np.array([m["blendshapes"]["jawOpen"] for m in motions])[::3]
    gap = np.array([m.lip_gap for m in measures])
    assert gap.max() > 0.03, "the mouth never visibly opens during speech"
    assert np.corrcoef(jaw, gap)[0, 1] > 0.5, "the lips in the video do not follow the motion"


def test_existing_output_is_not_overwritten(tmp_path, astronaut_png, speech_wav):
    out = tmp_path / "mine.mp4"
    out.write_bytes(b"user's file")
    proc = _run("render", astronaut_png, speech_wav, "-o", out, check=False)
    assert proc.returncode == 2 and "already exists" in proc.stderr and "--force" in proc.stderr
    assert out.read_bytes() == b"user's file"


def test_no_face_is_a_clear_error_and_leaves_nothing(tmp_path, speech_wav):
    import cv2

    blank = tmp_path / "sky.png"
    cv2.imwrite(str(blank), np.full((300, 300, 3), (200, 150, 90), np.uint8))
    proc = _run("render", blank, speech_wav, "-o", tmp_path / "out.mp4", check=False)
    assert proc.returncode == 2 and "no face" in proc.stderr.lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sky.png"]


def test_unsupported_audio_is_a_clear_error(tmp_path, astronaut_png):
    bad = tmp_path / "notes.mp3"
    bad.write_text("not audio")
    proc = _run("render", astronaut_png, bad, "-o", tmp_path / "out.mp4", check=False)
    assert proc.returncode == 2 and "unsupported or unreadable audio notes.mp3" in proc.stderr


def test_transparent_webm_has_alpha_around_the_person(tmp_path, astronaut_png, speech_wav):
    out = tmp_path / "alpha.webm"
    _run(
        "render",
        astronaut_png,
        speech_wav,
        "-o",
        out,
        "--size",
        256,
        "--background",
        "transparent",
        "--quiet",
    )
    raw = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-c:v",
            "libvpx-vp9",
            "-i",
            str(out),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-",
        ],
        capture_output=True,
        check=True,
    )
    alpha = np.frombuffer(raw.stdout, np.uint8).reshape(256, 256, 4)[..., 3]
    assert alpha[128, 128] > 200, "the face must be opaque"
    assert min(alpha[0, 0], alpha[0, -1]) < 30, "the background corners must be transparent"


def test_demo_runs_with_no_arguments(tmp_path):
    proc = subprocess.run(
        [*FACECAST, "demo", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert "facecast-demo.mp4" in proc.stdout
    meta, frames = _frames(tmp_path / "facecast-demo.mp4")
    assert frames.shape[0] > 200 and measure_frame(frames[100]) is not None
    second = subprocess.run(
        [*FACECAST, "demo", "--quiet", "--size", "256"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert second.returncode == 0 and "facecast-demo-2.mp4" in second.stdout  # the first one is kept


def test_several_audio_files_render_into_a_folder(tmp_path, astronaut_png, speech_wav):
    """NPC lines: one portrait, several audio files, one MP4 (and motion file) each, named after
    its audio; a bad file is reported by name and the others still render."""
    import wave

    audio = load_audio(speech_wav)
    short = tmp_path / "short.wav"
    with wave.open(str(short), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((np.clip(audio[:SAMPLE_RATE], -1, 1) * 32767).astype("<i2").tobytes())
    bad = tmp_path / "broken.mp3"
    bad.write_text("not audio")
    out, motion = tmp_path / "lines", tmp_path / "curves"
    proc = _run(
        "render", astronaut_png, speech_wav, bad, short, "-o", out, "--motion-out", motion,
        "--size", 256, "--quiet", check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "broken.mp3" in proc.stderr and "1 of 3 audio files failed" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["short.mp4", "speech.mp4"]
    for name, seconds in (("speech", len(audio) / SAMPLE_RATE), ("short", 1.0)):
        meta, frames = _frames(out / f"{name}.mp4")
        assert abs(len(frames) / meta["fps"] - seconds) <= 1 / meta["fps"] + 1e-6
        assert len((motion / f"{name}.jsonl").read_text().splitlines()) == len(frames)


def test_a_batch_is_refused_before_anything_is_written(tmp_path, astronaut_png, speech_wav):
    other = tmp_path / "elsewhere"
    other.mkdir()
    twin = other / speech_wav.name
    twin.write_bytes(speech_wav.read_bytes())
    proc = _run("render", astronaut_png, speech_wav, twin, "-o", tmp_path / "out", check=False)
    assert proc.returncode == 2 and "rename one" in proc.stderr
    proc = _run("render", astronaut_png, speech_wav, twin, "-o", tmp_path / "one.mp4", check=False)
    assert proc.returncode == 2 and "go in a folder" in proc.stderr
    kept = tmp_path / "out2"
    kept.mkdir()
    (kept / "speech.mp4").write_bytes(b"user's file")
    short = tmp_path / "short.wav"
    short.write_bytes(speech_wav.read_bytes())
    proc = _run("render", astronaut_png, speech_wav, short, "-o", kept, check=False)
    assert proc.returncode == 2 and "already exist" in proc.stderr and "--force" in proc.stderr
    assert sorted(p.name for p in kept.iterdir()) == ["speech.mp4"]
    assert (kept / "speech.mp4").read_bytes() == b"user's file"
    assert not (tmp_path / "out").exists()
