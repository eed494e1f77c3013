"""Finding the watermark: whiten each frame, accumulate, then search scale and shift.

Evidence is accumulated before searching: frames of one video share their geometry, so their
whitened residuals are summed at the working scale and the (relatively costly) scale x shift search
runs once. The search tries the picture and its mirror image, a few base scales (the file as it is; its short or long side brought to
512) each widened by +-13% in 1% steps, which covers 720p/360p copies, crops of up to 10% kept at
their size or stretched back, and any mix. For every scale the residual is folded onto one tile
period and cross-correlated with the sync pattern by FFT: the peak gives the crop's shift.

Scores are z-scores against the correlation surface's own robust spread, so natural-image content
that correlates by chance is measured, not assumed Gaussian. A candidate is accepted when its
124 coded message bits decode to a word that passes the keyed 24-bit check (false alarm <=
attempts * 2**-24), or when the
sync peak alone is far above anything seen on unmarked video (SYNC_ALONE_Z; see the benchmark).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .watermark_pattern import TILE, WORK, pattern_spectra, radial_bins
from .watermark_payload import N_BITS, P_FALSE_PER_DECODE, Decoded, decode, format_identifier

SCALE_SPAN = 0.13  # fine search +- around each base scale
SCALE_STEP = 0.01
ASPECT_SPAN = 0.12  # thorough search: aspect-ratio changes of up to +-12% (log scale)
TOP_CANDIDATES = 3  # best (scale, shift) peaks whose message is decoded
# sync peak that counts as "mark present" even when the message is unreadable: unmarked real video
# and natural images peak at z 4-6 over the whole search (max 5.97 in 1,705 trials, benchmark)
SYNC_ALONE_Z = 7.0


@dataclass
class Detection:
    """What the detector concluded. `confidence` is 1 - p_false, where p_false bounds the
    probability that an unmarked input produces this result (Bonferroni over every trial)."""

    found: bool
    confidence: float
    identifier: str | None
    frames_checked: int
    session_tag: int | None = None
    sync_z: float = 0.0
    p_false: float = 1.0
    scale: float = 1.0
    shift: tuple[int, int] = (0, 0)
    bits_corrected: int = 0
    mirrored: bool = False
    aspect: float = 1.0  # horizontal / vertical stretch found (thorough search only)
    bit_margin: float = 0.0  # median |z| of the message bits at the chosen candidate
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "found": self.found,
            "confidence": self.confidence,
            "identifier": self.identifier,
            "session_tag": None if self.session_tag is None else f"{self.session_tag:08x}",
            "frames_checked": self.frames_checked,
            "sync_z": round(self.sync_z, 2),
            "p_false": self.p_false,
            "scale": round(self.scale, 4),
            "shift": list(self.shift),
            "bits_corrected": self.bits_corrected,
            "mirrored": self.mirrored,
            "aspect": round(self.aspect, 4),
            "bit_margin": round(self.bit_margin, 2),
        }


def luma(frame: np.ndarray) -> np.ndarray:
    """Rec.601 luma as float32 from a grey, RGB or RGBA uint8 frame."""
    if frame.ndim == 2:
        return frame.astype(np.float32)
    rgb = frame[..., :3].astype(np.float32)
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def whiten(y: np.ndarray) -> np.ndarray:
    """High-pass, then divide by the local contrast: flat areas carry little mark and little
    noise, textured ones more of both, so this weighs pixels near-optimally; the clip keeps
    strong edges from dominating."""
    band = y - cv2.GaussianBlur(y, (0, 0), 6.0)
    energy = cv2.GaussianBlur(band * band, (0, 0), 6.0)
    out = band / np.sqrt(energy + 4.0)
    return np.clip(out, -3.0, 3.0, out=out)


def equalise(spec: np.ndarray) -> np.ndarray:
    """Divide a folded tile's spectrum by its ring-averaged power: the matched filter for
    content noise that falls with frequency (as natural images do) against a flat-spectrum mark."""
    rings = radial_bins()
    power = np.bincount(rings.ravel(), (spec.real**2 + spec.imag**2).ravel())
    count = np.bincount(rings.ravel())
    return spec / (power / np.maximum(count, 1) + 1e-12)[rings]


def base_scales(height: int, width: int) -> list[float]:
    """Scales (input pixels -> working pixels) worth trying as centres of the fine search."""
    cands = [WORK / min(height, width), WORK / max(height, width)]
    if 0.7 * WORK <= min(height, width) <= 1.3 * WORK:
        cands.append(1.0)
    out: list[float] = []
    for c in sorted(cands):
        if all(abs(math.log(c / o)) > SCALE_SPAN for o in out):
            out.append(c)
    return out


class Accumulator:
    """Sums whitened residuals of frames that share one geometry, per base scale."""

    def __init__(self) -> None:
        self.shape: tuple[int, int] | None = None
        self.sums: dict[float, np.ndarray] = {}
        self.frames = 0

    def add(self, frame: np.ndarray) -> None:
        y = luma(frame)
        if self.shape is None:
            self.shape = y.shape
            self.sums = {s: None for s in base_scales(*y.shape)}
        elif y.shape != self.shape:
            raise ValueError(f"frame size changed from {self.shape} to {y.shape} within one input")
        for s in self.sums:
            h, w = round(y.shape[0] * s), round(y.shape[1] * s)
            interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
            r = whiten(cv2.resize(y, (w, h), interpolation=interp) if (h, w) != y.shape else y)
            self.sums[s] = r if self.sums[s] is None else self.sums[s] + r
        self.frames += 1


def fold(residual: np.ndarray, period: int = TILE) -> np.ndarray:
    """Average every tile-sized block of the residual onto one tile (partial blocks included)."""
    h, w = residual.shape
    ph, pw = -h % period, -w % period
    padded = np.pad(residual, ((0, ph), (0, pw)))
    ones = np.pad(np.ones((h, w), np.float32), ((0, ph), (0, pw)))
    shape = (padded.shape[0] // period, period, padded.shape[1] // period, period)
    total = padded.reshape(shape).sum(axis=(0, 2))
    count = ones.reshape(shape).sum(axis=(0, 2))
    return total / np.maximum(count, 1.0)


def _robust_std(x: np.ndarray) -> float:
    med = np.median(x)
    return float(1.4826 * np.median(np.abs(x - med))) or 1e-9


def _norm_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _scan(acc: Accumulator, aspects: np.ndarray) -> tuple[list[tuple], int]:
    """Fold and correlate at every (base scale x fine scale x aspect x mirror); one peak each."""
    spectra = pattern_spectra()
    fine = np.exp(np.arange(-SCALE_SPAN, SCALE_SPAN + 1e-9, SCALE_STEP))
    candidates: list[tuple] = []
    trials = 0
    for (base, total), mirrored in itertools.product(acc.sums.items(), (False, True)):
        if mirrored:
            total = np.ascontiguousarray(total[:, ::-1])  # a mirrored webcam view or a flipped re-upload
        for f, a in itertools.product(fine, aspects):
            fx, fy = f * math.exp(a / 2), f * math.exp(-a / 2)
            h, w = round(total.shape[0] * fy), round(total.shape[1] * fx)
            if min(h, w) < TILE:
                continue
            r = cv2.resize(total, (w, h), interpolation=cv2.INTER_LINEAR)
            tile = fold(r)
            spec = equalise(np.fft.rfft2(tile))
            corr = np.fft.irfft2(spec * spectra[0], s=tile.shape)
            sd = _robust_std(corr)
            corr -= np.median(corr)
            idx = int(np.argmax(corr))
            dy, dx = divmod(idx, TILE)
            trials += corr.size
            z = float(corr.flat[idx] / sd)
            candidates.append((z, base * float(f), (dy, dx), spec, sd, mirrored, float(a)))
    return candidates, trials


def search(acc: Accumulator, thorough: bool = False) -> Detection:
    """Scale x shift search over the accumulated residual; decode the best candidates. With
    `thorough`, an input where nothing was found is searched again over aspect-ratio changes of
    up to +-ASPECT_SPAN (a crop of one side stretched back): about 25 times slower."""
    if acc.frames == 0 or acc.shape is None:
        raise ValueError("no frames to check")
    candidates, trials = _scan(acc, np.zeros(1))
    result = _decide(candidates, trials, acc.frames)
    if thorough and not result.found:
        steps = np.arange(-ASPECT_SPAN, ASPECT_SPAN + 1e-9, SCALE_STEP)
        more, more_trials = _scan(acc, steps[np.abs(steps) > 1e-9])
        result = _decide(candidates + more, trials + more_trials, acc.frames)
    return result


def _decide(candidates: list[tuple], trials: int, frames: int) -> Detection:
    candidates.sort(key=lambda c: -c[0])
    best_z = candidates[0][0]
    p_sync = min(1.0, trials * _norm_sf(best_z))
    result = Detection(
        found=False,
        confidence=0.0,
        identifier=None,
        frames_checked=frames,
        sync_z=best_z,
        p_false=p_sync,
        scale=candidates[0][1],
        shift=candidates[0][2],
        mirrored=candidates[0][5],
        aspect=math.exp(candidates[0][6]),
    )
    attempts = 0
    for z, scale, (dy, dx), spec, sd, mirrored, aspect in candidates[:TOP_CANDIDATES]:
        soft = _bits_at(spec, dy, dx) / sd
        decoded: Decoded | None = decode(soft)
        attempts += 1
        if decoded is None:
            continue
        # every decoding is a keyed 24-bit check an unmarked frame passes with probability 2**-24
        p_msg = min(1.0, attempts * P_FALSE_PER_DECODE)
        result = Detection(
            found=True,
            confidence=1.0 - p_msg,
            identifier=format_identifier(decoded.tag),
            frames_checked=frames,
            session_tag=decoded.tag,
            sync_z=z,
            p_false=p_msg,
            scale=scale,
            shift=(dy, dx),
            bits_corrected=decoded.flipped,
            mirrored=mirrored,
            aspect=math.exp(aspect),
            bit_margin=float(np.median(np.abs(soft))),
        )
        return result
    result.bit_margin = float(
        np.median(np.abs(_bits_at(candidates[0][3], *candidates[0][2]) / candidates[0][4]))
    )
    if best_z >= SYNC_ALONE_Z:
        result.found = True
        result.notes.append(
            "sync pattern found but the identifier could not be read (confidence assumes Gaussian noise)"
        )
    result.confidence = 1.0 - p_sync if result.found else 0.0
    return result


def _bits_at(spec: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Correlation of every bit pattern with the folded tile at shift (dy, dx)."""
    spectra = pattern_spectra()[1 : 1 + N_BITS]
    # correlation at one shift = sum over frequencies of spec * conj(P) * phase, i.e. one
    # inverse-DFT coefficient; computing it directly avoids 64 full inverse FFTs
    ky = np.fft.fftfreq(TILE)[:, None]
    kx = np.fft.rfftfreq(TILE)[None, :]
    phase = np.exp(2j * np.pi * (ky * dy + kx * dx))
    weights = np.full(kx.shape[1], 2.0)
    weights[0] = 1.0
    weights[-1] = 1.0  # rfft columns 0 and N/2 appear once in the full spectrum
    prod = spec[None] * spectra * phase[None] * weights[None, None, :]
    return prod.real.sum(axis=(1, 2)) / (TILE * TILE)
