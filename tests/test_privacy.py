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
