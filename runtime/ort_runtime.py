"""onnxruntime, imported with its telemetry off.

On Linux and macOS the environment variable set in facecast/__init__.py turns it off before
onnxruntime starts; Windows builds report through the operating system's event tracing instead,
which `disable_telemetry_events` stops for the rest of the process."""

from __future__ import annotations


def onnxruntime():
    """The onnxruntime module (imported on first use: it costs 0.1 s)."""
    import onnxruntime as ort

    ort.disable_telemetry_events()
    return ort
