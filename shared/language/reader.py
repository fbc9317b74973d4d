"""The reader's learned models, built from the corpora and cached on disk by their hash."""

from __future__ import annotations

import os
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sklearn

from shared.language import corpus
from shared.language.model import Features, MultiLabelClassifier, TextClassifier
from shared.language.wishes import message_cues

MODEL_VERSION = "reader-38"  # bump when features or models change: the cache key includes it
# The problem type's SVM is fitted a little less regularised than the default 0.5: with each
# writer held out in turn on the train split, C=1 read 0.2 points more problems (silently
# misread 89 against 99); for the wish 0.5 stays best.
PROBLEM_C = 1.0
_lock = threading.Lock()
_loaded: dict[str, Reader] = {}


@dataclass
class Reader:
    """The five classifiers the fleet reads language with."""

    problem: TextClassifier
    outcome: TextClassifier
    acts: MultiLabelClassifier
    offer_type: TextClassifier
    # whether an offer's item goes back (`yes`, `no`, `unsaid`), fitted on the offers alone
    returns: TextClassifier
    fingerprint: str

    @classmethod
    def train(
        cls,
        customer: list[dict[str, Any]],
        cs: list[dict[str, Any]],
        fingerprint: str = "",
    ) -> Reader:
        """Fit every model on these records (their train split is the caller's choice)."""
        texts = [r["text"] for r in customer]
        cs_texts = [r["text"] for r in cs]
        words, cs_words = Features(texts, cues=message_cues), Features(cs_texts)
        # each corpus's feature matrix once, for every model fitted on it
        rows, cs_rows = words.matrix(texts), cs_words.matrix(cs_texts)
        offers = [i for i, r in enumerate(cs) if isinstance(r.get("offer"), dict)]
        return cls(
            problem=TextClassifier.train(
                words, texts, [r["problem_type"] for r in customer], c=PROBLEM_C, rows=rows
            ),
            outcome=TextClassifier.train(
                words, texts, [r["desired_outcome"] for r in customer], rows=rows
            ),
            acts=MultiLabelClassifier.train(
                cs_words, cs_texts, [r["acts"] for r in cs], rows=cs_rows
            ),
            offer_type=TextClassifier.train(
                cs_words, cs_texts, [_offer_label(r) for r in cs], rows=cs_rows
            ),
            returns=TextClassifier.train(
                cs_words,
                [cs_texts[i] for i in offers],
                [_return_label(cs[i]["offer"]) for i in offers],
                rows=cs_rows[offers],
            ),
            fingerprint=fingerprint,
        )


def _offer_label(record: dict[str, Any]) -> str:
    offer = record.get("offer")
    return str(offer["type"]) if isinstance(offer, dict) and offer.get("type") else "none"


def _return_label(offer: dict[str, Any]) -> str:
    said = offer.get("return_required")
    return "yes" if said is True else "no" if said is False else "unsaid"


def training_records(
    split: str = "train",
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(customer, cs) records of a split: `train`, `test` or `all`."""
    customer, cs = corpus.load(corpus.CUSTOMER_DIR), corpus.load(corpus.CS_DIR)
    if split == "all":
        return customer, cs
    index = 0 if split == "train" else 1
    return corpus.split(customer)[index], corpus.split(cs)[index]


def corpus_fingerprint() -> str:
    """The key of the models built from today's corpora and code."""
    salt = f"{MODEL_VERSION}|sklearn {sklearn.__version__}"
    return corpus.fingerprint(corpus.CUSTOMER_DIR, corpus.CS_DIR, salt=salt)


def default_cache_dir() -> Path:
    """Where built models are kept: `$CSN_MODEL_DIR`, else `var/models` of the checkout."""
    configured = os.environ.get("CSN_MODEL_DIR")
    return (
        Path(configured) if configured else Path(__file__).resolve().parents[2] / "var" / "models"
    )


def load_reader(cache_dir: Path | None = None) -> Reader:
    """The reader trained on the train split, built once per corpus hash and cached."""
    key = corpus_fingerprint()
    with _lock:
        if key in _loaded:
            return _loaded[key]
        folder = cache_dir or default_cache_dir()
        path = folder / f"{key}.pickle"
        reader = _read_cache(path, key)
        if reader is None:
            customer, cs = training_records("train")
            reader = Reader.train(customer, cs, fingerprint=key)
            _write_cache(path, reader)
        _loaded[key] = reader
        return reader


def _read_cache(path: Path, key: str) -> Reader | None:
    try:
        with path.open("rb") as handle:
            reader = pickle.load(handle)  # noqa: S301 - our own file, named by its content hash
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return reader if isinstance(reader, Reader) and reader.fingerprint == key else None


def _write_cache(path: Path, reader: Reader) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(reader, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass  # a read-only disk only costs a rebuild next start
