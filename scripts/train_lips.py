"""Train the lip model (viseme posteriors from audio features) and export runtime/models/lips.onnx.

    python scripts/synth_aligned.py /tmp/lips-data --n 300 --seed 1
    python scripts/train_lips.py /tmp/lips-data --epochs 12 [--music a.ogg b.ogg]

The audio is augmented (speed/pitch, reverb, noise, gain, clipping, band limits, silence padding,
and with --music instrumental beds under and around the speech and alone: scripts/music_beds.py)
before the runtime's own streaming feature extractor runs on it, so the model learns exactly the
features it will see. Labels: the festival phone at each frame, mapped to its Oculus viseme, taken
LABEL_SHIFT frames ahead to cancel the delay of the runtime's coarticulation filter.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import butter, fftconvolve, resample_poly, sosfilt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from music_beds import MusicBeds  # noqa: E402  (scripts/ is on the path when run as a script)

from facecast.runtime.audio_features import HOP, N_FEATURES, RATE, FeatureStream  # noqa: E402
from facecast.runtime.lip_phones import viseme_of  # noqa: E402
from facecast.runtime.lips import CONTEXT, CONTEXT_PAST, LOOK_AHEAD, MODEL_FILE  # noqa: E402
from facecast.runtime.names import VISEME_INDEX, VISEME_NAMES  # noqa: E402

LABEL_SHIFT = 2  # frames: the coarticulation filter's delay
MUSIC_SHARE = 0.35  # of the augmented copies laid over music (with --music)
MUSIC_SNR_DB = (-5.0, 20.0)  # speech over the bed
MUSIC_ALONE = 0.15  # per utterance, the chance of one more example: 1-3 s of music alone, silent lips


def augment(
    audio: np.ndarray, ends: np.ndarray, rng: np.random.Generator, music: MusicBeds | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A randomly degraded copy of the utterance and its scaled phone end times (with `music`, some
    copies are laid over an instrumental bed that also plays alone before and after the speech)."""
    x = audio.astype(np.float64)
    # speed + pitch together (resampling), phone times scale with it
    r = float(rng.uniform(0.85, 1.2)) if rng.random() < 0.6 else 1.0
    if r != 1.0:
        up, down = 100, int(round(100 * r))
        x = resample_poly(x, up, down)
        ends = ends * (up / down)
    # silence padding
    pre = int(rng.uniform(0, 0.6) * RATE)
    post = int(rng.uniform(0, 0.6) * RATE)
    x = np.concatenate([np.zeros(pre), x, np.zeros(post)])
    ends = np.concatenate([[pre / RATE], ends + pre / RATE])
    if rng.random() < 0.4:  # reverb: exponentially decaying noise tail
        rt60 = rng.uniform(0.1, 0.6)
        n = int(rt60 * RATE)
        ir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)
        ir[0] = 1.0 / rng.uniform(0.3, 1.0)
        ir /= np.sqrt(np.sum(ir**2))
        x = fftconvolve(x, ir)[: x.size]
    if rng.random() < 0.2:  # band limits: telephone / cheap microphone
        sos = butter(4, [rng.uniform(150, 400), rng.uniform(3000, 6000)], btype="band", fs=RATE, output="sos")
        x = sosfilt(sos, x)
    x /= np.max(np.abs(x)) + 1e-9
    x *= 10 ** (rng.uniform(-30, 0) / 20)
    if music is not None and rng.random() < MUSIC_SHARE:  # an instrumental bed, alone at both ends
        pre, post = (int(rng.uniform(0.3, 1.5) * RATE) for _ in range(2))
        speech_power = np.mean(x[np.abs(x) > 0.05 * np.max(np.abs(x))] ** 2) if np.any(x) else 1e-6
        x = np.concatenate([np.zeros(pre), x, np.zeros(post)])
        ends = ends + pre / RATE
        bed = music(x.size, rng)
        snr = rng.uniform(*MUSIC_SNR_DB)
        x = x + bed * np.sqrt(speech_power / (np.mean(bed**2) + 1e-12) / 10 ** (snr / 10))
        x /= max(1.0, float(np.max(np.abs(x))))
    if rng.random() < 0.6:  # noise: white, pink or rumble, 5..45 dB SNR
        kind = rng.integers(3)
        noise = rng.standard_normal(x.size)
        if kind == 1:
            noise = np.cumsum(noise) * 0.02
            noise -= np.convolve(noise, np.ones(400) / 400, mode="same")
        elif kind == 2:
            noise = sosfilt(butter(2, 300, fs=RATE, output="sos"), noise)
        speech_power = np.mean(x[np.abs(x) > 0.05 * np.max(np.abs(x))] ** 2) if np.any(x) else 1e-6
        snr = rng.uniform(5, 45)
        noise *= np.sqrt(speech_power / (np.mean(noise**2) + 1e-12) / 10 ** (snr / 10))
        x = x + noise
    if rng.random() < 0.1:  # clipping
        x = np.clip(x * rng.uniform(2, 8), -1, 1)
    return np.clip(x, -1, 1).astype(np.float32), ends


def labels_for(ends: np.ndarray, phones: list[str], n_frames: int) -> np.ndarray:
    """Viseme index of each frame (taken LABEL_SHIFT frames ahead). Phone k spans
    [ends[k-1], ends[k]) (festival's segment file gives end times); 'hh' shows the next vowel."""
    vis = [viseme_of(p) for p in phones]
    for k, p in enumerate(phones):
        if p.rstrip("0123456789") in ("hh", "h") and k + 1 < len(phones):
            vis[k] = viseme_of(phones[k + 1])
    idx = np.array([VISEME_INDEX[v] for v in vis] + [VISEME_INDEX["sil"]])  # past the end: silence
    t = (np.arange(n_frames) + LABEL_SHIFT) * HOP / RATE
    return idx[np.searchsorted(ends, t, side="right")]


def features(audio: np.ndarray) -> np.ndarray:
    fs = FeatureStream()
    a = fs.push(audio)
    b = fs.push(np.zeros(0, np.float32), final=True)
    return np.concatenate([a.feats, b.feats])


def build_dataset(
    data_dirs: list[Path], copies: int, seed: int, music: MusicBeds | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenated frames (padded per utterance) and the indices of frames usable as window centres."""
    rng = np.random.default_rng(seed)
    feats, labels, centres = [], [], []
    offset = 0
    files = sorted(f for d in data_dirs for f in d.glob("*.npz"))
    for path in files:
        d = np.load(path)
        phones = [str(p) for p in d["phones"]]
        alone = music is not None and rng.random() < MUSIC_ALONE
        for c in range(copies + int(alone)):
            if c == copies:  # music alone: the lips stay shut
                n = int(rng.uniform(1.0, 3.0) * RATE)
                audio = music(n, rng) * 10 ** (rng.uniform(-30, 0) / 20)
                ends, ph = np.array([n / RATE]), ["pau"]
            elif c == 0:
                gain = 10 ** (rng.uniform(-20, 0) / 20)
                audio, ends, ph = d["audio"] / (np.max(np.abs(d["audio"])) + 1e-9) * gain, d["ends"], phones
            else:
                audio, ends = augment(d["audio"], d["ends"], rng, music)
                ph = ["pau"] + phones
            f = features(audio.astype(np.float32))
            y = labels_for(ends, ph, len(f))
            pad = np.zeros((CONTEXT, N_FEATURES), np.float32)
            block = np.concatenate([pad, f, pad])
            feats.append(block)
            labels.append(np.concatenate([np.zeros(CONTEXT, np.int64), y, np.zeros(CONTEXT, np.int64)]))
            centres.append(offset + CONTEXT + np.arange(len(f)))
            offset += len(block)
    return np.concatenate(feats), np.concatenate(labels), np.concatenate(centres)


def main() -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "data", type=Path, nargs="+", help="folders of .npz from scripts/synth_aligned.py, espeak_aligned.py"
    )
    ap.add_argument("--fraction", type=float, default=0.5, help="share of the frames each epoch visits")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--copies", type=int, default=3, help="1 clean + augmented copies per utterance")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--music",
        type=Path,
        nargs="*",
        default=None,
        help="lay some copies over music: synthetic beds plus cuts of these files (none: no music)",
    )
    ap.add_argument("--out", type=Path, default=REPO / "runtime" / "models" / MODEL_FILE)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    t0 = time.time()
    music = MusicBeds(args.music) if args.music is not None else None
    X, Y, C = build_dataset(args.data, args.copies, args.seed, music)
    print(f"{len(C)} frames from {args.data} in {time.time() - t0:.0f} s", flush=True)
    counts = np.bincount(Y[C], minlength=len(VISEME_NAMES)).astype(np.float64)
    print("class counts", dict(zip(VISEME_NAMES, counts.astype(int))), flush=True)
    weights = torch.tensor((counts.sum() / (counts + 100.0) / len(counts)) ** 0.5, dtype=torch.float32)

    Xt = torch.from_numpy(X)
    Yt = torch.from_numpy(Y)
    offsets = torch.arange(-CONTEXT_PAST, LOOK_AHEAD + 1)
    model = torch.nn.Sequential(
        torch.nn.Linear(CONTEXT * N_FEATURES, 256),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.1),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, len(VISEME_NAMES)),
    )
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * (int(len(C) * args.fraction) // 1024 + 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=0.05)
    rng = np.random.default_rng(args.seed)
    for epoch in range(args.epochs):
        perm = torch.from_numpy(rng.permutation(C)[: int(len(C) * args.fraction)])
        model.train()
        total, correct, n = 0.0, 0, 0
        for i in range(0, len(perm), 1024):
            c = perm[i : i + 1024]
            xb = Xt[c[:, None] + offsets[None, :]].reshape(len(c), -1)
            yb = Yt[c]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(c)
            correct += int((logits.argmax(1) == yb).sum())
            n += len(c)
        print(
            f"epoch {epoch + 1}: loss {total / n:.3f} acc {correct / n:.3f} ({time.time() - t0:.0f} s)",
            flush=True,
        )

    model.eval()
    export = torch.nn.Sequential(model, torch.nn.Softmax(dim=1))
    dummy = torch.zeros(2, CONTEXT * N_FEATURES)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        export,
        dummy,
        str(args.out),
        input_names=["features"],
        output_names=["visemes"],
        dynamic_axes={"features": {0: "n"}, "visemes": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
