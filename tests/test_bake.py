"""`facecast bake`: JSON and CSV curves that parse back, controls applied, no silent overwrite."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facecast.cli import main
from facecast.runtime.audio_io import load_audio
from facecast.runtime.bake_format import CSV_COLUMNS, read_bake
from facecast.runtime.motion_engine import motion_from_audio
from facecast.runtime.names import ARKIT_NAMES


def test_bake_json_matches_the_engine(speech_wav, tmp_path):
    out = tmp_path / "face.json"
    assert main(["bake", str(speech_wav), "-o", str(out), "--quiet"]) == 0
    header, frames = read_bake(out)
    raw = json.loads(out.read_text())
    assert header["fps"] == 60 and raw["frame_count"] == len(frames)
    assert raw["blendshape_names"] == list(ARKIT_NAMES)
    duration = load_audio(speech_wav).size / 16000
    assert len(frames) == int(np.ceil(duration * 60))
    assert raw["duration"] == pytest.approx(duration, abs=1e-4)
    assert [f.t for f in frames[:3]] == pytest.approx([0, 1 / 60, 2 / 60])
    assert raw["voice_gate"] is False  # a bake is about speed: the voice gate is off unless asked
    ref = motion_from_audio(load_audio(speech_wav), fps=60, voice_gate=False)
    got = np.stack([f.to_vector() for f in frames])
    want = np.stack([f.to_vector() for f in ref])
    assert np.allclose(got, want, atol=1e-4)


def test_bake_with_the_voice_gate_matches_the_gated_engine(speech_wav, tmp_path):
    out = tmp_path / "gated.json"
    assert main(["bake", str(speech_wav), "-o", str(out), "--quiet", "--fps", "25", "--voice-gate"]) == 0
    _, frames = read_bake(out)
    assert json.loads(out.read_text())["voice_gate"] is True
    ref = motion_from_audio(load_audio(speech_wav), fps=25)
    assert np.allclose(
        np.stack([f.to_vector() for f in frames]), np.stack([f.to_vector() for f in ref]), atol=1e-4
    )


def test_bake_csv_with_controls(speech_wav, tmp_path):
    out = tmp_path / "face.csv"
    args = [
        "bake",
        str(speech_wav),
        "-o",
        str(out),
        "--fps",
        "30",
        "--emotion",
        "happy:0.7",
        "--gaze",
        "10,5",
    ]
    assert main(args + ["--intensity", "0", "--seed", "5", "--quiet"]) == 0
    assert out.read_text().splitlines()[0].split(",") == list(CSV_COLUMNS)
    _, frames = read_bake(out)
    assert frames[20].emotion.label == "happy"
    assert np.mean([f["mouthSmileLeft"] for f in frames]) > 0.3
    assert np.median([f.gaze.left_yaw for f in frames]) == pytest.approx(10, abs=3)
    assert all(f.head.yaw == 0 for f in frames)
    assert frames[1].t == pytest.approx(1 / 30)


def test_bake_refuses_to_overwrite_and_rejects_bad_arguments(speech_wav, tmp_path, capsys):
    out = tmp_path / "face.json"
    out.write_text("precious")
    assert main(["bake", str(speech_wav), "-o", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text() == "precious"
    assert main(["bake", str(speech_wav), "-o", str(out), "--force", "--quiet"]) == 0
    assert read_bake(out)[1]
    assert main(["bake", str(speech_wav), "-o", str(tmp_path / "x.txt")]) == 2
    assert ".json or .csv" in capsys.readouterr().err
    assert main(["bake", str(speech_wav), "-o", str(tmp_path / "y.json"), "--emotion", "bored"]) == 2
    assert "unknown emotion" in capsys.readouterr().err
    assert main(["bake", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "z.json")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "y.json").exists() and not (tmp_path / "z.json").exists()


def test_several_audio_files_bake_into_a_folder(speech_wav, tmp_path, capsys):
    """NPC lines: one curve file each, named after its audio, the same as baking each alone; a
    file that is not audio is reported by name and the others still bake; outputs that exist or
    would collide, and audio that is not there, are refused before anything is written."""
    second = tmp_path / "second.wav"
    second.write_bytes(speech_wav.read_bytes())
    bad = tmp_path / "noise.mp3"
    bad.write_text("not audio")
    folder = tmp_path / "curves"
    args = ["bake", str(speech_wav), str(bad), str(second), "-o", str(folder), "--format", "csv", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "noise.mp3" in err and "1 of 3 audio files failed" in err
    assert sorted(p.name for p in folder.iterdir()) == ["second.csv", "speech.csv"]
    alone = tmp_path / "alone.csv"
    assert main(["bake", str(speech_wav), "-o", str(alone), "--quiet"]) == 0
    a, b = read_bake(alone)[1], read_bake(folder / "speech.csv")[1]
    assert len(a) == len(b) and np.allclose(
        [f.to_vector() for f in a], [f.to_vector() for f in b], atol=1e-4
    ), "a batch bakes each file as baking it alone does"
    assert main(["bake", str(speech_wav), str(second), "-o", str(folder), "--format", "csv", "--quiet"]) == 2
    assert "already exist" in capsys.readouterr().err
    assert (
        main(["bake", str(speech_wav), str(tmp_path / "gone.wav"), "-o", str(tmp_path / "new"), "--quiet"])
        == 2
    )
    assert "not found" in capsys.readouterr().err and not (tmp_path / "new").exists()
