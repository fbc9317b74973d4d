"""Learned text classifiers: word and character n-grams with a logistic regression.

Deterministic (fixed seeds, a fixed solver), trained from the corpora in a second or two
and cached on disk by the corpus's hash. Probabilities are calibrated by cross-validated
sigmoid scaling (scikit-learn's CalibratedClassifierCV), so a 0.9 means about nine in ten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from shared.language.entities import find_order_ids
from shared.language.normalize import normalize

SEED = 7
_MONEY = re.compile(r"(?:us\$|\$|€|£)\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars?|bucks|usd)\b", re.I)
_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?%")
_DIGITS = re.compile(r"\d")


def features_text(text: str) -> str:
    """What the models see: normalized, lower-case, ids and amounts as placeholders."""
    text = normalize(text)
    for start, end in reversed(find_order_ids(text).spans):
        text = text[:start] + " ordernumber " + text[end:]
    text = _MONEY.sub(" moneyamount ", text)
    text = _PERCENT.sub(" percentshare ", text)
    return _DIGITS.sub("0", text.lower())


def _vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    preprocessor=features_text,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    min_df=1,
                    token_pattern=r"(?u)\b\w[\w']*\b",  # noqa: S106 - a regex, not a secret
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=features_text,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2,
                ),
            ),
        ]
    )


def _linear(c: float, binary: bool = False) -> LogisticRegression:
    solver = "liblinear" if binary else "lbfgs"
    return LogisticRegression(C=c, max_iter=3000, solver=solver, random_state=SEED)


@dataclass
class Ranked:
    """Labels with their probabilities, likeliest first."""

    labels: list[tuple[str, float]]

    @property
    def best(self) -> str:
        return self.labels[0][0]

    @property
    def confidence(self) -> float:
        return self.labels[0][1]


class TextClassifier:
    """One label per text, with calibrated probabilities."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], c: float = 10.0) -> TextClassifier:
        """Fit on labelled texts (deterministic)."""
        calibrated = CalibratedClassifierCV(_linear(c), method="sigmoid", cv=5)
        pipeline = Pipeline([("features", _vectorizer()), ("model", calibrated)])
        pipeline.fit(list(texts), list(labels))
        return cls(pipeline)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self._pipeline.classes_]

    def rank(self, text: str) -> Ranked:
        """Every label with its probability, likeliest first."""
        probabilities = self._pipeline.predict_proba([text])[0]
        pairs = sorted(zip(self.classes, probabilities, strict=True), key=lambda p: -p[1])
        return Ranked([(label, round(float(p), 4)) for label, p in pairs])


class MultiLabelClassifier:
    """Any number of labels per text (one-vs-rest), each with its probability."""

    def __init__(self, pipeline: Pipeline, binarizer: MultiLabelBinarizer) -> None:
        self._pipeline = pipeline
        self._binarizer = binarizer

    @classmethod
    def train(
        cls, texts: Sequence[str], labels: Sequence[Sequence[str]], c: float = 10.0
    ) -> MultiLabelClassifier:
        """Fit on texts with label sets (deterministic)."""
        binarizer = MultiLabelBinarizer()
        matrix = binarizer.fit_transform([list(set(x)) for x in labels])
        pipeline = Pipeline([("features", _vectorizer()), ("model", OneVsRestClassifier(_linear(c, binary=True)))])
        pipeline.fit(list(texts), matrix)
        return cls(pipeline, binarizer)

    def probabilities(self, text: str) -> dict[str, float]:
        """Each label's probability."""
        row = self._pipeline.predict_proba([text])[0]
        return {str(label): round(float(p), 4) for label, p in zip(self._binarizer.classes_, row, strict=True)}

    def predict(self, text: str, threshold: float = 0.5) -> list[str]:
        """The labels above the threshold (at least the likeliest one)."""
        probs = self.probabilities(text)
        chosen = [label for label, p in probs.items() if p >= threshold]
        return chosen or [max(probs, key=lambda k: probs[k])]
