"""The Unity package's engine-free C# core (plugins/unity/Runtime/Core), built with mono's mcs and run
by its own small runner (plugins/unity/Tests/Core~): golden fixtures, malformed msgpack, ZMTP against
real libzmq peers, and a real `facecast serve` on loopback. Also: the C# name tables equal
runtime/names.py, the one place names are spelled."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from facecast.runtime import names

REPO = Path(__file__).resolve().parents[1]
UNITY = REPO / "plugins" / "unity"
TESTS = UNITY / "Tests" / "Core~"


@pytest.fixture(scope="module")
def csharp_run(tmp_path_factory, speech_wav, astronaut_png) -> tuple[subprocess.CompletedProcess, Path]:
    for tool in ("mcs", "mono"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"{tool} is not installed: apt-get install mono-mcs mono-runtime (scripts/system-packages.txt)"
            )
    out = tmp_path_factory.mktemp("unity-core")
    exe = out / "FacecastCoreTests.exe"
    sources = sorted((UNITY / "Runtime" / "Core").glob("*.cs")) + sorted(TESTS.glob("*.cs"))
    build = subprocess.run(
        [
            "mcs",
            "-nologo",
            "-warnaserror+",
            "-langversion:7",
            f"-out:{exe}",
            "-r:System.Core.dll",
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, f"the C# core does not compile:\n{build.stdout}\n{build.stderr}"
    names_json = out / "names.json"
    run = subprocess.run(
        [
            "mono", str(exe),
            "--fixtures", str(REPO / "docs" / "protocol" / "fixtures"),
            "--python", sys.executable,
            "--peers", str(TESTS / "peers.py"),
            "--repo", str(REPO),
            "--speech", str(speech_wav),
            "--portrait", str(astronaut_png),
            "--names-out", str(names_json),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    return run, names_json


def test_csharp_core_suite_passes(csharp_run):
    run, _ = csharp_run
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    m = re.fullmatch(r"(\d+) passed, (\d+) failed", last)
    assert m, f"no closing 'N passed, N failed' line:\n{run.stdout}\n{run.stderr}"
    assert int(m.group(2)) == 0 and run.returncode == 0, f"C# core tests failed:\n{run.stdout}\n{run.stderr}"
    assert int(m.group(1)) >= 35, f"expected the whole suite to run:\n{run.stdout}"


def test_csharp_name_tables_equal_runtime_names(csharp_run):
    _, names_json = csharp_run
    assert names_json.exists(), "the C# runner wrote no name table dump"
    cs = json.loads(names_json.read_text())
    assert cs["arkit"] == list(names.ARKIT_NAMES)
    assert cs["visemes"] == list(names.VISEME_NAMES)
    assert cs["emotions"] == list(names.EMOTIONS)
    assert cs["head_fields"] == list(names.HEAD_FIELDS)
    assert cs["pascal"] == names.PASCAL_NAMES
    assert cs["arkit_raw"] == names.ARKIT_RAW_NAMES
    assert cs["aliases"] == names.ALIASES
    assert cs["vrm_presets"] == names.VRM_PRESETS
    assert list(cs["vrm_presets"]) == list(names.VRM_PRESETS), "same preset order"
    assert cs["vrm0_names"] == names.VRM0_NAMES


def test_components_editors_and_unity_tests_type_check_against_api_stubs(tmp_path):
    """Unity is not installed here: compile every component, editor, Unity test and the sample against
    stubs with Unity's signatures, so typos and wrong types are caught before anyone opens Unity."""
    sources = [
        *sorted((TESTS / "stubs").glob("*.cs")),
        *sorted((UNITY / "Runtime").rglob("*.cs")),
        *sorted((UNITY / "Editor").glob("*.cs")),
        *sorted((UNITY / "Tests" / "Runtime").glob("*.cs")),
        *sorted((UNITY / "Tests" / "Editor").glob("*.cs")),
        *sorted((UNITY / "Samples~").rglob("*.cs")),
    ]
    build = subprocess.run(
        [
            "mcs",
            "-nologo",
            "-target:library",
            "-warnaserror+",
            "-langversion:7",
            f"-out:{tmp_path / 'unity.dll'}",
        ]
        + ["-r:System.Core.dll", *map(str, sources)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, f"the Unity code does not compile against the API stubs:\n{build.stdout}"


def test_package_layout_metas_and_an_engine_free_core():
    manifest = json.loads((UNITY / "package.json").read_text())
    assert manifest["name"] == "com.facecast.unity" and manifest["unity"] == "2021.3"
    for sample in manifest["samples"]:
        assert (UNITY / sample["path"]).is_dir(), sample
    core = json.loads((UNITY / "Runtime" / "Core" / "Facecast.Core.asmdef").read_text())
    assert core["noEngineReferences"] is True
    for cs in (UNITY / "Runtime" / "Core").glob("*.cs"):
        assert "UnityEngine" not in cs.read_text(), f"{cs.name} references UnityEngine"
    # A git-URL package is immutable: Unity ignores any asset without a .meta file there.
    sys.path.insert(0, str(TESTS))
    try:
        import make_metas
    finally:
        sys.path.remove(str(TESTS))
    guids = {}
    for path, rel in make_metas.assets(UNITY):
        meta = path.with_name(path.name + ".meta")
        assert meta.exists(), f"{rel} has no .meta (run plugins/unity/Tests/Core~/make_metas.py)"
        guid = re.search(r"^guid: ([0-9a-f]{32})$", meta.read_text(), re.M).group(1)
        assert guid not in guids, f"{rel} and {guids.get(guid)} share a GUID"
        guids[guid] = rel
    for meta in UNITY.rglob("*.meta"):
        assert meta.with_suffix("").exists(), f"orphan {meta.relative_to(UNITY)}"
