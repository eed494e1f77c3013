"""Drives the OBS plugin's live tests against a real `facecast serve`: the core alone
(test_live.c, --mode core) or the plugin inside libobs (test_obs_live.c, --mode obs).

Starts the service on free loopback ports, opens a frame-rendering session with a transparent
background, loads the built-in portrait, starts the C test, pushes speech once the C side is
subscribed, then (with --restart) stops the service, starts a new one on the same ports and
checks that the C receiver picks the frames up again by itself. Exit status: the C test's, or 77
(ctest's "skipped") when this checkout's `facecast serve` cannot render frames yet.

The service command is `python -m facecast serve` with this interpreter, or $FACECAST_EXE
(e.g. "/path/to/facecast") when set.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77
SESSION = "obs-live"


def skip(reason: str) -> int:
    print(f"SKIP: {reason}", flush=True)
    return SKIP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(control: str, data: str) -> list[str]:
    exe = os.environ.get("FACECAST_EXE")
    base = shlex.split(exe) if exe else [sys.executable, "-m", "facecast"]
    return [*base, "serve", "--control", control, "--data", data]


class Service:
    """One `facecast serve` process with its log in a temporary file."""

    def __init__(self, control: str, data: str):
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            serve_command(control, data), stdout=self.log, stderr=subprocess.STDOUT, text=True
        )

    def wait_ready(self, client, timeout: float = 60.0) -> None:
        from facecast.bridge.client import ServerTimeout

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"facecast serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                client.request("ping", timeout=1.0)
                return
            except ServerTimeout:
                continue
        raise RuntimeError(f"facecast serve did not answer ping within {timeout:g} s:\n{self.output()}")

    def output(self) -> str:
        if self.log.closed:
            return "(the service was stopped by the test)"
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.log.closed:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        os.unlink(self.log.name)


def open_session(client, args) -> None:
    from facecast.runtime import audio_io

    assets = Path(audio_io.__file__).resolve().parent / "assets"
    client.open(
        session=SESSION,
        size=args.size,
        fps=args.fps,
        format=args.format,
        controls={"background": "transparent"},
    )
    client.load_avatar(SESSION, path=assets / "demo_portrait.jpg")


def push_speech(client, seconds: float) -> None:
    from facecast.runtime import audio_io

    assets = Path(audio_io.__file__).resolve().parent / "assets"
    audio = audio_io.load_audio(assets / "demo_speech.flac")
    rate = audio_io.SAMPLE_RATE
    reply = client.push_audio(SESSION, audio[: int(seconds * rate)], rate)
    print(f"pushed {reply['duration_s']:.2f} s of speech at pts {reply['pts']:.3f}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--test-exe", required=True, help="the built test_live program")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--format", default="RGBA", choices=("RGBA", "BGRA"))
    ap.add_argument("--frames", type=int, default=40, help="frames the C side checks")
    ap.add_argument("--restart", action="store_true", help="also restart the service mid-stream")
    ap.add_argument(
        "--mode",
        choices=("core", "obs"),
        default="core",
        help="core: test_live checks frames; obs: test_obs_live runs the plugin inside libobs",
    )
    ap.add_argument("--module", help="the built plugin (obs mode)")
    ap.add_argument("--data-dir", help="the plugin's data directory (obs mode)")
    args = ap.parse_args()

    if (
        importlib.util.find_spec("facecast") is None
        or importlib.util.find_spec("facecast.bridge.client") is None
    ):
        return skip("facecast is not importable by this Python (pip install -e .)")
    if not os.environ.get("FACECAST_EXE"):
        if importlib.util.find_spec("facecast.cmd_serve") is None:
            return skip("this checkout has no `facecast serve` command yet")
        if importlib.util.find_spec("facecast.runtime.generator") is None:
            return skip("this checkout has no frame generator yet (facecast.runtime.generator)")

    from facecast.bridge.client import Client

    control = f"tcp://127.0.0.1:{free_port()}"
    data = f"tcp://127.0.0.1:{free_port()}"
    service = Service(control, data)
    client = Client(control, data, timeout=60.0)
    test = None
    try:
        service.wait_ready(client)
        t0 = time.monotonic()
        open_session(client, args)
        print(f"session ready (avatar loaded) in {time.monotonic() - t0:.1f} s", flush=True)
        if args.mode == "obs":
            cmd = [args.test_exe, args.module, args.data_dir, data, SESSION, str(args.size), args.format]
        else:
            cmd = [
                args.test_exe,
                data,
                SESSION,
                str(args.size),
                args.format,
                str(args.fps),
                str(args.frames),
                "1",
                "1" if args.restart else "0",
            ]
        test = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []

        def expect(word: str, timeout: float) -> bool:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                line = test.stdout.readline()
                if not line:
                    return False
                print(f"  [c] {line.rstrip()}", flush=True)
                lines.append(line)
                if line.startswith(word):
                    return True
            return False

        if args.mode == "obs":
            if expect("READY", 60):
                push_speech(client, 4.0)
                if expect("SHOWN", 120):
                    service.stop()
                    print("service stopped", flush=True)
                    expect("CLEARED", 60)
        elif expect("READY", 60):
            push_speech(client, 4.0)
            if expect("PHASE1", 120) and args.restart and lines[-1].startswith("PHASE1 OK"):
                service.stop()
                print("service stopped", flush=True)
                if expect("STALE", 60):
                    service = Service(control, data)
                    client.close()
                    client = Client(control, data, timeout=60.0)
                    service.wait_ready(client)
                    open_session(client, args)
                    print("service restarted on the same endpoints", flush=True)
                    push_speech(client, 2.0)
                    expect("RESUMED", 150)
        for line in test.stdout:
            print(f"  [c] {line.rstrip()}", flush=True)
        rc = test.wait(30)
        if rc not in (0, SKIP):
            print(
                f"{Path(args.test_exe).name} failed ({rc}); facecast serve log:\n{service.output()}",
                flush=True,
            )
        return rc
    finally:
        if test is not None and test.poll() is None:
            test.kill()
        client.close()
        service.stop()


if __name__ == "__main__":
    sys.exit(main())
