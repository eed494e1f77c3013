"""Aligned speech for lip-model training and the lip-sync benchmark: festival speaks generated
text and saves its exact phone segment times next to the audio.

    python scripts/synth_aligned.py OUT_DIR --n 400 --seed 0

Each utterance becomes OUT_DIR/<voice>_<k>.npz with `audio` (float32, 16 kHz), `ends` (segment end
times, s) and `phones` (festival phone names).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# festival voice -> language of the text we give it
VOICES: dict[str, str] = {
    "kal_diphone": "en",
    "ked_diphone": "en",
    "cmu_us_slt_arctic_hts": "en",
    "lp_diphone": "it",
    "pc_diphone": "it",
}

_EN_WORDS = (
    "the be to of and a in that have it for not on with he as you do at this but his by from they we "
    "say her she or an will my one all would there their what so up out if about who get which go me "
    "when make can like time no just him know take people into year your good some could them see "
    "other than then now look only come its over think also back after use two how our work first well "
    "way even new want because any these give day most us mama papa baby bob pop map mom maybe moon "
    "boom palm bump mob pub web swim beam bomb plum palm wool pool food who shoe blue through boot "
    "cool rule soon yawn call father car heart start party hot top pot dog job box fox watch water "
    "awesome cow now house mouse out loud about sky my why buy eye time fine kite light night high "
    "cat hat bat apple happy after fast dance sea tea key see me free feet please peace beef sit fish "
    "big this give live pay say way day make take face name play red bed head said friend many ten "
    "go no so show old open phone home over road book look good foot put would could should wolf "
    "very vivid five ferry fever of off offer laugh think thank teeth thick the with lather "
    "judge church cheese shoe ship wish measure vision zoo buzz sassy six mix rhythm rap sing"
).split()

_IT_SYLL_C = [
    "",
    "b",
    "p",
    "m",
    "f",
    "v",
    "t",
    "d",
    "n",
    "l",
    "r",
    "s",
    "k",
    "g",
    "ch",
    "gi",
    "ci",
    "gn",
    "z",
    "pp",
    "mm",
    "tt",
    "ll",
]
_IT_SYLL_V = ["a", "e", "i", "o", "u", "a", "o"]


def _text(lang: str, rng: np.random.Generator) -> str:
    """A short utterance: real words (English) or pronounceable pseudo-words (Italian)."""
    if lang == "en":
        words = []
        for _ in range(int(rng.integers(5, 14))):
            if rng.random() < 0.15:  # pseudo-word for phonotactic variety
                words.append(
                    "".join(
                        rng.choice(["b", "p", "m", "f", "sh", "t", "k", "l", "w"])
                        + rng.choice(["a", "oo", "ee", "o", "i", "ay"])
                        for _ in range(2)
                    )
                )
            else:
                words.append(str(rng.choice(_EN_WORDS)))
        s = " ".join(words)
    else:
        words = [
            "".join(
                str(rng.choice(_IT_SYLL_C)) + str(rng.choice(_IT_SYLL_V))
                for _ in range(int(rng.integers(2, 4)))
            )
            for _ in range(int(rng.integers(4, 10)))
        ]
        s = " ".join(words)
    punct = rng.choice([".", ",", "?", "!"])
    return s.capitalize() + str(punct)


def _read_segs(path: Path) -> tuple[np.ndarray, list[str]]:
    ends, phones = [], []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] != "#":
            ends.append(float(parts[0]))
            phones.append(parts[2])
    return np.array(ends), phones


def synth_batch(voice: str, texts: list[str], stretches: list[float], out_dir: Path, tag: str) -> list[Path]:
    """One festival process speaks every text (fast: voice loaded once)."""
    from facecast.runtime.audio_io import load_audio

    if shutil.which("festival") is None:
        raise SystemExit("festival is not installed: apt-get install festival festvox-kallpc16k")
    out: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lines = [f"(voice_{voice})"]
        for k, (text, st) in enumerate(zip(texts, stretches)):
            text = text.replace('"', "")
            lines.append(f"(Parameter.set 'Duration_Stretch {st:.3f})")
            lines.append(f'(set! utt (utt.synth (Utterance Text "{text}")))')
            lines.append(f'(utt.save.segs utt "{tmp}/{k}.segs")')
            lines.append(f'(utt.save.wave utt "{tmp}/{k}.wav" \'riff)')
        (tmp / "run.scm").write_text("\n".join(lines) + "\n")
        subprocess.run(["festival", "-b", str(tmp / "run.scm")], check=True, capture_output=True)
        for k in range(len(texts)):
            wav, segs = tmp / f"{k}.wav", tmp / f"{k}.segs"
            if not wav.exists() or not segs.exists():
                continue
            ends, phones = _read_segs(segs)
            audio = load_audio(wav)
            path = out_dir / f"{tag}_{k:04d}.npz"
            np.savez_compressed(path, audio=audio, ends=ends, phones=np.array(phones))
            out.append(path)
    return out


def synthesize(out_dir: Path, n_per_voice: int, seed: int, voices: list[str] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths: list[Path] = []
    for voice in voices or list(VOICES):
        if not Path("/usr/share/festival/voices").glob(f"*/{voice}"):
            continue
        texts = [_text(VOICES[voice], rng) for _ in range(n_per_voice)]
        stretches = list(rng.uniform(0.75, 1.5, n_per_voice))
        for b in range(0, n_per_voice, 10):  # small batches: a festival error loses only its batch
            try:
                paths += synth_batch(
                    voice, texts[b : b + 10], stretches[b : b + 10], out_dir, f"{voice}_s{seed}_{b}"
                )
            except subprocess.CalledProcessError:  # one text festival cannot say: try them one by one
                for k in range(b, min(b + 10, n_per_voice)):
                    try:
                        paths += synth_batch(
                            voice, texts[k : k + 1], stretches[k : k + 1], out_dir, f"{voice}_s{seed}_{k}x"
                        )
                    except subprocess.CalledProcessError as exc:
                        err = exc.stderr.decode(errors="replace").strip().splitlines()
                        print(f"voice {voice}: text {k} failed: {err[-1] if err else exc}", file=sys.stderr)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=200, help="utterances per voice")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--voices", nargs="*", default=None)
    args = ap.parse_args()
    paths = synthesize(args.out, args.n, args.seed, args.voices)
    print(f"{len(paths)} utterances in {args.out}")


if __name__ == "__main__":
    main()
