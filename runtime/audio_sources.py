"""Live audio sources: a file played as if live, or a microphone. Both yield float32 mono chunks at
16 kHz of exactly `chunk_ms` each, which is what the motion engine consumes.

sounddevice (PortAudio) is optional: it is imported only when a microphone is used, with an install
hint when missing.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .audio_io import SAMPLE_RATE, load_audio
from .errors import AudioError
from .resample import Resampler

log = logging.getLogger("facecast")

INSTALL_HINT = "pip install 'facecast[live]'"
FIRST_AUDIO_S = 6.0  # how long a freshly opened microphone may take to deliver its first block


def _chunk_samples(chunk_ms: int) -> int:
    if not 1 <= chunk_ms <= 1000:
        raise AudioError(f"chunk length must be 1..1000 ms, got {chunk_ms}")
    return SAMPLE_RATE * int(chunk_ms) // 1000


def file_chunks(path: str | Path, chunk_ms: int = 20, realtime: bool = True) -> Iterator[np.ndarray]:
    """Decode a file and hand it out chunk by chunk; with `realtime`, chunk i is released at
    start + i * chunk_ms, as a live source would (the clock starts at the first chunk). The last
    chunk is padded with silence to full length."""
    n = _chunk_samples(chunk_ms)
    audio = load_audio(path)
    pad = (-audio.size) % n
    if pad:
        audio = np.concatenate([audio, np.zeros(pad, np.float32)])
    start = time.monotonic()
    for i in range(audio.size // n):
        if realtime:
            wait = start + i * chunk_ms / 1000.0 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        yield audio[i * n : (i + 1) * n]


def silence_chunks(chunk_ms: int = 20, realtime: bool = True) -> Iterator[np.ndarray]:
    """Endless silence, paced like a live source: keeps the face alive (blinks, calm head motion)
    after the speech ends."""
    n = _chunk_samples(chunk_ms)
    start = time.monotonic()
    i = 0
    while True:
        if realtime:
            wait = start + i * chunk_ms / 1000.0 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        yield np.zeros(n, np.float32)
        i += 1


def _sounddevice():
    try:
        import sounddevice
    except ImportError:
        raise AudioError(f"microphone input needs the sounddevice package: {INSTALL_HINT}") from None
    except OSError as exc:  # the wheel is there but the PortAudio library is not
        raise AudioError(
            f"microphone input needs the PortAudio library ({exc}): on Debian/Ubuntu "
            "'apt-get install libportaudio2', then retry"
        ) from None
    return sounddevice


def _input_devices(sd) -> list[tuple[int, dict]]:
    try:
        devices = sd.query_devices()
    except Exception as exc:  # PortAudio could not enumerate (no sound system at all)
        raise AudioError(f"cannot list audio devices: {exc}") from None
    return [(i, d) for i, d in enumerate(devices) if d.get("max_input_channels", 0) > 0]


def list_input_devices() -> list[str]:
    """Human-readable input devices: 'INDEX: NAME (CH ch, RATE Hz)'."""
    sd = _sounddevice()
    return [
        f"{i}: {d['name']} ({d['max_input_channels']} ch, {int(d['default_samplerate'])} Hz)"
        for i, d in _input_devices(sd)
    ]


def _pick_device(sd, device: str | int | None) -> tuple[int | None, dict]:
    inputs = _input_devices(sd)
    if not inputs:
        raise AudioError(
            "no audio input device found: plug in a microphone (or enable one in the system's sound "
            "settings), or use --audio FILE"
        )
    if device is None:
        try:
            info = sd.query_devices(kind="input")
            return None, info
        except Exception:  # no default input: take the first one
            return inputs[0]
    if isinstance(device, int) or str(device).isdigit():
        idx = int(device)
        for i, d in inputs:
            if i == idx:
                return i, d
        raise AudioError(
            f"no input device with index {idx}; input devices:\n" + "\n".join(list_input_devices())
        )
    matches = [(i, d) for i, d in inputs if str(device).lower() in d["name"].lower()]
    if not matches:
        raise AudioError(
            f"no input device matches {device!r}; input devices:\n" + "\n".join(list_input_devices())
        )
    return matches[0]


def mic_chunks(device: str | int | None = None, chunk_ms: int = 20) -> Iterator[np.ndarray]:
    """Capture from a microphone (default input, an index, or part of its name) and yield chunks.

    Captures at 16 kHz when the device allows it, otherwise at its own rate and resamples."""
    n = _chunk_samples(chunk_ms)
    sd = _sounddevice()
    index, info = _pick_device(sd, device)
    rate = SAMPLE_RATE
    try:
        sd.check_input_settings(device=index, channels=1, dtype="float32", samplerate=rate)
    except Exception:
        rate = int(info.get("default_samplerate") or 48000)
    blocks: queue.Queue[np.ndarray] = queue.Queue(maxsize=200)

    def callback(indata, frames, time_info, status) -> None:  # PortAudio's thread: copy, hand over
        if status:
            log.debug("microphone: %s", status)
        try:
            blocks.put_nowait(indata[:, 0].copy())
        except queue.Full:  # the consumer stalled; dropping beats blocking the audio thread
            pass

    block = rate * chunk_ms // 1000
    try:
        stream = sd.InputStream(
            device=index, channels=1, dtype="float32", samplerate=rate, blocksize=block, callback=callback
        )
    except Exception as exc:
        raise AudioError(f"cannot open the microphone {info.get('name', index)!r}: {exc}") from None
    log.info("microphone: %s at %d Hz", info.get("name", "default"), rate)
    pending = np.zeros(0, np.float32)
    resampler = Resampler(rate)  # one for the whole capture: its filter runs across block edges
    started = False
    with stream:
        while True:
            try:  # sound servers may take a couple of seconds to start a capture (PulseAudio: ~2 s)
                data = blocks.get(timeout=2.0 if started else FIRST_AUDIO_S)
            except queue.Empty:
                if not started:
                    raise AudioError(
                        f"the microphone {info.get('name', index)!r} delivered no audio within "
                        f"{FIRST_AUDIO_S:g} s (muted, or in use by another program?)"
                    ) from None
                raise AudioError("the microphone stopped delivering audio (unplugged?)") from None
            started = True
            data = resampler.push(data)
            pending = np.concatenate([pending, data.astype(np.float32)])
            while pending.size >= n:
                yield pending[:n]
                pending = pending[n:]
