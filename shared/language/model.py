"""Learned text classifiers: word and character n-grams with a linear model.

Deterministic (fixed seeds, a fixed solver), trained from the corpora in seconds and cached
on disk by the corpus's hash. Probabilities are calibrated by cross-validated sigmoid
scaling (scikit-learn's CalibratedClassifierCV), so a 0.9 means about nine in ten. The
classifiers of one kind of text share one feature extractor, run once per text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import MultiLabelBinarizer

from shared.language.entities import find_order_ids
from shared.language.normalize import normalize

SEED = 7
CALIBRATION_FOLDS = 3
_MONEY = re.compile(
    r"(?:us\$|\$|€|£)\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars?|bucks|usd)\b", re.I
)
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


class Features:
    """Word (1-2) and character (2-5) n-gram TF-IDF of a text; the last text is remembered."""

    def __init__(self, texts: Sequence[str]) -> None:
        words = TfidfVectorizer(
            preprocessor=features_text,
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w[\w']*\b",  # noqa: S106 - a regex, not a secret
        )
        chars = TfidfVectorizer(
            preprocessor=features_text,
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=2,
        )
        self._union = FeatureUnion([("words", words), ("chars", chars)])
        self._union.fit(list(texts))
        self._last: tuple[str | None, Any] = (None, None)

    def matrix(self, texts: Sequence[str]) -> Any:
        """The feature matrix of many texts."""
        return self._union.transform(list(texts))

    def of(self, text: str) -> Any:
        """One text's features (the classifiers of a text ask for them in turn)."""
        last_text, last = self._last
        if text != last_text:
            last = self._union.transform([text])
            self._last = (text, last)
        return last

    def __getstate__(self) -> dict[str, Any]:
        return {"_union": self._union, "_last": (None, None)}


def _linear(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, solver="liblinear", random_state=SEED)


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

    def __init__(self, features: Features, model: CalibratedClassifierCV) -> None:
        self._features = features
        self._model = model

    @classmethod
    def train(
        cls, features: Features, texts: Sequence[str], labels: Sequence[str], c: float = 0.5
    ) -> TextClassifier:
        """Fit on labelled texts (deterministic)."""
        svm = LinearSVC(C=c, random_state=SEED, max_iter=5000)
        model = CalibratedClassifierCV(svm, method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False)
        model.fit(features.matrix(texts), list(labels))
        return cls(features, model)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self._model.classes_]

    def rank(self, text: str) -> Ranked:
        """Every label with its probability, likeliest first."""
        probabilities = self._model.predict_proba(self._features.of(text))[0]
        pairs = sorted(zip(self.classes, probabilities, strict=True), key=lambda p: -p[1])
        return Ranked([(label, round(float(p), 4)) for label, p in pairs])


class MultiLabelClassifier:
    """Any number of labels per text (one-vs-rest), each with its probability."""

    def __init__(
        self, features: Features, model: OneVsRestClassifier, binarizer: MultiLabelBinarizer
    ) -> None:
        self._features = features
        self._model = model
        self._binarizer = binarizer

    @classmethod
    def train(
        cls,
        features: Features,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        c: float = 10.0,
    ) -> MultiLabelClassifier:
        """Fit on texts with label sets (deterministic)."""
        binarizer = MultiLabelBinarizer()
        matrix = binarizer.fit_transform([sorted(set(x)) for x in labels])
        model = OneVsRestClassifier(_linear(c))
        model.fit(features.matrix(texts), matrix)
        return cls(features, model, binarizer)

    def probabilities(self, text: str) -> dict[str, float]:
        """Each label's probability."""
        row = self._model.predict_proba(self._features.of(text))[0]
        return {
            str(label): round(float(p), 4)
            for label, p in zip(self._binarizer.classes_, row, strict=True)
        }
