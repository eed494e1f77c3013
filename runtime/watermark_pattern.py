"""The watermark's building blocks: a periodic tile of band-limited noise.

The mark is one 128x128 tile (at the 512-pixel working scale) repeated over the frame. The tile is a
sum of 65 mutually orthogonal noise patterns: one synchronisation pattern that never changes, and 64
bit patterns, each added with the sign of one message bit. Why this shape:

- Periodic: a crop only shifts the tile's phase, which the detector recovers with one FFT
  cross-correlation per candidate scale; every full tile in the frame adds evidence.
- Band-limited to wavelengths of about 5-43 pixels: long enough to survive H.264 at streaming
  bitrates and a 360p round trip, short enough not to read as blotches, and above the band where
  natural images have most of their energy (so content interferes less).
- Orthogonal: the bits do not leak into each other or into the synchronisation score.

The patterns depend only on a fixed key, never on the session: the detector needs no secret beyond
this module. (That also means anyone with this code can subtract the pattern: see docs/watermark.md.)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .watermark_payload import N_BITS

TILE = 128  # tile period in pixels at the working scale
WORK = 512  # working scale: the frame size at which the tile period is TILE
BAND = (3.0, 24.0)  # radial frequency band in cycles per tile (wavelengths 43 to 5.3 px at WORK)
SYNC_SHARE = 0.2  # share of the mark's energy spent on the synchronisation pattern
_SEED = 0xFACECA57


@lru_cache(maxsize=1)
def base_patterns() -> np.ndarray:
    """(1 + N_BITS, TILE, TILE) float32: row 0 is the sync pattern, rows 1.. the bit patterns.
    Each has zero mean and unit RMS, and all are mutually orthogonal. Made once per version of the
    code and kept in the cache folder: making them takes 0.24 s (mostly the QR), which every
    `facecast render` process paid before its first frame."""
    from .disk_cache import code_digest, derived_cache_dir, read_npz, write_npz

    path = derived_cache_dir("watermark") / f"patterns-{code_digest()}.npz"
    stored = read_npz(path, "watermark pattern cache")
    if stored is not None and stored.get("patterns", np.zeros(0)).shape == (1 + N_BITS, TILE, TILE):
        return stored["patterns"].astype(np.float32, copy=False)
    patterns = _make_patterns()
    write_npz(path, {"patterns": patterns}, "watermark pattern cache", replaces="patterns-*.npz")
    return patterns


def _make_patterns() -> np.ndarray:
    rng = np.random.default_rng(_SEED)
    fy = np.fft.fftfreq(TILE) * TILE
    fx = np.fft.rfftfreq(TILE) * TILE
    radius = np.hypot(fy[:, None], fx[None, :])
    band = (radius >= BAND[0]) & (radius <= BAND[1])
    # the sync pattern owns a random share of the band's frequencies and the bits the rest: disjoint
    # spectra are orthogonal at every shift, so the bits add no side lobes to the sync search
    sync_bins = band & (rng.random(radius.shape) < SYNC_SHARE)
    n = 1 + N_BITS
    noise = rng.standard_normal((n, *radius.shape)) + 1j * rng.standard_normal((n, *radius.shape))
    spectra = noise * (band & ~sync_bins)
    spectra[0] = np.exp(2j * np.pi * rng.random(radius.shape)) * sync_bins  # flat: sharp peak
    tiles = np.fft.irfft2(spectra, s=(TILE, TILE), axes=(1, 2)).reshape(n, -1)
    q, _ = np.linalg.qr(tiles.T)  # orthonormal columns, still inside their bands
    q = q.T * np.sqrt(TILE * TILE)  # unit RMS per pattern
    q -= q.mean(axis=1, keepdims=True)
    return q.reshape(n, TILE, TILE).astype(np.float32)


def message_tile(signs: np.ndarray) -> np.ndarray:
    """The tile carrying a message (N_BITS signs of +-1), unit RMS overall."""
    pats = base_patterns()
    bit_weight = np.sqrt((1.0 - SYNC_SHARE) / N_BITS)
    tile = np.sqrt(SYNC_SHARE) * pats[0] + bit_weight * np.tensordot(signs, pats[1:], axes=1)
    return (tile / tile.std()).astype(np.float32)


@lru_cache(maxsize=1)
def pattern_spectra() -> np.ndarray:
    """Complex conjugate rFFT of every base pattern, for FFT cross-correlation in the detector."""
    return np.conj(np.fft.rfft2(base_patterns(), axes=(1, 2)))


@lru_cache(maxsize=1)
def radial_bins() -> np.ndarray:
    """Integer radial frequency of every rFFT bin of a tile (for per-ring noise estimates)."""
    fy = np.fft.fftfreq(TILE) * TILE
    fx = np.fft.rfftfreq(TILE) * TILE
    return np.rint(np.hypot(fy[:, None], fx[None, :])).astype(np.int64)
