"""No network at run time, and nothing about the user written for anyone else: onnxruntime's own
telemetry (a device identifier under ~/.cache/Microsoft and queued usage events for upload, on by
default in its Linux and macOS releases since 2026) stays off in a real `facecast render`."""

from __future__ import annotations

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


def test_a_render_writes_only_facecasts_own_cache_and_imports_no_matplotlib(astronaut_png, tmp_path):
    """Preparing a portrait imports mediapipe, whose drawing utilities import matplotlib.pyplot
    (0.54 s, and on a first run a font cache built under the user's home). facecast imports
    mediapipe without it; matplotlib imported afterwards is the real one."""
    home = tmp_path / "home"
    home.mkdir()
    script = (
        "import sys\n"
        "from facecast.runtime.avatar import prepare_avatar\n"
        f"prepare_avatar({str(astronaut_png)!r}, size=256)\n"
        "assert 'mediapipe' in sys.modules\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "import matplotlib.pyplot as plt\n"
        "from mediapipe.python.solutions import drawing_utils\n"
        "assert plt.figure is drawing_utils.plt.figure\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "FACECAST_CACHE_DIR"}  # (the tests' shared one)
    done = subprocess.run(
        [sys.executable, "-c", script], env={**env, "HOME": str(home)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    written = [p.relative_to(home) for p in home.rglob("*") if p.is_file()]
    # the prepared avatar, and nothing but facecast's own cache (the real pyplot, imported at the
    # end, may write its font cache: that is matplotlib's own doing)
    assert any(p.parts[:3] == (".cache", "facecast", "avatars") for p in written), written
    assert all(p.parts[:2] == (".cache", "facecast") for p in written if "matplotlib" not in p.parts), written
