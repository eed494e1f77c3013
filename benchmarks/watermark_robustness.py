"""Watermark benchmark: detection rate per transformation, false positives on real video, PSNR and
speed. Prints markdown tables (pasted into docs/watermark.md).

    .venv/bin/python benchmarks/watermark_robustness.py [--quick] [--clip RENDER.mp4 ...]

Marked material: clips made by warping the public-domain astronaut and Grace Hopper portraits (the
middle moves like a head, the border stays put, plus sensor noise), and any unmarked renders passed
with --clip (e.g. `facecast render` output made without the mark). Unmarked material: every frame of
the real videos in ../shared/eval-dev/videos (read at run time, never copied), as they are and
cropped/rescaled, plus the natural images scikit-image ships.

Detection is counted per clip (1 s = 25 frames accumulated, as `facecast verify` does) and per single
frame. "found" means the identifier decoded correctly, or the sync pattern alone was decisive; a
wrong identifier counts as a miss.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from facecast.runtime.audio_io import ffmpeg_exe  # noqa: E402
from facecast.runtime.watermark import Watermarker, detect  # noqa: E402
from facecast.runtime.watermark_media import load_video  # noqa: E402

EVAL_VIDEOS = REPO.parent / "shared" / "eval-dev" / "videos"
SESSION = 0xBE5C_0DE5
FPS = 25


def _resize_all(frames: np.ndarray, w: int, h: int) -> np.ndarray:
    interp = cv2.INTER_AREA if w < frames.shape[2] else cv2.INTER_CUBIC
    return np.stack([cv2.resize(f, (w, h), interpolation=interp) for f in frames])


def h264(frames: np.ndarray, bitrate: str) -> np.ndarray:
    """Real libx264 encode at a capped streaming bitrate (2 s keyframe interval), then decode."""
    n, h, w, _ = frames.shape
    ff = ffmpeg_exe()
    enc = [ff, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(FPS)]
    enc += ["-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-b:v", bitrate, "-maxrate", bitrate]
    enc += ["-bufsize", bitrate, "-g", str(2 * FPS), "-pix_fmt", "yuv420p", "-f", "h264", "-"]
    data = subprocess.run(enc, input=frames.tobytes(), capture_output=True, check=True).stdout
    dec = [ff, "-v", "error", "-f", "h264", "-i", "-", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    out = subprocess.run(dec, input=data, capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, h, w, 3)


def colour(frames: np.ndarray) -> np.ndarray:
    """A webcam-style pipeline: RGB -> limited-range YUV 4:2:0 -> RGB (ffmpeg swscale), gamma 1.1."""
    n, h, w, _ = frames.shape
    ff = ffmpeg_exe()
    to_yuv = [ff, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-i", "-"]
    to_yuv += [
        "-vf",
        "scale=out_range=tv:out_color_matrix=bt601",
        "-pix_fmt",
        "yuv420p",
        "-f",
        "rawvideo",
        "-",
    ]
    yuv = subprocess.run(to_yuv, input=frames.tobytes(), capture_output=True, check=True).stdout
    back = [ff, "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}", "-i", "-"]
    back += ["-vf", "scale=in_range=tv:in_color_matrix=bt601", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    rgb = subprocess.run(back, input=yuv, capture_output=True, check=True).stdout
    lut = np.clip(255.0 * (np.arange(256) / 255.0) ** 1.1, 0, 255).astype(np.uint8)
    return lut[np.frombuffer(rgb, np.uint8).reshape(n, h, w, 3)]


def crop(frames: np.ndarray, fraction: float, resize_back: bool, rng: np.random.Generator) -> np.ndarray:
    """Remove `fraction` of the width and of the height, split at random between the two sides."""
    h, w = frames.shape[1:3]
    ch, cw = round(h * fraction), round(w * fraction)
    top, left = int(rng.integers(0, ch + 1)), int(rng.integers(0, cw + 1))
    out = frames[:, top : h - (ch - top), left : w - (cw - left)]
    return _resize_all(out, w, h) if resize_back else np.ascontiguousarray(out)


def round_trip(frames: np.ndarray, side: int) -> np.ndarray:
    h, w = frames.shape[1:3]
    return _resize_all(_resize_all(frames, side, side), w, h)


def transforms(rng: np.random.Generator) -> dict:
    return {
        "none": lambda f: f,
        "H.264 1 Mbit/s": lambda f: h264(f, "1M"),
        "H.264 500 kbit/s": lambda f: h264(f, "500k"),
        "720p round trip": lambda f: round_trip(f, 720),
        "360p round trip": lambda f: round_trip(f, 360),
        "kept at 720p": lambda f: _resize_all(f, 720, 720),
        "kept at 360p": lambda f: _resize_all(f, 360, 360),
        "crop 5%": lambda f: crop(f, 0.05, False, rng),
        "crop 10%": lambda f: crop(f, 0.10, False, rng),
        "crop 10% + resize back": lambda f: crop(f, 0.10, True, rng),
        "colour (YUV420 limited, gamma 1.1)": colour,
        "combined: crop 5%+360p+colour+H.264 1M": lambda f: h264(
            colour(round_trip(crop(f, 0.05, True, rng), 360)), "1M"
        ),
        "(limit) crop 10% of the width only, stretched back": lambda f: _resize_all(
            np.ascontiguousarray(f[:, :, 26:-25]), f.shape[2], f.shape[1]
        ),
        "(limit) blur sigma 2": lambda f: np.stack([cv2.GaussianBlur(x, (0, 0), 2.0) for x in f]),
        "horizontal mirror": lambda f: np.ascontiguousarray(f[:, :, ::-1]),
        "(limit) rotate 3 degrees": lambda f: np.stack(
            [cv2.warpAffine(x, cv2.getRotationMatrix2D((256, 256), 3, 1.0), (512, 512)) for x in f]
        ),
    }


def talking_clip(img: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
    cy, cx = 230 + rng.normal(0, 10), 256 + rng.normal(0, 10)
    bump = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 110.0**2))
    ph = rng.uniform(0, 6.3, 3)
    out = []
    for i in range(n):
        dx = 7 * np.sin(i / 3 + ph[0]) * bump
        dy = 5 * np.cos(i / 4 + ph[1]) * bump
        scale = 1 + 0.02 * np.sin(i / 5 + ph[2]) * bump
        f = cv2.remap(
            img, xx + dx + (xx - cx) * (1 - scale), yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        out.append(np.clip(f + rng.normal(0, 2, f.shape), 0, 255).astype(np.uint8))
    return np.stack(out)


def portraits() -> list[np.ndarray]:
    from matplotlib import cbook
    from skimage import data

    hopper = cv2.cvtColor(
        cv2.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)), cv2.COLOR_BGR2RGB
    )
    out = []
    for img in (data.astronaut(), hopper):
        h, w = img.shape[:2]
        s = min(h, w)
        img = img[(h - s) // 2 : (h + s) // 2, (w - s) // 2 : (w + s) // 2]
        out.append(cv2.resize(img, (512, 512), interpolation=cv2.INTER_AREA))
    return out


CEL_ART = [
    Path("/usr/share/games/renpy/demo/game/images/eileen happy.png"),
    Path("/usr/share/games/renpy/demo/game/images/lucy happy.png"),
]  # Debian's renpy-demo (Expat): flat cel shading, where grain shows most


def rendered_clips(n: int, cel: bool = False) -> list[np.ndarray]:
    """Unmarked clips from facecast's own generator (the astronaut and Grace Hopper, and with `cel`
    two Ren'Py characters, speaking espeak-ng speech): what `facecast render` produces, before the
    mark is added."""
    import shutil
    import tempfile

    from facecast.runtime.audio_io import load_audio
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.controls import Controls
    from facecast.runtime.facemotion import stack_vectors
    from facecast.runtime.generator import Generator
    from facecast.runtime.render import motion_chunks

    if shutil.which("espeak-ng") is None:
        raise SystemExit("--rendered needs espeak-ng (apt-get install espeak-ng)")
    missing = [p for p in CEL_ART if cel and not p.is_file()]
    if missing:
        raise SystemExit(f"--cel needs {missing[0]} (apt-get install renpy-demo)")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        text = "Hello there. My mouth opens on vowels, and shuts on my bilabials. Watch me talk."
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
        audio = load_audio(wav)
        sources = []
        for i, img in enumerate(portraits()):
            png = Path(tmp) / f"portrait{i}.png"
            cv2.imwrite(str(png), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
            sources.append(png)
        for png in sources + (CEL_ART if cel else []):
            gen = Generator(prepare_avatar(str(png), size=512, cache_dir=tmp))
            frames = []
            for motions in motion_chunks(audio, FPS, Controls(), 2 * n):
                frames.extend(gen.render(stack_vectors(motions))[..., :3])
            frames = np.ascontiguousarray(np.stack(frames))
            out += [frames[:n], frames[n : 2 * n]]
    return out


def _hit(det) -> bool:
    return det.found and det.session_tag in (None, SESSION)


def robustness(clips: list[np.ndarray], frames_per_clip: int) -> list[tuple[str, str, str, float]]:
    rng = np.random.default_rng(3)
    rows = []
    for name, fn in transforms(rng).items():
        clip_hits, frame_hits, frame_n, zs = 0, 0, 0, []
        for clip in clips:
            out = fn(clip)
            det = detect(out)
            clip_hits += _hit(det)
            zs.append(det.sync_z)
            for f in out[:: max(1, len(out) // frames_per_clip)][:frames_per_clip]:
                frame_hits += _hit(detect(f))
                frame_n += 1
        rows.append((name, f"{clip_hits}/{len(clips)}", f"{frame_hits}/{frame_n}", float(np.median(zs))))
        print(f"  {name}: clips {clip_hits}/{len(clips)}, frames {frame_hits}/{frame_n}", file=sys.stderr)
    return rows


def false_positives(quick: bool) -> tuple[list[tuple[str, int, int, float]], int, int]:
    if not EVAL_VIDEOS.is_dir():
        print(f"  {EVAL_VIDEOS} is absent: real-video false-positive rate not measured", file=sys.stderr)
        return [], 0, 0
    rng = np.random.default_rng(11)
    rows, clip_n, clip_fp = [], 0, 0
    variants = {  # (transform, frame step): every frame as is, every other frame of the variants
        "as is": (lambda f: f, 1),
        "crop 7% (random sides)": (lambda f: crop(f, 0.07, False, rng), 2),
        "360p round trip": (lambda f: round_trip(f, 360), 2),
    }
    videos = sorted(EVAL_VIDEOS.glob("*.mp4"))
    for vname, (fn, step) in variants.items():
        n = fp = 0
        zmax = 0.0
        for path in videos:
            frames = load_video(path, max_frames=100000)
            frames = fn(frames[:: step * (4 if quick else 1)])
            for f in frames:
                det = detect(f)
                n += 1
                fp += det.found
                zmax = max(zmax, det.sync_z)
            if vname == "as is":
                for start in range(0, len(frames) - FPS + 1, FPS):
                    clip_n += 1
                    clip_fp += detect(frames[start : start + FPS]).found
        rows.append((vname, fp, n, zmax))
        print(f"  real video {vname}: {fp}/{n} false positives, max sync z {zmax:.2f}", file=sys.stderr)
    return rows, clip_fp, clip_n


def natural_images() -> tuple[int, int, float]:
    from skimage import data

    names = ["astronaut", "coffee", "chelsea", "rocket", "camera", "page", "text", "moon", "coins", "cat"]
    names += ["immunohistochemistry", "hubble_deep_field", "motorcycle_left", "retina", "logo", "colorwheel"]
    fp = n = 0
    zmax = 0.0
    for name in names:
        try:
            img = getattr(data, name)()
        except Exception:  # some need pooch downloads; skip what is not shipped
            continue
        if isinstance(img, tuple):
            img = img[0]
        img = np.asarray(img)
        if img.ndim == 2:
            img = np.dstack([img] * 3)
        img = img[..., :3].astype(np.uint8)
        for variant in (img, cv2.resize(img, (512, 512), interpolation=cv2.INTER_AREA)):
            det = detect(variant)
            n += 1
            fp += det.found
            zmax = max(zmax, det.sync_z)
    return fp, n, zmax


def flat_grain(clean: np.ndarray, marked: np.ndarray) -> float:
    """RMS of the mark (grey levels) on a frame's flat colour, where grain would show: pixels whose
    7x7 neighbourhood varies by under half a grey level. NaN when the frame has under 5% of them."""
    grey = cv2.cvtColor(clean, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(grey, (7, 7))
    flat = np.sqrt(np.maximum(cv2.blur(grey * grey, (7, 7)) - mean * mean, 0)) < 0.5
    if flat.mean() < 0.05:
        return float("nan")
    return float(np.sqrt(np.mean((marked[flat].astype(np.float32) - clean[flat]) ** 2)))


def speed_and_psnr(clips: list[np.ndarray]) -> dict[str, float]:
    psnrs, grain = [], []
    for clip in clips:
        marked = Watermarker(SESSION, 512).apply(clip.copy())
        mse = np.mean((marked.astype(np.float64) - clip) ** 2, axis=(1, 2, 3))
        psnrs.extend(10 * np.log10(255.0**2 / mse))
        grain.append(flat_grain(clip[0], marked[0]))
    out = {"psnr_median": float(np.median(psnrs)), "psnr_min": float(np.min(psnrs))}
    out["flat_grain"] = grain
    frames = np.concatenate(clips)
    for chans in (3, 4):
        wm = Watermarker(SESSION, 512)
        data = (
            frames
            if chans == 3
            else np.concatenate([frames, np.full(frames.shape[:3] + (1,), 255, np.uint8)], 3)
        )
        data = np.ascontiguousarray(data)
        times = []
        for _ in range(4):
            for f in data:
                t = time.perf_counter()
                wm.apply(f)
                times.append(time.perf_counter() - t)
        times = np.array(times[len(data) :]) * 1e3  # skip the first pass (allocations, caches)
        out[f"embed{chans}_median"] = float(np.median(times))
        out[f"embed{chans}_p95"] = float(np.percentile(times, 95))
        out[f"embed{chans}_mean"] = float(np.mean(times))
    wm = Watermarker(SESSION, 512)
    refresh = []
    for f in frames[:50]:
        t = time.perf_counter()
        wm._prepare(f)  # the strength-map refresh that runs once every `refresh` (50) frames
        refresh.append(time.perf_counter() - t)
    out["refresh_median"] = float(np.median(refresh) * 1e3)
    out["refresh_p95"] = float(np.percentile(refresh, 95) * 1e3)
    copy_times = []
    for f in frames:
        t = time.perf_counter()
        f.copy()
        copy_times.append(time.perf_counter() - t)
    out["copy_median"] = float(np.median(copy_times) * 1e3)
    single, clip_t = [], []
    for f in frames[::5]:
        t = time.perf_counter()
        detect(f)
        single.append(time.perf_counter() - t)
    for clip in clips:
        t = time.perf_counter()
        detect(clip[:FPS])
        clip_t.append(time.perf_counter() - t)
    out["detect_frame_median"] = float(np.median(single) * 1e3)
    out["detect_frame_p95"] = float(np.percentile(single, 95) * 1e3)
    out["detect_clip_median"] = float(np.median(clip_t) * 1e3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer clips and real frames")
    ap.add_argument("--no-real", action="store_true", help="skip the false-positive pass on real video")
    ap.add_argument("--speed-only", action="store_true", help="only PSNR and timings")
    ap.add_argument("--clip", type=Path, action="append", default=[], help="unmarked render to add")
    ap.add_argument("--rendered", action="store_true", help="use clips from facecast's own generator")
    ap.add_argument(
        "--cel", action="store_true", help="with --rendered: add two cel-shaded Ren'Py characters"
    )
    args = ap.parse_args()
    seeds = (0, 1) if args.quick else (0, 1, 2)
    if args.rendered:
        clips = rendered_clips(FPS, cel=args.cel)
    else:
        clips = [talking_clip(img, FPS, seed) for img in portraits() for seed in seeds]
    for path in args.clip:
        frames = load_video(path, max_frames=FPS)
        if frames.shape[1:3] != (512, 512):
            frames = _resize_all(frames, 512, 512)
        clips.append(frames)
    marked = [Watermarker(SESSION, 512).apply(c.copy()) for c in clips]

    print("== speed and PSNR", file=sys.stderr)
    perf = speed_and_psnr(clips)
    rows, fp_rows, clip_fp, clip_n, nat_fp, nat_n, nat_z = [], [], 0, 0, 0, 0, 0.0
    if not args.speed_only:
        print("== robustness", file=sys.stderr)
        rows = robustness(marked, frames_per_clip=4 if args.quick else 8)
        print("== false positives", file=sys.stderr)
        fp_rows, clip_fp, clip_n = ([], 0, 0) if args.no_real else false_positives(args.quick)
        nat_fp, nat_n, nat_z = natural_images()

    kind = "facecast generator renders" if args.rendered else "warped portraits"
    print(f"\nMarked clips: {len(clips)} x {FPS} frames, 512x512, {kind} (+{len(args.clip)} given).\n")
    print("| transformation | clips found (1 s) | single frames found | median sync z (clip) |")
    print("|---|---|---|---|")
    for name, c, f, z in rows:
        print(f"| {name} | {c} | {f} | {z:.1f} |")
    print("\n| unmarked material | false positives | frames | max sync z |")
    print("|---|---|---|---|")
    for name, fp, n, z in fp_rows:
        print(f"| real videos, {name} | {fp} | {n} | {z:.2f} |")
    if clip_n:
        print(f"| real videos, 1 s clips accumulated | {clip_fp} | {clip_n} clips | |")
    print(f"| scikit-image natural images (native and 512x512) | {nat_fp} | {nat_n} | {nat_z:.2f} |")
    total = sum(r[2] for r in fp_rows) + nat_n
    print(f"\nTotal unmarked frame trials: {total}, false positives: {sum(r[1] for r in fp_rows) + nat_fp}")
    print("\n| measure | value |")
    print("|---|---|")
    print(f"| PSNR vs unmarked, median / min | {perf['psnr_median']:.2f} / {perf['psnr_min']:.2f} dB |")
    grain = ", ".join("-" if np.isnan(g) else f"{g:.2f}" for g in perf["flat_grain"])
    print(f"| mark on flat colour, grey levels RMS, per clip | {grain} |")
    for c in (3, 4):
        print(
            f"| embed, {'RGB' if c == 3 else 'RGBA'} 512x512, median / p95 / mean | "
            f"{perf[f'embed{c}_median']:.3f} / {perf[f'embed{c}_p95']:.3f} / {perf[f'embed{c}_mean']:.3f} ms |"
        )
    print(
        f"| strength-map refresh (once per 50 frames), median / p95 | "
        f"{perf['refresh_median']:.2f} / {perf['refresh_p95']:.2f} ms |"
    )
    print(f"| baseline: one frame copy (same run) | {perf['copy_median']:.3f} ms |")
    print(f"| load average during the run (2 cores) | {os.getloadavg()[0]:.1f} |")
    print(
        f"| detect, one frame, median / p95 | {perf['detect_frame_median']:.0f} / {perf['detect_frame_p95']:.0f} ms |"
    )
    print(f"| detect, 25-frame clip, median | {perf['detect_clip_median']:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
