"""Aligned speech in many languages from libespeak-ng: audio plus the start time of every phoneme,
read from espeak's own phoneme events (no mbrola voices needed).

    python scripts/espeak_aligned.py OUT_DIR --n 40 --seed 0

Each utterance becomes OUT_DIR/espeak_<lang>_<k>.npz with `audio` (float32, 16 kHz), `ends`
(segment end times, s) and `phones` (espeak phoneme mnemonics; "_" is a pause), the layout
scripts/synth_aligned.py writes for festival.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# language -> syllable inventory for pronounceable text
LANGS: dict[str, tuple[list[str], list[str]]] = {
    "en-us": (
        ["b", "p", "m", "f", "v", "t", "d", "k", "g", "s", "sh", "l", "r", "w", "n", "ch", "th"],
        ["a", "ee", "oo", "o", "i", "ay", "ow", "u", "ar"],
    ),
    "de": (
        ["b", "p", "m", "f", "w", "t", "d", "k", "g", "s", "sch", "l", "r", "n", "z", "h"],
        ["a", "e", "i", "o", "u", "ü", "ö", "au", "ei"],
    ),
    "es": (
        ["b", "p", "m", "f", "t", "d", "k", "g", "s", "l", "r", "n", "ch", "ll", "j"],
        ["a", "e", "i", "o", "u"],
    ),
    "fr": (
        ["b", "p", "m", "f", "v", "t", "d", "k", "g", "s", "ch", "l", "r", "n"],
        ["a", "é", "i", "o", "ou", "u", "eu", "on", "an"],
    ),
    "it": (["b", "p", "m", "f", "v", "t", "d", "c", "g", "s", "l", "r", "n", "z"], ["a", "e", "i", "o", "u"]),
    "pt": (
        ["b", "p", "m", "f", "v", "t", "d", "c", "g", "s", "l", "r", "n", "lh", "nh"],
        ["a", "e", "i", "o", "u", "ão", "õe"],
    ),
    "pl": (
        ["b", "p", "m", "f", "w", "t", "d", "k", "g", "s", "sz", "cz", "l", "r", "n"],
        ["a", "e", "i", "o", "u", "y"],
    ),
    "ru": (
        ["б", "п", "м", "ф", "в", "т", "д", "к", "г", "с", "ш", "л", "р", "н"],
        ["а", "е", "и", "о", "у", "ы", "я"],
    ),
    "ja": (["", "k", "s", "t", "n", "h", "m", "y", "r", "w", "b", "p", "g"], ["a", "i", "u", "e", "o"]),
    "sw": (
        ["b", "p", "m", "f", "v", "t", "d", "k", "g", "s", "l", "n", "w", "ch"],
        ["a", "e", "i", "o", "u"],
    ),
}

_EVENT_PHONEME, _EVENT_END, _EVENT_MSG_TERMINATED = 7, 5, 6


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class Espeak:
    def __init__(self) -> None:
        self.lib = ctypes.CDLL("libespeak-ng.so.1")
        self.rate = self.lib.espeak_Initialize(2, 0, None, 1)  # synchronous, phoneme events
        if self.rate <= 0:
            raise RuntimeError("espeak-ng could not initialise (is espeak-ng-data installed?)")
        self.samples: list[np.ndarray] = []
        self.events: list[tuple[int, str]] = []
        self._cb = _CALLBACK(self._on_audio)
        self.lib.espeak_SetSynthCallback(self._cb)

    def _on_audio(self, wav, n, events) -> int:
        if n > 0:
            self.samples.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != 0:
            e = events[i]
            if e.type == _EVENT_PHONEME:
                self.events.append((e.sample, e.id.decode(errors="replace")))
            i += 1
        return 0

    def say(self, text: str, voice: str, speed: int = 160) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(audio float32 16 kHz, phone end times, phones)."""
        from facecast.runtime.resample import resample

        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        self.lib.espeak_SetParameter(1, int(speed), 0)  # espeakRATE
        self.samples, self.events = [], []
        data = text.encode("utf-8") + b"\0"
        self.lib.espeak_Synth(data, len(data), 0, 1, 0, 0, None, None)
        self.lib.espeak_Synchronize()
        audio = (
            np.concatenate(self.samples).astype(np.float32) / 32768.0
            if self.samples
            else np.zeros(0, np.float32)
        )
        starts = np.array([s for s, _ in self.events], np.float64) / self.rate
        phones = [p if p.strip() else "_" for _, p in self.events]
        ends = np.concatenate([starts[1:], [audio.size / self.rate]]) if len(starts) else starts
        lead = starts[0] if len(starts) else 0.0
        return resample(audio, self.rate), np.concatenate([[lead], ends]), ["_"] + phones


def _text(lang: str, rng: np.random.Generator) -> str:
    cons, vows = LANGS[lang]
    words = [
        "".join(str(rng.choice(cons)) + str(rng.choice(vows)) for _ in range(int(rng.integers(1, 4))))
        for _ in range(int(rng.integers(4, 10)))
    ]
    return " ".join(words) + str(rng.choice([".", ",", "?", "!"]))


def synthesize(out_dir: Path, n_per_lang: int, seed: int, langs: list[str] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    es = Espeak()
    paths = []
    for lang in langs or list(LANGS):
        for k in range(n_per_lang):
            voice = lang + ("+f3" if rng.random() < 0.4 else "")
            audio, ends, phones = es.say(_text(lang, rng), voice, int(rng.integers(120, 220)))
            if audio.size == 0 or len(phones) < 3:
                continue
            path = out_dir / f"espeak_{lang}_s{seed}_{k:04d}.npz"
            np.savez_compressed(path, audio=audio, ends=ends, phones=np.array(phones))
            paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=40, help="utterances per language")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--langs", nargs="*", default=None)
    args = ap.parse_args()
    print(f"{len(synthesize(args.out, args.n, args.seed, args.langs))} utterances in {args.out}")


if __name__ == "__main__":
    main()
