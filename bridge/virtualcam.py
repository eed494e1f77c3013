"""Virtual camera output (pyvirtualcam: v4l2loopback on Linux, OBS Virtual Camera on Windows and
macOS). Virtual cameras carry video only: docs/service.md says how to route the audio."""

from __future__ import annotations

import logging
import sys

import numpy as np

from facecast.runtime.errors import FacecastError

log = logging.getLogger("facecast")

INSTALL_HINT = "pip install 'facecast[live]'"


def driver_hint(platform: str = sys.platform) -> str:
    """What to install when no virtual camera device exists, for this OS."""
    if platform.startswith("linux"):
        return (
            "no virtual camera device found. Install and load v4l2loopback: "
            "'sudo apt install v4l2loopback-dkms' then "
            "'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=facecast'"
        )
    return (
        "no virtual camera found. Install OBS Studio (28 or later), click 'Start Virtual Camera' once "
        "and stop it again; facecast then uses the OBS Virtual Camera"
        + (" (or install Unity Capture)" if platform.startswith("win") else "")
    )


class VirtualCamera:
    """Sends RGBA frames to a virtual camera as RGB over `background` (cameras have no alpha)."""

    def __init__(self, width: int, height: int, fps: float, background=(0, 177, 64)):
        try:
            import pyvirtualcam
        except ImportError:
            raise FacecastError(f"--virtualcam needs the pyvirtualcam package: {INSTALL_HINT}") from None
        try:
            self.cam = pyvirtualcam.Camera(
                width=width, height=height, fps=fps, fmt=pyvirtualcam.PixelFormat.RGB
            )
        except RuntimeError as exc:
            raise FacecastError(f"{driver_hint()} ({exc})") from None
        self.background = np.array(background, np.float32)
        log.info("virtual camera: %s (%dx%d @ %g fps)", self.cam.device, width, height, fps)

    @property
    def device(self) -> str:
        return self.cam.device

    def send(self, rgba: np.ndarray, keep_background: bool = True) -> None:
        """keep_background: the portrait's own background; otherwise alpha over the solid colour."""
        rgb = np.ascontiguousarray(rgba[..., :3]) if keep_background else flatten(rgba, self.background)
        self.cam.send(rgb)

    def close(self) -> None:
        self.cam.close()


def flatten(rgba: np.ndarray, background=(0, 177, 64)) -> np.ndarray:
    """RGBA (straight alpha) over a solid colour -> RGB uint8 (a green screen by default)."""
    alpha = rgba[..., 3:4]
    if alpha.min() == 255:
        return np.ascontiguousarray(rgba[..., :3])
    a = alpha.astype(np.float32) / 255.0
    bg = np.asarray(background, np.float32)
    return (rgba[..., :3] * a + bg * (1.0 - a) + 0.5).astype(np.uint8)
