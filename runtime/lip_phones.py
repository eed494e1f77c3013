"""Phone tables shared by the lip model's training data and the lip-sync benchmark: which Oculus
viseme a phone shows, how open the mouth is on it, and the phone classes the scores use.

Phones come from festival (ARPAbet-like for English voices, SAMPA-like for Italian) and from
espeak-ng phoneme mnemonics; unknown phones fall back on their first letter.
"""

from __future__ import annotations

# phone -> (viseme, openness 0..1)
_TABLE: dict[str, tuple[str, float]] = {
    # silence
    "pau": ("sil", 0.0),
    "#": ("sil", 0.0),
    "h#": ("sil", 0.0),
    "_": ("sil", 0.0),
    # bilabials, labiodentals, dentals
    "p": ("PP", 0.0),
    "b": ("PP", 0.0),
    "m": ("PP", 0.0),
    "f": ("FF", 0.1),
    "v": ("FF", 0.1),
    "th": ("TH", 0.2),
    "dh": ("TH", 0.2),
    "T": ("TH", 0.2),
    "D": ("TH", 0.2),
    # alveolars, velars, postalveolars
    "t": ("DD", 0.2),
    "d": ("DD", 0.2),
    "k": ("kk", 0.3),
    "g": ("kk", 0.3),
    "ng": ("kk", 0.3),
    "N": ("kk", 0.3),
    "x": ("kk", 0.3),
    "ch": ("CH", 0.15),
    "jh": ("CH", 0.15),
    "sh": ("CH", 0.2),
    "zh": ("CH", 0.2),
    "S": ("CH", 0.2),
    "Z": ("CH", 0.2),
    "tS": ("CH", 0.15),
    "dZ": ("CH", 0.15),
    "s": ("SS", 0.1),
    "z": ("SS", 0.1),
    "ts": ("SS", 0.15),
    "dz": ("SS", 0.15),
    "n": ("nn", 0.2),
    "l": ("nn", 0.3),
    "J": ("nn", 0.2),
    "L": ("nn", 0.25),
    "r": ("RR", 0.25),
    "er": ("RR", 0.35),
    "axr": ("RR", 0.35),
    "R": ("RR", 0.25),
    "hh": ("aa", 0.45),
    "h": ("aa", 0.45),
    "y": ("ih", 0.2),
    "j": ("ih", 0.2),
    "w": ("ou", 0.15),
    # vowels
    "aa": ("aa", 1.0),
    "ae": ("aa", 0.9),
    "ah": ("aa", 0.7),
    "ao": ("oh", 0.85),
    "aw": ("aa", 0.9),
    "ay": ("aa", 0.85),
    "ax": ("aa", 0.45),
    "a": ("aa", 1.0),
    "eh": ("E", 0.6),
    "ey": ("E", 0.5),
    "e": ("E", 0.55),
    "E": ("E", 0.7),
    "ih": ("ih", 0.35),
    "iy": ("ih", 0.2),
    "i": ("ih", 0.25),
    "I": ("ih", 0.35),
    "ow": ("oh", 0.55),
    "oy": ("oh", 0.6),
    "o": ("oh", 0.6),
    "O": ("oh", 0.8),
    "uh": ("ou", 0.35),
    "uw": ("ou", 0.25),
    "u": ("ou", 0.25),
    "U": ("ou", 0.35),
    "@": ("aa", 0.45),
    "3": ("RR", 0.4),
    "V": ("aa", 0.7),
    "A": ("aa", 1.0),
    "0": ("oh", 0.8),  # espeak: the vowel of "Bob"
    "Q": ("oh", 0.8),
    "W": ("oh", 0.5),
}

BILABIAL = frozenset({"p", "b", "m"})
OPEN_VOWELS = frozenset({"aa", "ae", "ao", "aw", "ay", "a", "A"})
ROUNDED = frozenset({"uw", "ow", "uh", "w", "u", "o", "O", "U", "0"})
SPREAD = frozenset({"iy", "ih", "ey", "eh", "ae", "i", "e", "E", "I"})
SILENCE = frozenset({"pau", "#", "h#", "_", "sil"})


def normalise(phone: str) -> str:
    """Strip festival's stress digits and espeak's length/stress marks: 'a1' -> 'a', "a:" -> 'a'."""
    p = phone.strip().rstrip("0123456789").replace(":", "").replace("'", "").replace(",", "")
    return p or "pau"


def base(phone: str) -> str:
    """The table entry a phone falls under: itself, its lower case, or its first letter
    (espeak diphthongs such as 'aI' count as their first vowel)."""
    p = normalise(phone)
    for q in (p, p.lower(), p[0]):
        if q in _TABLE:
            return q
    return p


def lookup(phone: str) -> tuple[str, float]:
    return _TABLE.get(base(phone), ("DD", 0.25))


def viseme_of(phone: str) -> str:
    return lookup(phone)[0]


def openness_of(phone: str) -> float:
    return lookup(phone)[1]
