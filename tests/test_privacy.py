"""No network at run time, and nothing about the user written for anyone else: onnxruntime's own
telemetry (a device identifier under ~/.cache/Microsoft and queued usage events for upload, on by
default in its Linux and macOS releases since 2026) stays off in a real `facecast render`."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_a_render_leaves_no_telemetry_identifier_or_event_queue(astronaut_png, speech_wav, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["HOME"] = str(home)
    out = tmp_path / "out.mp4"
    cmd = [sys.executable, "-m", "facecast", "render", str(astronaut_png), str(speech_wav), "-o", str(out)]
    done = subprocess.run([*cmd, "--size", "256"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0
    written = [p.relative_to(home) for p in home.rglob("*") if p.is_file()]
    assert not [p for p in written if "Microsoft" in p.parts or p.name in ("deviceid", "onnxruntime.db")], (
        written
    )


def test_preparing_a_portrait_writes_only_facecasts_cache_and_starts_no_plotting_or_audio(
    astronaut_png, tmp_path
):
    """Preparing a portrait imports mediapipe, whose package imports matplotlib.pyplot (0.54 s, and
    on a first run a font cache built under the user's home) and sounddevice (PortAudio started,
    the sound servers probed, ~/.config/pulse written). facecast imports mediapipe without them;
    imported afterwards, they are the real modules."""
    home = tmp_path / "home"
    home.mkdir()
    script = (
        "import json, os, sys\n"
        "from facecast.runtime.avatar import prepare_avatar\n"
        f"prepare_avatar({str(astronaut_png)!r}, size=256)\n"
        "loaded = [m for m in ('mediapipe', 'matplotlib', 'sounddevice') if m in sys.modules]\n"
        "home = os.environ['HOME']\n"
        "entries = sorted(os.path.relpath(os.path.join(d, n), home) for d, ds, fs in os.walk(home) for n in ds + fs)\n"
        "print(json.dumps({'loaded': loaded, 'entries': entries}))\n"
        "import matplotlib.pyplot as plt\n"
        "from mediapipe.python.solutions import drawing_utils\n"
        "assert plt.figure is drawing_utils.plt.figure\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "FACECAST_CACHE_DIR"}  # (the tests' shared one)
    done = subprocess.run(
        [sys.executable, "-c", script], env={**env, "HOME": str(home)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
    assert seen["loaded"] == ["mediapipe"], seen["loaded"]
    assert any(e.startswith(os.path.join(".cache", "facecast", "avatars")) for e in seen["entries"]), seen
    assert all(
        e in (".cache", os.path.join(".cache", "facecast"))
        or e.startswith(os.path.join(".cache", "facecast", ""))
        for e in seen["entries"]
    ), seen["entries"]
