"""The writer against a real ffmpeg: files decode back, audio and video line up, nothing half-written."""

import os
import subprocess
import wave

import imageio_ffmpeg
import numpy as np
import pytest

from facecast.runtime.audio_io import SAMPLE_RATE, load_audio
from facecast.runtime.errors import ConfigError
from facecast.runtime.video_writer import VideoWriter, matte_path

FPS = 25
SIZE = 64


def _write_wav(path, audio):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())


def _flash_clip(n_frames, flash_frames):
    frames = np.zeros((n_frames, SIZE, SIZE, 4), np.uint8)
    frames[..., 3] = 255
    for k in flash_frames:
        frames[k, :, :, :3] = 255
    return frames


def _clicks(n_frames, flash_frames):
    audio = np.zeros(int(n_frames / FPS * SAMPLE_RATE), np.float32)
    for k in flash_frames:
        start = int(k / FPS * SAMPLE_RATE)
        audio[start : start + 160] = 0.9  # 10 ms burst at the flash's presentation time
    return audio


def _decode_frames(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return meta, np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])


def test_mp4_audio_and_video_line_up_within_a_frame(tmp_path):
    flashes = [10, 37, 61]
    wav = tmp_path / "clicks.wav"
    _write_wav(wav, _clicks(75, flashes))
    out = tmp_path / "sync.mp4"
    with VideoWriter(out, SIZE, FPS, audio=wav, metadata={"comment": "test"}) as w:
        w.write(_flash_clip(75, flashes))
    assert out.stat().st_mode & 0o044 == 0o044 or os.umask(os.umask(0)) & 0o044, (
        "file must get the usual mode"
    )
    meta, frames = _decode_frames(out)
    assert meta["fps"] == FPS and frames.shape[0] == 75
    bright = np.flatnonzero(frames.mean(axis=(1, 2, 3)) > 128)
    audio = load_audio(out)
    envelope = np.abs(audio) > 0.3
    onsets = np.flatnonzero(envelope[1:] & ~envelope[:-1]) + 1
    assert list(bright) == flashes
    assert len(onsets) == len(flashes)
    for k, onset in zip(flashes, onsets, strict=True):
        assert abs(onset / SAMPLE_RATE - k / FPS) < 1 / FPS, (
            "audio and video drift apart by more than a frame"
        )
    codecs = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True
    ).stderr
    assert "h264" in codecs and "aac" in codecs


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_video_declares_its_colours_and_decodes_to_them(tmp_path, suffix):
    """ffmpeg converts RGB with the BT.601 matrix: the file must say so (a player guessing BT.709 for
    an untagged file shifts oranges), and a decoder that follows the tags gets the colours back."""
    skin, teeth = (222, 148, 108), (181, 155, 141)
    frames = np.zeros((3, SIZE, SIZE, 4), np.uint8)
    frames[..., 3] = 255
    frames[:, :, : SIZE // 2, :3] = skin
    frames[:, :, SIZE // 2 :, :3] = teeth
    out = tmp_path / f"colours{suffix}"
    with VideoWriter(out, SIZE, FPS) as w:
        w.write(frames)
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True
    ).stderr
    assert "smpte170m" in probe, probe
    _, decoded = _decode_frames(out)
    mid = decoded[1].astype(int)
    assert np.abs(mid[SIZE // 2, SIZE // 4] - skin).max() <= 4, mid[SIZE // 2, SIZE // 4]
    assert np.abs(mid[SIZE // 2, 3 * SIZE // 4] - teeth).max() <= 4, mid[SIZE // 2, 3 * SIZE // 4]


def test_transparent_mp4_writes_a_matte_alongside(tmp_path):
    frames = _flash_clip(5, [])
    frames[:, :, : SIZE // 2, 3] = 0  # left half transparent
    frames[:, :, :, :3] = 200
    out = tmp_path / "alpha.mp4"
    with VideoWriter(out, SIZE, FPS, transparent=True) as w:
        w.write(frames)
    _, matte = _decode_frames(matte_path(out))
    assert matte[:, :, : SIZE // 2 - 4].mean() < 20 and matte[:, :, SIZE // 2 + 4 :].mean() > 235
    _, colour = _decode_frames(out)
    assert colour[:, :, : SIZE // 2 - 4].mean() < 20  # transparent parts composited over black


def test_webm_keeps_the_alpha_channel(tmp_path):
    frames = _flash_clip(5, [])
    frames[:, :, : SIZE // 2, 3] = 0
    out = tmp_path / "alpha.webm"
    with VideoWriter(out, SIZE, FPS, transparent=True) as w:
        w.write(frames)
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True
    ).stderr
    assert "vp9" in probe and "alpha_mode" in probe


def test_failed_render_leaves_nothing_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"the user's earlier render")
    with pytest.raises(RuntimeError, match="boom"), VideoWriter(out, SIZE, FPS) as w:
        w.write(_flash_clip(3, []))
        raise RuntimeError("boom")
    assert out.read_bytes() == b"the user's earlier render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]


def test_unsupported_extension_is_named(tmp_path):
    with pytest.raises(ConfigError, match="use one of .mp4, .webm, .mov"):
        VideoWriter(tmp_path / "out.avi", SIZE, FPS)


def test_an_encoder_that_dies_is_reported_and_nothing_hangs_or_stays(tmp_path):
    """Frames reach ffmpeg from a thread of the writer's own: when ffmpeg dies mid-render the next
    write or the close says so, nothing blocks on the dead pipe, and no partial file is left."""
    out = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="ffmpeg stopped while writing out.mp4"):
        with VideoWriter(out, SIZE, FPS) as w:
            w.write(_flash_clip(3, []))
            w._main.proc.kill()  # the encoder goes away (killed, out of disk, ...)
            for _ in range(50):  # more than the pipe and the queue hold
                w.write(_flash_clip(3, []))
    assert list(tmp_path.iterdir()) == []
