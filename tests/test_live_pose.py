"""`facecast live --pose-only` as a real subprocess against a VMC listener and a fake VTube Studio,
both on loopback: the avatar's mouth opens when the speech starts, not before."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from scipy.io import wavfile
from test_vmc import Listener
from test_vtube_studio import FakeVTubeStudio

from facecast.runtime.audio_io import SAMPLE_RATE, load_audio

LEAD_SILENCE = 1.0  # seconds of silence before the speech
RATE = 50  # pose frames per second sent

needs_engine = pytest.mark.skipif(
    importlib.util.find_spec("facecast.runtime.motion_engine") is None,
    reason="the motion engine (facecast.runtime.motion_engine) has not landed in this checkout",
)


@pytest.fixture(scope="module")
def silence_then_speech(speech_wav, tmp_path_factory):
    audio = load_audio(speech_wav)
    path = tmp_path_factory.mktemp("live") / "silence_then_speech.wav"
    lead = np.zeros(int(LEAD_SILENCE * SAMPLE_RATE), np.float32)
    wavfile.write(path, SAMPLE_RATE, np.concatenate([lead, audio]))
    return path


def facecast_live(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "facecast", "live", *args], capture_output=True, text=True, timeout=timeout
    )


def split_by_audio_time(values: list[float], rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Frame i is sent at i / rate s and shows audio some latency (< 0.4 s) earlier: frames sent
    before LEAD_SILENCE show silence; frames sent 0.4 s after it show speech."""
    v = np.asarray(values)
    t = np.arange(v.size) / rate
    return v[(t > 0.2) & (t < LEAD_SILENCE)], v[t > LEAD_SILENCE + 0.4]


@needs_engine
def test_vmc_mouth_opens_when_speech_starts(silence_then_speech):
    listener = Listener()
    try:
        proc = facecast_live(
            "--pose-only",
            "--audio",
            str(silence_then_speech),
            "--vmc",
            f"127.0.0.1:{listener.port}",
            "--fps",
            str(RATE),
            "--duration",
            "3",
        )
    finally:
        listener.close()
    assert proc.returncode == 0, proc.stderr
    frames = listener.frames()
    assert 0.6 * 3 * RATE <= len(frames) <= 1.2 * 3 * RATE, f"{len(frames)} frames in 3 s at {RATE} Hz"
    jaw = [f["blends"]["JawOpen"] for f in frames]
    silent, speaking = split_by_audio_time(jaw, RATE)
    assert silent.max() < 0.2, f"mouth open during the silence: {silent.max():.2f}"
    assert speaking.max() > silent.max() + 0.15, (
        f"mouth barely opens: {speaking.max():.2f} vs {silent.max():.2f}"
    )
    assert speaking.std() > 0.04, "the mouth should open and close with the syllables"
    assert all(set(f["bones"]) == {"Head", "LeftEye", "RightEye"} for f in frames)


@needs_engine
def test_vtube_studio_mouth_opens_when_speech_starts(silence_then_speech, tmp_path):
    server = FakeVTubeStudio()
    try:
        proc = facecast_live(
            "--pose-only",
            "--audio",
            str(silence_then_speech),
            "--vts",
            server.url,
            "--vts-token-file",
            str(tmp_path / "token.json"),
            "--emotion",
            "happy:0.8",
            "--duration",
            "3",
        )
    finally:
        server.close()
    assert proc.returncode == 0, proc.stderr
    assert server.violations == []
    assert (tmp_path / "token.json").exists()
    injections = [c for c, _, m in server.log if m["messageType"] == "InjectParameterDataRequest"]
    assert len(injections) >= 3 * 20  # the face is updated smoothly, not once a second
    times = [t for _, t, m in server.log if m["messageType"] == "InjectParameterDataRequest"]
    t0 = times[0]
    mouth = [
        (t - t0, p["value"])
        for _, t, m in server.log
        if m["messageType"] == "InjectParameterDataRequest"
        for p in m["data"]["parameterValues"]
        if p["id"] == "MouthOpen"
    ]
    silent = [v for t, v in mouth if 0.2 < t < LEAD_SILENCE]
    speaking = [v for t, v in mouth if t > LEAD_SILENCE + 0.4]
    assert max(silent) < 0.2 and max(speaking) > max(silent) + 0.15
    happy = [
        p["value"]
        for _, _, m in server.log
        if m["messageType"] == "InjectParameterDataRequest"
        for p in m["data"]["parameterValues"]
        if p["id"] == "FacecastHappy"
    ]
    assert max(happy) > 0.3  # the emotion control reaches the avatar


@needs_engine
def test_face_stays_alive_after_the_file_ends(tmp_path):
    short = tmp_path / "hi.wav"
    subprocess.run(["espeak-ng", "-w", str(short), "Hi."], check=True)
    listener = Listener()
    try:
        proc = facecast_live(
            "--pose-only",
            "--audio",
            str(short),
            "--vmc",
            f"127.0.0.1:{listener.port}",
            "--fps",
            str(RATE),
            "--duration",
            "3.5",
        )
    finally:
        listener.close()
    assert proc.returncode == 0, proc.stderr
    applies = [t for t, a, _ in listener.messages if a == "/VMC/Ext/Blend/Apply"]
    last = [t for t in applies if t > applies[-1] - 1.5]  # well after the speech ended
    assert len(last) >= 0.7 * 1.5 * RATE, "frames kept coming after the file ended"
    heads = np.array([f["bones"]["Head"][3:] for f in listener.frames()[-int(1.5 * RATE) :]])
    assert np.ptp(heads, axis=0).max() > 1e-4, "the idle head should move a little, not freeze"


def test_pose_only_needs_an_output():
    proc = facecast_live("--pose-only", "--duration", "1")
    assert proc.returncode == 2
    assert "--vmc" in proc.stderr and "--vts" in proc.stderr


def test_portrait_mode_needs_an_image():
    proc = facecast_live("--vmc", "--duration", "1")
    assert proc.returncode == 2
    assert "IMAGE" in proc.stderr and "--pose-only" in proc.stderr


def test_one_audio_source_at_a_time(silence_then_speech):
    proc = facecast_live("--pose-only", "--vmc", "--audio", str(silence_then_speech), "--mic")
    assert proc.returncode == 2
    assert "--audio FILE or --mic" in proc.stderr


@needs_engine
def test_vtube_studio_not_running_is_a_clean_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = facecast_live(
        "--pose-only", "--vts", f"ws://127.0.0.1:{port}", "--vts-token-file", str(tmp_path / "t.json")
    )
    assert proc.returncode == 2
    assert "Is VTube Studio running" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["face.png", "--pose-only", "--vmc"], "--pose-only takes no IMAGE"),
        (["--pose-only", "--vmc", "--window"], "do not apply to --pose-only"),
        (["--pose-only", "--vmc", "--duration", "0"], "--duration must be positive"),
        (["--pose-only", "--vmc", "--emotion", "ecstatic"], "unknown emotion"),
        (["--pose-only", "--vmc", "--gaze", "left"], "YAW,PITCH"),
        (["--pose-only", "--vmc", "localhost:notaport", "--duration", "1"], "port"),
    ],
)
def test_bad_command_lines_are_explained(argv, message, capsys):
    from facecast.cli import main

    assert main(["live", *argv]) == 2
    assert message in capsys.readouterr().err
