"""The derived-file caches keep the most recently used other version beside a new one: two facecast
installs sharing one cache folder (a release for OBS and a development checkout, say) used to remove
each other's rigs and patterns, so every run of either rebuilt them."""

from __future__ import annotations

import os

import numpy as np

from facecast.runtime.disk_cache import read_npz, write_npz


def _age(path, seconds):
    t = path.stat().st_mtime - seconds
    os.utime(path, (t, t))


def test_a_new_version_keeps_the_other_version_last_used_and_removes_the_rest(tmp_path):
    a, b, c = (tmp_path / f"rig-{v}.npz" for v in "abc")
    write_npz(a, {"x": np.zeros(3)}, "test", replaces="rig-*.npz")
    _age(a, 30)
    write_npz(b, {"x": np.ones(3)}, "test", replaces="rig-*.npz")
    assert a.is_file() and b.is_file()  # two installs alternating: neither removes the other
    _age(b, 20)
    assert read_npz(a, "test")["x"].sum() == 0  # a read marks `a` as the one in use
    write_npz(c, {"x": np.full(3, 2.0)}, "test", replaces="rig-*.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rig-a.npz", "rig-c.npz"]
    # files of other caches in the same folder are never touched
    other = tmp_path / "patterns-a.npz"
    write_npz(other, {"p": np.zeros(1)}, "test", replaces="patterns-*.npz")
    write_npz(tmp_path / "rig-d.npz", {"x": np.zeros(1)}, "test", replaces="rig-*.npz")
    assert other.is_file() and len(list(tmp_path.glob("rig-*.npz"))) == 2
