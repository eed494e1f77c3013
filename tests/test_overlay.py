"""The browser overlay in headless Chromium: the page shows the newest frame of a session on a
transparent background (as OBS Browser Source renders it)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request

import cv2
import numpy as np
import pytest

from facecast.bridge.overlay import OverlayServer


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed: apt-get install chromium (see scripts/system-packages.txt)")
    return exe


class DevTools:
    """Headless Chromium driven over the DevTools protocol (websockets): load a page, wait until
    its script has drawn a frame, take a screenshot with a transparent default background."""

    def __init__(self, tmp_path, size=(640, 480)):
        cmd = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--remote-debugging-port=0",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={size[0]},{size[1]}",
            "about:blank",
        ]
        log = tmp_path / "chromium.log"  # a file, not a pipe: chromium must never block on it
        with log.open("w") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline and self.proc.poll() is None:
            for line in log.read_text(errors="replace").splitlines():
                if "DevTools listening on ws://" in line:
                    port = int(line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
            time.sleep(0.05)
        assert port is not None, "chromium did not start its DevTools server"
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        self.page_url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
        self.ids = iter(range(1, 1_000_000))
        self.ws = None

    def call(self, method: str, **params) -> dict:
        mid = next(self.ids)
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == mid:
                assert "error" not in msg, msg
                return msg.get("result", {})

    def screenshot(self, url: str, ready_js: str, timeout: float = 30.0) -> np.ndarray:
        from websockets.sync.client import connect

        with connect(self.page_url, max_size=64 * 1024 * 1024) as self.ws:
            self.call("Emulation.setDefaultBackgroundColorOverride", color={"r": 0, "g": 0, "b": 0, "a": 0})
            self.call("Page.navigate", url=url)
            deadline = time.monotonic() + timeout
            while not self.call("Runtime.evaluate", expression=ready_js, returnByValue=True)["result"].get(
                "value"
            ):
                assert time.monotonic() < deadline, "the page never drew a frame"
                time.sleep(0.1)
            png = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        shot = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
        assert shot is not None and shot.shape[2] == 4, "the screenshot has no alpha channel"
        return shot

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def screenshot(url: str, tmp_path) -> np.ndarray:
    """The page once its script drew a frame (body[data-seq] set), background transparent (BGRA)."""
    browser = DevTools(tmp_path)
    try:
        return browser.screenshot(url, "document.body && document.body.dataset.seq !== undefined")
    finally:
        browser.close()


@pytest.fixture()
def overlay():
    srv = OverlayServer().start()
    yield srv
    srv.stop()


def _portrait_rgba(astronaut_png) -> np.ndarray:
    """The astronaut prepared as facecast would show it with a transparent background."""
    from facecast.runtime.avatar import prepare_avatar

    avatar = prepare_avatar(astronaut_png, size=256)
    alpha = (np.clip(avatar.matte, 0, 1) * 255).astype(np.uint8)
    return np.dstack([avatar.image, alpha])


def _faces(bgr: np.ndarray) -> int:
    import dlib

    return len(dlib.get_frontal_face_detector()(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), 1))


def test_overlay_page_shows_the_face_on_a_transparent_background(overlay, astronaut_png, tmp_path):
    frame = _portrait_rgba(astronaut_png)
    assert frame[0, 0, 3] < 20, "the matte should make the corner of the portrait transparent"
    overlay.publish("npc-1", 0, np.zeros_like(frame))  # an older frame, then the real one
    overlay.publish("npc-1", 1, frame)
    overlay.publish("npc-2", 5, np.full_like(frame, 255))  # another session must not show up
    shot = screenshot(overlay.url + "?session=npc-1", tmp_path)
    h, w = shot.shape[:2]
    corners = [shot[2, 2, 3], shot[2, w - 3, 3], shot[h - 3, 2, 3], shot[h - 3, w - 3, 3]]
    assert max(corners) == 0, f"corners are not transparent: alpha {corners}"
    opaque = shot[..., 3] > 200
    assert opaque.mean() > 0.15, "the portrait is not on the page"
    on_white = (
        shot[..., :3].astype(np.float32) * (shot[..., 3:] / 255.0) + 255 * (1 - shot[..., 3:] / 255.0)
    ).astype(np.uint8)
    assert _faces(on_white) == 1, "no face found in the screenshot"
    assert _faces(np.full_like(on_white, 255)) == 0  # the detector is not fooled by a blank page


def test_frame_endpoint_long_polls_and_keeps_alpha(overlay):
    frame = np.zeros((8, 8, 4), np.uint8)
    frame[2:6, 2:6] = (10, 200, 30, 255)
    overlay.publish("a", 7, frame)
    with urllib.request.urlopen(overlay.url + "frame.png?session=a&after=-1", timeout=5) as r:
        assert r.status == 200 and r.headers["X-Seq"] == "7"
        png = cv2.imdecode(np.frombuffer(r.read(), np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(cv2.cvtColor(png, cv2.COLOR_BGRA2RGBA), frame)
    with urllib.request.urlopen(overlay.url + "frame.png?session=a&after=7", timeout=5) as r:
        assert r.status == 204  # nothing newer within the wait
    with urllib.request.urlopen(overlay.url, timeout=5) as r:
        assert b"overlay.js" in r.read()


def test_facecast_live_serves_the_talking_portrait_to_the_overlay(astronaut_png, speech_wav):
    """`facecast live IMAGE --audio FILE --port P`, end to end: frames reach the overlay page."""
    pytest.importorskip("facecast.runtime.generator", reason="the generator has not landed yet")
    import socket
    import threading

    from facecast.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = ["live", str(astronaut_png), "--audio", str(speech_wav), "--port", str(port)]
    argv += ["--size", "256", "--fps", "10", "--duration", "6"]
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("rc", main(argv)), daemon=True)
    t.start()
    seqs, png = [], None
    deadline = time.monotonic() + 60
    while t.is_alive() and time.monotonic() < deadline and len(seqs) < 3:
        try:
            after = seqs[-1] if seqs else -1
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/frame.png?after={after}", timeout=5) as r:
                if r.status == 200:
                    seqs.append(int(r.headers["X-Seq"]))
                    png = r.read()
        except OSError:
            time.sleep(0.2)  # the portrait is still being prepared
    t.join(60)
    assert result.get("rc") == 0
    assert len(seqs) >= 3 and seqs == sorted(seqs), seqs
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img.shape == (256, 256, 4) and img[0, 0, 3] == 0 and img[128, 128, 3] == 255


# --- the other live output: the virtual camera --------------------------------------------------


def test_virtual_camera_says_what_to_install_when_there_is_none():
    import glob
    import sys

    from facecast.bridge.virtualcam import VirtualCamera, driver_hint
    from facecast.runtime.errors import FacecastError

    if sys.platform.startswith("linux") and glob.glob("/dev/video*"):
        pytest.skip("this machine has video devices; the no-driver message cannot be seen here")
    with pytest.raises(FacecastError) as e:
        VirtualCamera(64, 64, 10)
    message = str(e.value)
    try:
        import pyvirtualcam  # noqa: F401

        assert "modprobe v4l2loopback" in message and "apt install v4l2loopback-dkms" in message
    except ImportError:
        assert "pip install 'facecast[live]'" in message
    assert "OBS" in driver_hint("win32") and "OBS" in driver_hint("darwin")


def test_flatten_composites_straight_alpha_over_the_background():
    from facecast.bridge.virtualcam import flatten

    rgba = np.array([[[200, 100, 0, 255], [200, 100, 0, 0], [200, 100, 0, 128]]], np.uint8)
    rgb = flatten(rgba, background=(0, 0, 255))
    assert rgb[0, 0].tolist() == [200, 100, 0]
    assert rgb[0, 1].tolist() == [0, 0, 255]
    assert rgb[0, 2].tolist() == pytest.approx([100, 50, 127], abs=1)
