"""Outputs of a command given several audio files (NPC lines): one file each in a folder, named
after its audio, all checked before anything is written."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from .runtime.errors import AudioError, ConfigError


def named_after(audios: list[Path], folder: Path, ext: str) -> list[Path]:
    """folder/<audio stem><ext> for each audio. Refused: an audio file that is not there, a folder
    that is a file or looks like one (has an extension), and two audio files whose outputs would
    share a name."""
    missing = [str(a) for a in audios if not a.is_file()]
    if missing:
        raise ConfigError(f"audio file(s) not found: {', '.join(missing)}")
    if folder.suffix or folder.is_file():
        raise ConfigError(f"with several audio files the outputs go in a folder: {folder} is a file name")
    seen: dict[str, Path] = {}
    for a in audios:
        if a.stem in seen:
            raise ConfigError(f"{seen[a.stem]} and {a} would both write {a.stem}{ext}: rename one")
        seen[a.stem] = a
    return [folder / f"{a.stem}{ext}" for a in audios]


def make_folders(paths: list[Path]) -> None:
    for d in {p.parent for p in paths}:
        d.mkdir(parents=True, exist_ok=True)


def run_each(command: str, audios: list[Path], job: Callable[[int], object]) -> int:
    """job(i) for each audio file; a file that is not usable audio is reported by name and the
    others still run. Exit status 2 when any failed (the command line's user-error status)."""
    failed = 0
    for i, audio in enumerate(audios):
        try:
            job(i)
        except AudioError as exc:
            named = str(exc) if audio.name in str(exc) else f"{audio}: {exc}"
            print(f"facecast {command}: error: {named}", file=sys.stderr)
            failed += 1
    if failed:
        print(f"facecast {command}: {failed} of {len(audios)} audio files failed", file=sys.stderr)
        return 2
    return 0
