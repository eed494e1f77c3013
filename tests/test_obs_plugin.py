"""The OBS plugin's C tests (plugins/obs) run from the one test command: configure and build the
plugin and its libobs-free core with AddressSanitizer in a temporary directory, then run ctest.
ctest covers the golden protocol fixtures, malformed/truncated/fuzzed messages, the receiver over
real ZeroMQ sockets, the module's exports, the source inside a real libobs, and frames from a real
`facecast serve` seen by the core and by the plugin inside libobs (plugins/obs/tests/live_helper.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "plugins" / "obs"
INSTALL_HINT = (
    "install the packages in scripts/system-packages.txt "
    "(apt-get install $(grep -v '^#' scripts/system-packages.txt))"
)


def _missing_tools() -> str | None:
    if shutil.which("cmake") is None:
        return "cmake is not installed"
    if (
        not Path("/usr/include/obs/obs-module.h").exists()
        and subprocess.run(["pkg-config", "--exists", "libobs"], capture_output=True).returncode
    ):
        return "libobs-dev is not installed"
    return None


def _run(cmd: list[str], cwd: Path, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["nice", "-n", "5", *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def _show(proc: subprocess.CompletedProcess, limit: int = 12000) -> str:
    text = (proc.stdout or "") + (proc.stderr or "")
    return text[-limit:]


@pytest.fixture(scope="module")
def obs_build(tmp_path_factory) -> Path:
    """The plugin configured and built (Release + ASan/UBSan) in a fresh directory."""
    missing = _missing_tools()
    if missing:
        pytest.skip(f"{missing}: {INSTALL_HINT}")
    build = tmp_path_factory.mktemp("obs-build")
    configure = _run(
        [
            "cmake",
            "-S",
            str(PLUGIN),
            "-B",
            str(build),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DFACECAST_SANITIZE=ON",
            f"-DFACECAST_PYTHON={sys.executable}",
        ],
        REPO,
        120,
    )
    assert configure.returncode == 0, f"cmake configure failed:\n{_show(configure)}"
    build_proc = _run(["cmake", "--build", str(build), "-j2"], REPO, 300)
    assert build_proc.returncode == 0, f"build failed:\n{_show(build_proc)}"
    return build


def _ctest(build: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, FACECAST_CACHE_DIR=os.environ.get("FACECAST_CACHE_DIR", str(build / "cache")))
    return _run(["ctest", "--output-on-failure", "-j2", *args], build, 300, env)


def test_obs_plugin_core_ctest(obs_build):
    """The core's C tests and the module's exports check pass under AddressSanitizer."""
    proc = _ctest(obs_build, "-E", "^(live_|obs_source_in_libobs)")
    assert proc.returncode == 0, f"ctest failed:\n{_show(proc)}"
    out = proc.stdout
    for name in ("test_fixtures", "test_malformed", "test_fuzz", "test_receiver", "module_exports"):
        assert re.search(rf"{name} \.+\s+Passed", out), f"{name} did not pass:\n{out}"


def test_obs_source_inside_libobs(obs_build):
    """The built module loaded by a real libobs shows frames, clears them, and reconnects."""
    proc = _ctest(obs_build, "-R", "^obs_source_in_libobs$", "-V")
    assert proc.returncode == 0, f"ctest failed:\n{_show(proc)}"
    if re.search(r"obs_source_in_libobs \.+\*+Skipped", proc.stdout):
        reason = re.findall(r"SKIP: (.*)", proc.stdout + proc.stderr)
        pytest.skip(f"{reason[-1] if reason else 'libobs cannot start'}: {INSTALL_HINT}")
    assert re.search(r"obs_source_in_libobs \.+\s+Passed", proc.stdout), _show(proc)


def test_obs_plugin_shows_frames_from_facecast_serve(obs_build):
    """A real `facecast serve` on loopback: the C core receives its frames (size, format, seq, pts,
    transparent background) and picks them up again after the service restarts; the plugin inside
    libobs shows them and clears the picture when the service stops."""
    proc = _ctest(obs_build, "-R", "^live_", "-V")
    out = _show(proc)
    assert proc.returncode == 0, f"live tests failed:\n{out}"
    names = ("live_facecast_serve", "live_obs_source")
    if any(re.search(rf"{n} \.+\*+Skipped", proc.stdout) for n in names):
        reason = re.findall(r"SKIP: (.*)", proc.stdout)
        pytest.skip(f"live tests skipped: {reason[-1] if reason else out}")
    for name in names:
        assert re.search(rf"{name} \.+\s+Passed", proc.stdout), out
