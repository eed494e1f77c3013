"""`facecast serve` in a child process on free loopback ports, for the benchmarks that need a real
service (bench_live, slow_subscriber, soak)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_service(
    extra: tuple[str, ...] = (), ready_pings: int = 100
) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """Start `facecast serve` with `extra` arguments, wait until it answers a ping, and yield
    (control endpoint, data endpoint, process); stop it on exit. Its output goes to a temporary
    file, not a pipe (a full pipe would stall the service), and is quoted if it dies early."""
    from facecast.bridge.client import Client

    control, data = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    cmd = [sys.executable, "-m", "facecast", "serve", "--control", control, "--data", data, *extra]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    try:
        with Client(control, data, timeout=1.0) as c:
            for _ in range(ready_pings):
                try:
                    c.ping()
                    break
                except Exception:
                    if proc.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"facecast serve exited: {log.read().decode()[-500:]}") from None
        yield control, data, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
