"""Learned text classifiers: word and character n-grams with a linear model.

Deterministic (fixed seeds, a fixed solver), trained from the corpora in seconds and cached
on disk by the corpus's hash. Probabilities are calibrated by cross-validated sigmoid
scaling (scikit-learn's CalibratedClassifierCV), so a 0.9 means about nine in ten. The
classifiers of one kind of text share one feature extractor, run once per text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from shared.language.entities import find_order_ids, mask_amounts, with_signs
from shared.language.glosses import with_glosses
from shared.language.normalize import normalize

SEED = 7
CALIBRATION_FOLDS = 3
_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?%")
_DIGITS = re.compile(r"\d")
# Money paid back to a credit card is no store credit: the card is only where it goes.
_CREDIT_CARD = re.compile(r"\bcredit card", re.I)
# Between a text and its cue words (see `Features`): the character n-grams stop here.
CUE_MARK = "\x1f"


def features_text(text: str) -> str:
    """What the models see: normalized, lower-case, ids and amounts as placeholders, and the
    English of words mixed in from other languages (`glosses`)."""
    text = normalize(text)
    for start, end in reversed(find_order_ids(text).spans):
        text = text[:start] + " ordernumber " + text[end:]
    text = mask_amounts(with_signs(text), " moneyamount ")
    text = _PERCENT.sub(" percentshare ", text)
    text = _CREDIT_CARD.sub("card", text)
    return with_glosses(_DIGITS.sub("0", text.lower()).replace(CUE_MARK, " "))


_WORD = re.compile(r"[a-z]+")
# Typos read as the word they miss by one letter ("fualty", "defectve", "refuund"): only
# words of this many letters or more, never seen in training themselves, and only words
# the training texts use this often
SPELLING_MIN_LETTERS = 5
SPELLING_MIN_COUNT = 3


class Spelling:
    """The training texts' words, and typos of them read as them: a letter left out, one
    doubled or stray, or two swapped ("fualty" -> "faulty"). A word seen in training is kept
    as it is, however rare; the likeliest word is the one the texts use most."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts = Counter(word for text in texts for word in _WORD.findall(text))
        self._seen = frozenset(counts)
        self._counts = {w: n for w, n in counts.items() if n >= SPELLING_MIN_COUNT}
        # each known word under each of its one-letter-short forms ("faulty" -> "fauly")
        self._short: dict[str, str] = {}
        for word, count in self._counts.items():
            for short in _one_letter_less(word):
                best = self._short.get(short)
                if best is None or self._counts[best] < count:
                    self._short[short] = word

    def correct(self, text: str) -> str:
        """The text with typos of known words read as those words."""
        return _WORD.sub(lambda m: self._word(m.group()), text)

    def _word(self, word: str) -> str:
        if len(word) < SPELLING_MIN_LETTERS or word in self._seen:
            return word
        swapped = (word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1))
        candidates = [w for w in (*_one_letter_less(word), *swapped) if w in self._counts]
        missing = self._short.get(word)  # a letter left out: "defectve"
        if missing is not None:
            candidates.append(missing)
        # the most used; between words used as often, the first in alphabetical order (the
        # candidates come from sets, whose order differs between processes)
        return max(candidates, key=lambda w: (self._counts[w], [-ord(c) for c in w]), default=word)


def _one_letter_less(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _before_cues(seen: str) -> str:
    """The text without its cue words: what the character n-grams see."""
    return seen.split(CUE_MARK, 1)[0]


# What the models see of a message (ids, amounts and digits made placeholders) repeats
# across cases far more than its words do: the features of this many are kept.
FEATURES_KEPT = 4096


class Features:
    """Word (1-2) and character (2-5) n-gram TF-IDF of a text; recent texts are remembered.

    `cues`, when given, names what rules found in a text (e.g. `wishes.message_cues`): its cue
    words join the word n-grams only, so a cue weighs as one word and never leaks character
    n-grams into the text's own.
    """

    def __init__(
        self, texts: Sequence[str], cues: Callable[[str], list[str]] | None = None
    ) -> None:
        self._cues = cues
        plain = [features_text(t) for t in texts]
        self._spelling = Spelling(plain)
        words = TfidfVectorizer(
            lowercase=False,
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w[\w']*\b",  # noqa: S106 - a regex, not a secret
        )
        chars = TfidfVectorizer(
            lowercase=False,
            preprocessor=_before_cues,
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=2,
        )
        self._union = FeatureUnion([("words", words), ("chars", chars)])
        self._union.fit([self._with_cues(p, t) for p, t in zip(plain, texts, strict=True)])
        self._last: tuple[str | None, Any] = (None, None)
        self._kept: dict[str, Any] = {}

    @property
    def sizes(self) -> list[int]:
        """The number of features of each part (words, then characters)."""
        return [len(v.vocabulary_) for _, v in self._union.transformer_list]

    def matrix(self, texts: Sequence[str]) -> Any:
        """The feature matrix of many texts."""
        return self._union.transform([self._seen(t) for t in texts])

    def _seen(self, text: str) -> str:
        """What the vectorizers see of a text: its placeholders, then any cue words."""
        return self._with_cues(features_text(text), text)

    def _with_cues(self, plain: str, text: str) -> str:
        """`features_text(text)` with its typos read, then the text's cue words."""
        spelling = self.__dict__.get("_spelling")  # (a reader pickled before it)
        seen = spelling.correct(plain) if spelling is not None else plain
        cues = self.__dict__.get("_cues")  # (a reader pickled before cues)
        return f"{seen}{CUE_MARK}{' '.join(cues(text))}" if cues is not None else seen

    def of(self, text: str) -> Any:
        """One text's features (the classifiers of a text ask for them in turn).

        The union's parts are called directly: the union's own transform goes through joblib
        and input validation, which cost more than the n-grams of one short text.
        """
        last_text, last = self._last
        if text != last_text:
            seen = self._seen(text)
            kept = self.__dict__.setdefault("_kept", {})  # (a reader pickled before it)
            last = kept.get(seen)
            if last is None:
                parts = self._union.transformer_list
                last = [_tfidf_of_one(vectorizer, seen) for _, vectorizer in parts]
                if len(kept) >= FEATURES_KEPT:
                    kept.pop(next(iter(kept)), None)  # the oldest
                kept[seen] = last
            self._last = (text, last)
        return last

    def scores(self, text: str, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """A linear model's scores for one text (its weights split by feature part)."""
        total = intercept.copy()
        start = 0
        for (columns, weights), size in zip(self.of(text), self.sizes, strict=True):
            total += weights @ coef[start + columns]
            start += size
        return total

    def __getstate__(self) -> dict[str, Any]:
        return {
            "_union": self._union,
            "_cues": self.__dict__.get("_cues"),
            "_spelling": self.__dict__.get("_spelling"),
            "_last": (None, None),
            "_kept": {},
        }


def _tfidf_of_one(vectorizer: TfidfVectorizer, seen: str) -> tuple[np.ndarray, np.ndarray]:
    """One text's TF-IDF row as (columns, weights): what `vectorizer.transform([seen])`
    computes (its analyzer and vocabulary, sublinear tf, idf, l2 norm), without the input
    checks and sparse-matrix building that cost ten times the arithmetic for one text."""
    assert vectorizer.norm == "l2" and not vectorizer.binary, "the vectorizers Features builds"
    vocabulary = vectorizer.vocabulary_
    counts: dict[int, int] = {}
    for term in vectorizer.build_analyzer()(seen):
        column = vocabulary.get(term)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
    weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    if vectorizer.sublinear_tf:
        weights = np.log(weights) + 1.0
    if vectorizer.use_idf:
        weights = weights * vectorizer.idf_[columns]
    norm = float(np.sqrt(weights @ weights))
    return columns, weights / norm if norm else weights


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
        calibrated = model.calibrated_classifiers_[0]
        svm = calibrated.estimator
        self._coef = np.asarray(svm.coef_, dtype=np.float64).T  # features x classes
        self._intercept = np.asarray(svm.intercept_, dtype=np.float64)
        self._a = np.array([c.a_ for c in calibrated.calibrators], dtype=np.float64)
        self._b = np.array([c.b_ for c in calibrated.calibrators], dtype=np.float64)
        assert self._coef.shape[1] == len(self._a) > 2, "multi-class models only"

    @classmethod
    def train(
        cls,
        features: Features,
        texts: Sequence[str],
        labels: Sequence[str],
        c: float = 0.5,
        rows: Any = None,
    ) -> TextClassifier:
        """Fit on labelled texts (deterministic); `rows`, the texts' feature matrix when the
        caller has it already (several models fitted on one corpus)."""
        svm = LinearSVC(C=c, random_state=SEED, max_iter=5000)
        model = CalibratedClassifierCV(svm, method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False)
        model.fit(features.matrix(texts) if rows is None else rows, list(labels))
        return cls(features, model)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self._model.classes_]

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probabilities per class: the SVM's scores through each class's sigmoid,
        normalised (what scikit-learn's predict_proba computes, without its per-call checks)."""
        scores = self._features.scores(text, self._coef, self._intercept)
        calibrated = expit(-(self._a * scores + self._b))
        total = calibrated.sum()
        return calibrated / total if total > 0 else np.full_like(calibrated, 1 / len(calibrated))

    def rank(self, text: str) -> Ranked:
        """Every label with its probability, likeliest first."""
        probabilities = self.probabilities(text)
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
        estimators = model.estimators_
        self._coef = np.vstack([np.asarray(e.coef_, dtype=np.float64) for e in estimators]).T
        self._intercept = np.array([float(e.intercept_[0]) for e in estimators])

    @classmethod
    def train(
        cls,
        features: Features,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        c: float = 10.0,
        rows: Any = None,
    ) -> MultiLabelClassifier:
        """Fit on texts with label sets (deterministic); `rows` as for `TextClassifier`."""
        binarizer = MultiLabelBinarizer()
        matrix = binarizer.fit_transform([sorted(set(x)) for x in labels])
        model = OneVsRestClassifier(_linear(c))
        model.fit(features.matrix(texts) if rows is None else rows, matrix)
        return cls(features, model, binarizer)

    def probabilities(self, text: str) -> dict[str, float]:
        """Each label's probability."""
        row = expit(self._features.scores(text, self._coef, self._intercept))
        return {
            str(label): round(float(p), 4)
            for label, p in zip(self._binarizer.classes_, row, strict=True)
        }
