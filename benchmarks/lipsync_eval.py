"""Lip-sync and motion scores against ground truth, for the motion engine and a loudness baseline.

    python -m benchmarks.lipsync_eval [--n 8] [--read-n 120] [--json] [--skip-real] [--render]

1. Aligned speech: festival (English and Italian voices, exact segment times) and espeak-ng (ten
   languages, its own phoneme events), made fresh with seeds the lip model never trained on; and
   real read speech, a human speaker's recordings with their phone labels (festvox-ru's database,
   benchmarks/read_speech.py), which the lip model never heard. Scored frame by frame at 100 FPS:
   - closure: share of frames in the middle third of every m, b, p with the lips shut
     (jawOpen - mouthClose < 0.1); target >= 0.80
   - false closure: the same on open vowels (aa ae ao aw ay and their kin); target <= 0.05
   - rounding: AUC of mouthFunnel + mouthPucker, rounded (uw ow uh w) vs spread (iy ih ey eh ae)
     segments; target >= 0.85
   - openness: Pearson r of each phone's mean jawOpen with its tabulated openness; target >= 0.65
   The loudness baseline (jawOpen from loudness alone, nothing else) is scored in the same run.
2. Real speech (/work/shared/eval-dev/videos, read at run time, never copied): the predicted lip
   gap correlated with the speaker's inner-lip gap measured by dlib and by mediapipe
   (benchmarks/face_measure.py), and the real talkers' motion statistics measured the same way as
   rendered output.
3. With --render: our motion rendered on the eval-dev portraits (runtime/render.py) and measured
   with benchmarks/motion_stats.py against the real-talker ranges.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from facecast.runtime.audio_features import features_of
from facecast.runtime.lip_phones import BILABIAL, OPEN_VOWELS, ROUNDED, SILENCE, SPREAD, base, openness_of
from facecast.runtime.lips import loudness_jaw
from facecast.runtime.motion_engine import motion_from_audio

from . import read_speech
from .motion_render_stats import RANGES, in_range

EVAL_DEV = Path("/work/shared/eval-dev")
EVAL_SEED = 12345  # training used seeds 1 (festival) and 1 (espeak)
READ_N = 120  # real read utterances scored (of festvox-ru's 620; ~16 minutes of speech)
FPS = 100.0
TARGETS = {
    "closure": (">=", 0.80),
    "false_closure": ("<=", 0.05),
    "rounding_auc": (">=", 0.85),
    "openness_r": (">=", 0.65),
}
# real talkers' ranges: the one table in motion_render_stats (its mediapipe blink reading is for
# rendered video; the real videos here are scored with dlib's)
REAL_RANGES = {k: v for k, v in RANGES.items() if k != "blinks_per_min_mesh"}


def aligned_material(tmp: Path, n: int) -> dict[str, list[Path]]:
    """voice/language -> utterance files (.npz with audio, ends, phones)."""
    from scripts.espeak_aligned import synthesize as espeak_synth
    from scripts.synth_aligned import synthesize as festival_synth

    groups: dict[str, list[Path]] = {}
    for p in festival_synth(tmp / "festival", n, EVAL_SEED):
        groups.setdefault("festival:" + p.name.split(f"_s{EVAL_SEED}")[0], []).append(p)
    for p in espeak_synth(tmp / "espeak", n, EVAL_SEED):
        groups.setdefault("espeak:" + p.name.split("_")[1], []).append(p)
    return groups


def engine_curves(audio: np.ndarray) -> dict[str, np.ndarray]:
    frames = motion_from_audio(audio, fps=FPS)
    get = lambda name: np.array([f[name] for f in frames])  # noqa: E731
    return {
        "jaw": get("jawOpen"),
        "gap": get("jawOpen") - get("mouthClose"),
        "round": get("mouthFunnel") + get("mouthPucker"),
    }


def baseline_curves(audio: np.ndarray) -> dict[str, np.ndarray]:
    """Loudness to jaw, smoothed like a mouth (30 ms): the usual 'volume meter' lip sync."""
    level = features_of(audio).level
    a = np.exp(-1.0 / (0.03 * FPS))
    jaw = lfilter([1 - a], [1, -a], loudness_jaw(level))
    return {"jaw": jaw, "gap": jaw, "round": np.zeros_like(jaw)}


def _auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg)))


def score(files: list[Path], curves_fn) -> dict[str, float]:
    shut, false_shut, rnd, spr, jaw_means, opens = [], [], [], [], [], []
    for path in files:
        d = np.load(path)
        c = curves_fn(d["audio"])
        n = c["jaw"].size
        ends = d["ends"]
        starts = np.concatenate([[0.0], ends[:-1]])
        for s, e, phone in zip(starts, ends, d["phones"]):
            p = base(str(phone))
            mid, half = (s + e) / 2, max((e - s) / 6, 0.5 / FPS)
            idx = np.arange(int(np.ceil((mid - half) * FPS)), int(np.floor((mid + half) * FPS)) + 1)
            idx = idx[(idx >= 0) & (idx < n)]
            if idx.size == 0 or p in SILENCE:
                continue
            gap_shut = c["gap"][idx] < 0.1
            if p in BILABIAL:
                shut += gap_shut.tolist()
            if p in OPEN_VOWELS:
                false_shut += gap_shut.tolist()
            if p in ROUNDED:
                rnd.append(float(c["round"][idx].mean()))
            elif p in SPREAD:
                spr.append(float(c["round"][idx].mean()))
            jaw_means.append(float(c["jaw"][idx].mean()))
            opens.append(openness_of(p))
    r = float(np.corrcoef(jaw_means, opens)[0, 1]) if np.std(jaw_means) > 0 else 0.0
    return {
        "closure": float(np.mean(shut)) if shut else float("nan"),
        "false_closure": float(np.mean(false_shut)) if false_shut else float("nan"),
        "rounding_auc": _auc(rnd, spr),
        "openness_r": r,
    }


def aligned_scores(n: int, read_n: int = READ_N) -> dict:
    """Scores per synthetic voice, on real read speech (when festvox-ru is installed), and their
    means: over the synthetic voices, and over the voices and the real read speech together."""
    with tempfile.TemporaryDirectory() as tmp:
        groups = aligned_material(Path(tmp), n)
        if read_speech.available() and read_n > 0:
            groups[read_speech.GROUP] = read_speech.material(Path(tmp) / "read", read_n, EVAL_SEED)
        per = {}
        for name, files in sorted(groups.items()):
            per[name] = {"engine": score(files, engine_curves), "loudness": score(files, baseline_curves)}

    def mean_of(names: list[str]) -> dict:
        return {
            who: {k: float(np.nanmean([per[v][who][k] for v in names])) for k in TARGETS}
            for who in ("engine", "loudness")
        }

    synthetic = [v for v in per if v != read_speech.GROUP]
    out = {"per_voice": per, "mean": mean_of(list(per)), "mean_synthetic": mean_of(synthetic)}
    if read_speech.GROUP not in per:
        out["read_speech_missing"] = f"{read_speech.VOICE} not found: apt-get install festvox-ru"
    return out


def real_scores() -> dict:
    """Lip-gap correlation and motion statistics of the eval-dev real videos."""
    from facecast.runtime.audio_io import load_audio

    from .motion_stats import measure_video, motion_statistics

    videos = sorted((EVAL_DEV / "videos").glob("*.mp4"))
    if not videos:
        return {"missing": f"{EVAL_DEV / 'videos'} not found: real-speech scores skipped"}
    cache_path = Path(tempfile.gettempdir()) / "facecast-lipsync-eval-videos.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    out = {}
    for v in videos:
        key = f"{v}:{v.stat().st_mtime_ns}"
        if "lip_gap_mesh" not in cache.get(key, {}):  # every frame is slow: measure each video once
            vm = measure_video(v)
            cache[key] = {
                "fps": vm.fps,
                "lip_gap": vm.series("lip_gap").tolist(),
                "lip_gap_mesh": _mesh_lip_gaps(v),
                "stats": motion_statistics(vm),
            }
            cache_path.write_text(json.dumps(cache))
        fps = cache[key]["fps"]
        audio = load_audio(v)
        frames = motion_from_audio(audio, fps=fps)
        pred = np.array([f["jawOpen"] - f["mouthClose"] for f in frames])
        level = features_of(audio).level
        t = np.arange(len(pred)) / fps
        base_jaw = np.interp(t, np.arange(level.size) / 100.0, loudness_jaw(level))
        row: dict = {"stats": cache[key]["stats"]}
        for detector, series in (("", "lip_gap"), ("_mesh", "lip_gap_mesh")):
            measured = np.array(cache[key][series], np.float64)
            n = min(len(pred), len(measured))
            ok = ~np.isnan(measured[:n])
            for who, curve in (("engine", pred), ("loudness", base_jaw)):
                r_best, lag = _best_lag_r(curve[:n], measured[:n], fps)
                row[f"lip_r_{who}{detector}"] = float(np.corrcoef(curve[:n][ok], measured[:n][ok])[0, 1])
                row[f"lip_r_{who}{detector}_best_lag"] = r_best
                row[f"lag_frames_{who}{detector}"] = lag
        out[v.name] = row
    return out


def _mesh_lip_gaps(video: Path) -> list[float]:
    """The speaker's inner-lip gap on every frame, read by mediapipe (NaN where no face)."""
    from .face_measure import mesh_lip_gap
    from .motion_stats import read_video

    frames, _ = read_video(video)
    gaps = (mesh_lip_gap(rgb) for rgb in frames)
    return [float("nan") if g is None else g for g in gaps]


MAX_LAG_S = 0.3  # the dev clips' own audio/video offsets reach ~240 ms (v06: 6 frames)


def _best_lag_r(
    pred: np.ndarray, measured: np.ndarray, fps: float, max_s: float = MAX_LAG_S
) -> tuple[float, int]:
    """Pearson r at the best audio/video offset within +-max_s (clips are not always in sync), and
    that offset in frames (> 0: the measured lips lead the prediction)."""
    best, best_lag = -1.0, 0
    for lag in range(-round(max_s * fps), round(max_s * fps) + 1):
        a = pred[max(0, lag) : len(pred) + min(0, lag)]
        b = measured[max(0, -lag) : len(measured) + min(0, -lag)]
        ok = ~np.isnan(b)
        if ok.sum() > 10:
            r = float(np.corrcoef(a[ok], b[ok])[0, 1])
            if r > best:
                best, best_lag = r, lag
    return best, best_lag


def rendered_scores(all_pairs: bool = False, limit: int | None = None) -> dict:
    """Our motion rendered on eval-dev portraits with eval-dev audio clips, then measured like the
    real videos. By default each portrait once, the clips in turn (every clip is used); all_pairs
    renders the full grid (slow on a CPU)."""
    from facecast.runtime.render import RenderOptions, render

    from .motion_stats import measure_video, motion_statistics

    portraits = sorted((EVAL_DEV / "portraits").glob("*"))
    clips = sorted((EVAL_DEV / "audio").glob("*.wav"))
    if not portraits or not clips:
        return {"missing": f"{EVAL_DEV} portraits/audio not found: rendered statistics skipped"}
    out = {}
    pairs = (
        [(p, a) for p in portraits for a in clips]
        if all_pairs
        else [(p, clips[i % len(clips)]) for i, p in enumerate(portraits)]
    )
    with tempfile.TemporaryDirectory() as tmp:
        for p, a in pairs[:limit]:
            mp4 = Path(tmp) / f"{p.stem}_{a.stem}.mp4"
            try:
                render(p, a, mp4, RenderOptions(size=512, fps=25.0, force=True))
            except Exception as exc:  # a portrait the renderer cannot take is reported, not fatal
                out[f"{p.name} + {a.name}"] = {"error": str(exc)}
                continue
            s = motion_statistics(measure_video(mp4))
            s["in_range"] = all(in_range(k, s[k]) for k in REAL_RANGES)
            out[f"{p.name} + {a.name}"] = s
    return out


def _check(name: str, value: float) -> str:
    op, target = TARGETS[name]
    ok = value >= target if op == ">=" else value <= target
    return "ok" if ok else "MISS"


def print_report(res: dict) -> None:
    al = res["aligned"]
    print(f"Aligned speech ({len(al['per_voice'])} voices/languages), frame by frame at {FPS:g} FPS")
    print("group".ljust(36) + "".join(k.rjust(15) for k in TARGETS))
    for name, v in al["per_voice"].items():
        for who in ("engine", "loudness"):
            print(f"{name} [{who}]".ljust(36) + "".join(f"{v[who][k]:15.3f}" for k in TARGETS))
    for label, key in (("MEAN synthetic", "mean_synthetic"), ("MEAN all (voices + real)", "mean")):
        for who in ("engine", "loudness"):
            m = al[key][who]
            print(
                f"{label} [{who}]".ljust(36) + "".join(f"{m[k]:11.3f} {_check(k, m[k]):>3}" for k in TARGETS)
            )
    if "read_speech_missing" in al:
        print(al["read_speech_missing"])
    real = res.get("real")
    if real:
        print(
            "\nReal speech (eval-dev videos): r of predicted vs measured inner-lip gap (dlib; mp ="
            f" mediapipe), at 0 and at the best offset within +-{MAX_LAG_S * 1000:.0f} ms [frames]"
        )
        if "missing" in real:
            print(real["missing"])
        for name, v in real.items():
            if name == "missing":
                continue
            s = v["stats"]
            cells = []
            for d, label in (("", "dlib"), ("_mesh", "mp")):
                for who in ("engine", "loudness"):
                    cells.append(
                        f"{label} {who} {v[f'lip_r_{who}{d}']:.3f} ({v[f'lip_r_{who}{d}_best_lag']:.3f}"
                        f" [{v[f'lag_frames_{who}{d}']:+d}])"
                    )
            print(f"{name[:40].ljust(42)} " + "  ".join(cells))
            print(" " * 43 + "  ".join(f"{k} {s[k]:.3f}" for k in REAL_RANGES))
        vids = [v for k, v in real.items() if k != "missing"]
        if vids:
            mean = {k: float(np.mean([v[k] for v in vids])) for k in vids[0] if k.startswith("lip_r")}
            print("MEAN".ljust(42) + "  ".join(f"{k} {x:.3f}" for k, x in mean.items()))
            real_mean = mean
            res["real_mean"] = real_mean
    rendered = res.get("rendered")
    if rendered:
        print(
            "\nRendered output measured like real talkers (target ranges: "
            + ", ".join(f"{k} {lo or 0}..{hi}" for k, (lo, hi) in REAL_RANGES.items())
            + ")"
        )
        for name, s in rendered.items():
            if "error" in s or "missing" in s:
                print(f"{name}: {s.get('error', s.get('missing'))}")
                continue
            print(
                f"{name[:60].ljust(62)} "
                + "  ".join(f"{k} {s[k]:.3f}" for k in REAL_RANGES)
                + f"  {'ok' if s['in_range'] else 'MISS'}"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Lip-sync and motion scores of the motion engine vs a loudness baseline."
    )
    ap.add_argument("--n", type=int, default=8, help="utterances per voice/language")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-real", action="store_true", help="skip the eval-dev real videos")
    ap.add_argument("--read-n", type=int, default=READ_N, help="real read utterances (festvox-ru), 0 = none")
    ap.add_argument(
        "--render", action="store_true", help="also render eval-dev portraits and measure them (slow)"
    )
    ap.add_argument("--render-all", action="store_true", help="with --render: every portrait x clip")
    ap.add_argument("--render-max", type=int, default=None, help="with --render: at most this many renders")
    args = ap.parse_args(argv)
    t0 = time.time()
    res: dict = {"aligned": aligned_scores(args.n, args.read_n)}
    if not args.skip_real:
        res["real"] = real_scores()
    if args.render:
        res["rendered"] = rendered_scores(args.render_all, args.render_max)
    res["seconds"] = time.time() - t0
    print(json.dumps(res, indent=1, default=float) if args.json else "")
    if not args.json:
        print_report(res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
