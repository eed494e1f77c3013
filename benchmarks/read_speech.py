"""Real read speech with phone timings, for the lip-sync benchmark (lipsync_eval.py).

Debian's festvox-ru package (a unit-selection voice: msu_ru_nsh, Nickolay Shmyrev's recordings of
one male speaker reading 620 Russian sentences, BSD-like licence) ships its recordings (16 kHz
WAV) with their phone labels (festival .lab files: the end time of each phone, from the voice's
build). Nothing here was synthesised, so it is the one source of real, human read speech with
phone timings on this machine. It is read from the
installed package at run time (`apt-get install festvox-ru`), never copied. Every fifth sentence is
held out for scoring; the lip model may train on the others (`python -m benchmarks.read_speech DIR`).

The voice's phones are renamed to the ARPAbet-like names the benchmark scores (lip_phones.py): its
stressed /a/ is an open vowel, its reduced vowels ae/ay are schwas (not ARPAbet's ae/ay), o/u are
rounded, i/e/y spread, and palatalised consonants (pp, mm, ...) score as their plain ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

VOICE = Path("/usr/share/festival/voices/russian/msu_ru_nsh_clunits")
GROUP = "real read speech:ru msu_nsh"

# msu_ru phone -> the scored name (its phoneset: festvox/msu_ru_nsh_phoneset.scm)
_VOWELS = {
    "aa": "aa",  # stressed a: open
    "a": "ah",  # a/o in the first reduction: half-open
    "ae": "ax",  # second reduction (schwa) after a hard consonant
    "ay": "ax",  # ... after a soft one
    "ee": "eh",
    "e": "eh",
    "ii": "iy",
    "i": "ih",
    "yy": "ih",  # y (the close central vowel): spread
    "y": "ih",
    "oo": "ow",  # stressed o: rounded
    "uu": "uw",
    "u": "uw",
    "ur": "uh",  # reduced u, still rounded
}
_CONSONANTS = {"c": "ts", "sch": "sh", "h": "hh", "j": "y"}


def scored_phone(phone: str) -> str:
    if phone in _VOWELS:
        return _VOWELS[phone]
    if phone in _CONSONANTS:
        return _CONSONANTS[phone]
    if len(phone) == 2 and phone[0] == phone[1]:  # palatalised: pp -> p, hh -> h -> hh
        return scored_phone(phone[0])
    return phone


def available() -> bool:
    return (VOICE / "wav").is_dir() and (VOICE / "lab").is_dir()


def read_lab(path: Path) -> tuple[np.ndarray, list[str]]:
    """(end times in seconds, phones) of a festival label file."""
    ends, phones = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] != "#":
            ends.append(float(parts[0]))
            phones.append(scored_phone(parts[2]))
    return np.array(ends), phones


HELD_OUT_EVERY = 5  # every 5th sentence (124 of 620) is for scoring only; the lip model trains on the rest


def sentences(held_out: bool) -> list[Path]:
    """The label files of the scoring sentences (held_out) or of the training ones."""
    labs = sorted((VOICE / "lab").glob("*.lab"))
    return [lab for i, lab in enumerate(labs) if (i % HELD_OUT_EVERY == 0) == held_out]


def write_npz(labs: list[Path], folder: Path) -> list[Path]:
    """Each sentence as the benchmark's and the trainer's .npz (audio, ends, phones)."""
    from facecast.runtime.audio_io import load_audio

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for lab in labs:
        wav = VOICE / "wav" / (lab.stem + ".wav")
        if not wav.is_file():
            continue
        ends, phones = read_lab(lab)
        path = folder / f"ru_{lab.stem}.npz"
        np.savez(path, audio=load_audio(wav), ends=ends, phones=np.array(phones))
        out.append(path)
    return out


def material(tmp: Path, n: int, seed: int) -> list[Path]:
    """n held-out sentences chosen by seed, as .npz files."""
    labs = sentences(held_out=True)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(labs), size=min(n, len(labs)), replace=False))
    return write_npz([labs[i] for i in chosen], tmp)


if __name__ == "__main__":  # the training sentences, for scripts/train_lips.py
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m benchmarks.read_speech OUT_FOLDER   (writes the training sentences)")
    print(f"{len(write_npz(sentences(held_out=False), Path(sys.argv[1])))} sentences written")
