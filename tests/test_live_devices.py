"""`facecast live` against real devices of a real sound server and a real X server: a PulseAudio
server of the test's own with a null sink (a "virtual audio cable": what is played into it comes out
of its monitor source, paced by PulseAudio's clock, through ALSA's pulse plugin and PortAudio, as a
microphone's audio would) and an Xvfb display for the preview window. Nothing here is mocked; the
virtual camera is the one output that needs a kernel driver (v4l2loopback), see test_overlay.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from scipy.io import wavfile
from test_vmc import Listener
from test_vtube_studio import wait_for

from facecast.runtime.audio_io import SAMPLE_RATE, load_audio

INSTALL = (
    "apt-get install pulseaudio pulseaudio-utils libasound2-plugins libportaudio2 (README, 'Run the tests')"
)


@pytest.fixture(scope="module")
def audio_cable(tmp_path_factory) -> dict:
    """Environment variables that point PortAudio (via ALSA's pulse plugin) and the Pulse tools at
    a private PulseAudio whose default sink is a null sink and default source its monitor."""
    if shutil.which("pulseaudio") is None or shutil.which("paplay") is None:
        pytest.fail(f"the sound-device tests need PulseAudio: {INSTALL}")
    d = tmp_path_factory.mktemp("pulse")
    (d / "run").mkdir()
    (d / "home").mkdir()
    config = d / "cable.pa"
    config.write_text(
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={d / 'native'}\n"
        "load-module module-null-sink sink_name=cable sink_properties=device.description=cable\n"
        "set-default-sink cable\nset-default-source cable.monitor\n"
    )
    env = {
        **os.environ,
        "PULSE_SERVER": f"unix:{d / 'native'}",
        "XDG_RUNTIME_DIR": str(d / "run"),
        "HOME": str(d / "home"),
        "PULSE_LATENCY_MSEC": "30",
    }
    log = open(d / "pulseaudio.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "-F", str(config), "--exit-idle-time=-1", "--daemonize=no", "--use-pid-file=no"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        up = lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0  # noqa: E731
        assert wait_for(up, 15), "PulseAudio did not come up within 15 s"
        yield env
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def display(tmp_path_factory) -> str:
    """An Xvfb display (":N") for the preview window."""
    if shutil.which("Xvfb") is None:
        pytest.fail("the window test needs Xvfb: apt-get install xvfb (README, 'Run the tests')")
    r, w = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-screen", "0", "800x700x24", "-nolisten", "tcp"],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    try:
        with os.fdopen(r) as f:
            number = f.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def silence_then_speech(speech_wav, tmp_path_factory) -> Path:
    audio = load_audio(speech_wav)
    path = tmp_path_factory.mktemp("devices") / "speech.wav"
    lead = np.zeros(SAMPLE_RATE // 2, np.float32)
    wavfile.write(path, SAMPLE_RATE, (np.concatenate([lead, audio, lead]) * 32767).astype(np.int16))
    return path


def _live(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "facecast", "live", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_microphone_lists_and_drives_the_mouth(audio_cable, silence_then_speech):
    listed = subprocess.run(
        [sys.executable, "-m", "facecast", "live", "--list-devices"],
        env=audio_cable,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0 and "pulse" in listed.stdout, listed.stdout + listed.stderr
    listener = Listener()
    try:
        proc = _live(
            "--pose-only", "--mic", "pulse", "--vmc", f"127.0.0.1:{listener.port}", "--fps", "50",
            "--duration", "10", env=audio_cable,
        )  # fmt: skip
        started = wait_for(lambda: len(listener.frames()) > 50 or proc.poll() is not None, 30)
        assert started, "facecast live sent no poses within 30 s"
        time.sleep(1.5)  # the capture is running and hearing the silent cable
        played = time.monotonic()
        subprocess.run(["paplay", str(silence_then_speech)], env=audio_cable, check=True, timeout=30)
        out, err = proc.communicate(timeout=30)
    finally:
        listener.close()
    assert proc.returncode == 0, err
    speech_s = len(load_audio(silence_then_speech)) / SAMPLE_RATE - 1.0
    timed = [(t - played, f["blends"]["JawOpen"]) for t, f in listener.timed_frames()]
    silent = np.array([j for t, j in timed if -1.5 < t < 0.3])  # before the speech reaches the cable
    speaking = np.array([j for t, j in timed if 0.9 < t < 0.5 + speech_s])
    assert silent.size > 40 and speaking.size > 50, (silent.size, speaking.size)
    assert silent.max() < 0.2, f"mouth open while the microphone heard silence: {silent.max():.2f}"
    assert speaking.max() > silent.max() + 0.2, f"mouth barely opens: {speaking.max():.2f}"
    assert speaking.std() > 0.04, "the mouth should open and close with the syllables"


def _screenshot(display: str, path: Path) -> np.ndarray:
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "x11grab", "-video_size", "800x700", "-i", display,
         "-frames:v", "1", str(path)],
        check=True, timeout=30,
    )  # fmt: skip
    import cv2

    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def _wait_for_log(proc: subprocess.Popen, text: str, timeout_s: float = 120.0) -> str:
    """Read the process's log until a line holds `text` (preparing the portrait takes 2-5 s, more
    on a slow or busy machine, so a fixed sleep would screenshot an empty window); the lines read."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break  # the process ended first; its return code tells why
        lines.append(line)
        if text in line:
            break
    return "".join(lines)


def test_window_shows_the_face_while_the_speech_plays_through_the_speakers(
    audio_cable, display, astronaut_png, silence_then_speech, tmp_path
):
    from benchmarks.face_measure import measure_frame

    env = {**audio_cable, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    recorded = tmp_path / "speakers.wav"
    recorder = subprocess.Popen(
        [
            "parecord",
            "--device=cable.monitor",
            "--rate=16000",
            "--channels=1",
            "--file-format=wav",
            str(recorded),
        ],
        env=env,
    )
    try:
        proc = _live(
            str(astronaut_png), "--audio", str(silence_then_speech), "--window", "--duration", "6", env=env
        )
        started = _wait_for_log(proc, "live: file")  # the portrait is ready and the speech begins
        time.sleep(1.5)  # into the speech
        shot = _screenshot(display, tmp_path / "screen.png")
        out, err = proc.communicate(timeout=60)
        err = started + err
    finally:
        recorder.terminate()
        recorder.wait(10)
    assert proc.returncode == 0, err
    assert measure_frame(shot) is not None, "no face in the window"
    assert shot.reshape(-1, 3).std(0).max() > 20, "the window is blank"
    # the speech came out of the speakers, with its own rhythm
    rate, heard = wavfile.read(recorded)
    heard = heard.astype(np.float32) / 32768.0
    source = load_audio(silence_then_speech)
    assert rate == SAMPLE_RATE and len(heard) > 3 * SAMPLE_RATE
    hop = SAMPLE_RATE // 100

    def envelope(x: np.ndarray) -> np.ndarray:
        return np.sqrt((x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(1))

    e_heard, e_source = envelope(heard), envelope(source)
    assert e_heard.max() > 0.3 * e_source.max(), "the speech was not played (or far too quietly)"
    best = max(
        np.corrcoef(e_heard[lag : lag + len(e_source)], e_source[: len(e_heard) - lag])[0, 1]
        for lag in range(0, len(e_heard) - len(e_source) // 2)
    )
    assert best > 0.8, f"what played does not follow the speech (r = {best:.2f})"
