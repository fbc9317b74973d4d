"""The reader of customer messages as a learned component (STYLE habit 14): its labelled
corpus, a fixed train/test split, a deterministic build cached by the corpus's hash,
calibrated confidence, and the choices it offers when unsure.

Calibration is judged by cross-validation inside the train split. Nothing here scores or
tunes anything on the test split (`csn eval-reader` reports on it); the outside evaluation
sets are never opened.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from statistics import mean
from typing import Any

import numpy as np
import pytest

from shared.domain import DesiredOutcome, ProblemType
from shared.language import corpus
from shared.language import reader as reader_module
from shared.language.customer import (
    ASK_BELOW_OUTCOME,
    ASK_BELOW_PROBLEM,
    Choice,
    CustomerReading,
    read_customer_message,
)
from shared.language.glosses import with_glosses
from shared.language.model import Features, Spelling, TextClassifier
from shared.language.reader import Reader, corpus_fingerprint, load_reader, training_records

LABELS_GUIDE = corpus.DATA_DIR / "LABELS.md"
FOLDS = 3


def _key(text: str) -> str:
    """A text as its words: copies that differ only in case, spaces or punctuation meet."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _documented(section: str) -> set[str]:
    """The labels the labelling guide's table under `section` lists."""
    guide = LABELS_GUIDE.read_text(encoding="utf-8")
    table = guide.split(section, 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE))


# ---------------------------------------------------------------- the corpus


@pytest.fixture(scope="module")
def customer() -> list[dict[str, Any]]:
    return corpus.load(corpus.CUSTOMER_DIR)


def test_the_customer_corpus_loads_with_valid_labels(customer) -> None:
    assert len(customer) >= 1500
    assert len({r["writer"] for r in customer}) >= 3
    assert all(r["text"].strip() for r in customer)
    assert {r["problem_type"] for r in customer} == {p.value for p in ProblemType}
    assert {r["desired_outcome"] for r in customer} == {o.value for o in DesiredOutcome}


def test_the_labels_are_the_documented_ones() -> None:
    assert _documented("`problem_type` is the main problem") == {p.value for p in ProblemType}
    assert _documented("`desired_outcome`:") == {o.value for o in DesiredOutcome}


def test_the_cs_corpus_loads() -> None:
    assert len(corpus.load(corpus.CS_DIR)) >= 600


def test_a_malformed_line_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "writer_x.jsonl").write_text('{"text": "fine"}\n{"text": \n')
    with pytest.raises(corpus.CorpusError, match="writer_x.jsonl:2"):
        corpus.load(tmp_path)
    (tmp_path / "writer_x.jsonl").write_text('{"problem_type": "other"}\n')
    with pytest.raises(corpus.CorpusError, match="needs a text"):
        corpus.load(tmp_path)


# ---------------------------------------------------------------- the fixed split


@pytest.mark.parametrize("folder", [corpus.CUSTOMER_DIR, corpus.CS_DIR], ids=["customer", "cs"])
def test_the_split_is_complete_and_disjoint(folder: Path) -> None:
    records = corpus.load(folder)
    train, test = corpus.split(records)
    assert len(train) + len(test) == len(records)
    assert not {_key(r["text"]) for r in train} & {_key(r["text"]) for r in test}
    assert 0.15 <= len(test) / len(records) <= 0.25  # about a fifth


def test_the_split_depends_on_the_text_alone(customer) -> None:
    _, test = corpus.split(customer)
    shuffled = list(customer)
    random.Random(0).shuffle(shuffled)
    grown = shuffled + [{"text": f"a new message number {i}"} for i in range(200)]
    assert {r["text"] for r in corpus.split(shuffled)[1]} == {r["text"] for r in test}
    grown_test = {r["text"] for r in corpus.split(grown)[1]}
    assert grown_test & {r["text"] for r in customer} == {r["text"] for r in test}


def test_a_retyped_copy_lands_on_the_same_side(customer) -> None:
    for record in customer[:200]:
        text = record["text"]
        assert corpus.is_test(f"  {text.upper()} \n") == corpus.is_test(text)


def test_every_label_is_in_both_splits(customer) -> None:
    train, test = corpus.split(customer)
    for field in ("problem_type", "desired_outcome"):
        assert {r[field] for r in train} == {r[field] for r in test}


def test_the_reader_trains_on_the_train_split_only(customer) -> None:
    train_customer, train_cs = training_records("train")
    test_customer, test_cs = training_records("test")
    assert not {r["text"] for r in train_customer} & {r["text"] for r in test_customer}
    assert not {r["text"] for r in train_cs} & {r["text"] for r in test_cs}
    assert len(train_customer) + len(test_customer) == len(customer)


# ---------------------------------------------------------------- a deterministic, cached build


@pytest.fixture(scope="module")
def small() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A fifth of the train split: enough for every class, quick to build."""
    customer_train, cs_train = training_records("train")
    return customer_train[::5], cs_train[::5]


@pytest.fixture
def small_corpus(tmp_path, small, monkeypatch) -> Iterator[Path]:
    """The small corpus as files, standing in for the shipped one; nothing loaded in memory."""
    for name, records in zip(("customer", "cs"), small, strict=True):
        folder = tmp_path / name
        folder.mkdir()
        lines = [json.dumps({k: v for k, v in r.items() if k != "writer"}) for r in records]
        (folder / "writer_s.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(corpus, "CUSTOMER_DIR", tmp_path / "customer")
    monkeypatch.setattr(corpus, "CS_DIR", tmp_path / "cs")
    monkeypatch.setattr(reader_module, "_loaded", {})
    yield tmp_path


def _readings(reader: Reader, texts: list[str]) -> list[Any]:
    return [
        (
            reader.problem.probabilities(t).tolist(),
            reader.outcome.probabilities(t).tolist(),
            reader.acts.probabilities(t),
            reader.offer_type.rank(t).labels,
        )
        for t in texts
    ]


def test_the_build_is_deterministic(small) -> None:
    customer_records, cs_records = small
    first = Reader.train(customer_records, cs_records)
    second = Reader.train(customer_records, cs_records)
    unseen, _ = training_records("train")  # train-split texts the small build did not see
    texts = [r["text"] for r in unseen[1::5][:150]] + ["", "hi", "!!!", "refund " * 50]
    assert _readings(first, texts) == _readings(second, texts)


class Rebuilt(Exception):
    """Reader.train was called: the cache was not used."""


def _refuse_to_train(cls: type[Reader], *args: Any, **kwargs: Any) -> Reader:
    raise Rebuilt


def test_the_cache_is_keyed_by_the_corpus_hash(small_corpus, monkeypatch) -> None:
    cache = small_corpus / "models"
    built = load_reader(cache)
    key = corpus_fingerprint()
    assert built.fingerprint == key
    assert [p.name for p in cache.iterdir()] == [f"{key}.pickle"]
    assert load_reader(cache) is built  # once per process

    monkeypatch.setattr(reader_module, "_loaded", {})  # a new process: the file is read
    monkeypatch.setattr(Reader, "train", classmethod(_refuse_to_train))
    cached = load_reader(cache)
    assert cached is not built and cached.fingerprint == key
    texts = ["the motor only hums", "took the money twice", "I can offer $20 off"]
    assert _readings(cached, texts) == _readings(built, texts)

    customer_file = small_corpus / "customer" / "writer_s.jsonl"
    original = customer_file.read_bytes()
    customer_file.write_bytes(
        original + b'{"text": "one more", "problem_type": "other", '
        b'"desired_outcome": "unspecified"}\n'
    )
    assert corpus_fingerprint() != key
    with pytest.raises(Rebuilt):  # another corpus, another key: built anew
        load_reader(cache)

    customer_file.write_bytes(original)
    assert corpus_fingerprint() == key
    monkeypatch.setattr(reader_module, "MODEL_VERSION", "reader-next")
    assert corpus_fingerprint() != key  # the model code's version is part of the key too


def test_a_cache_file_of_another_corpus_is_not_used(small_corpus, monkeypatch) -> None:
    cache = small_corpus / "models"
    built = load_reader(cache)
    impostor = cache / "0000000000000000.pickle"
    shutil.copy(cache / f"{built.fingerprint}.pickle", impostor)
    monkeypatch.setattr(reader_module, "_loaded", {})
    monkeypatch.setattr(reader_module, "corpus_fingerprint", lambda: "0000000000000000")
    monkeypatch.setattr(Reader, "train", classmethod(_refuse_to_train))
    with pytest.raises(Rebuilt):  # its fingerprint is not the key it is filed under
        load_reader(cache)


# ---------------------------------------------------------------- calibration (train split only)


@pytest.fixture(scope="module")
def cross_validated() -> dict[str, list[tuple[float, bool]]]:
    """(confidence, right) of each train-split message, read by models fitted on the other folds."""
    records, _ = training_records("train")
    results: dict[str, list[tuple[float, bool]]] = {"problem_type": [], "desired_outcome": []}
    for fold in range(FOLDS):
        fit = [r for i, r in enumerate(records) if i % FOLDS != fold]
        held = [r for i, r in enumerate(records) if i % FOLDS == fold]
        texts = [r["text"] for r in fit]
        features = Features(texts)
        for field, pairs in results.items():
            model = TextClassifier.train(features, texts, [r[field] for r in fit])
            for record in held:
                ranked = model.rank(record["text"])
                pairs.append((ranked.confidence, ranked.best == record[field]))
    return results


def _accuracy(pairs: list[tuple[float, bool]]) -> float:
    return mean(right for _, right in pairs)


@pytest.mark.parametrize(
    "field",
    [
        pytest.param(
            "problem_type",
            marks=pytest.mark.xfail(
                reason="under-confident: mean confidence 0.77 vs accuracy 0.88 (3-fold CV on "
                "the train split); reported to shared/language",
                strict=False,
            ),
        ),
        "desired_outcome",
    ],
)
def test_confidence_matches_accuracy(cross_validated, field) -> None:
    pairs = cross_validated[field]
    confidence = mean(c for c, _ in pairs)
    assert abs(confidence - _accuracy(pairs)) <= 0.1


@pytest.mark.parametrize(
    ("field", "ask_below"),
    [("problem_type", ASK_BELOW_PROBLEM), ("desired_outcome", ASK_BELOW_OUTCOME)],
)
def test_confidence_never_overstates(cross_validated, field, ask_below) -> None:
    """Over-confidence is the dangerous side: a wrong reading taken without asking. So every
    band of confidences a reading is taken at must be as right as it says; below the asking
    threshold the customer picks among the likeliest readings, and only the mean counts."""
    pairs = cross_validated[field]
    assert mean(c for c, _ in pairs) <= _accuracy(pairs) + 0.05
    for low in np.arange(ask_below // 0.1 * 0.1, 1.0, 0.1):
        band = [p for p in pairs if max(low, ask_below) <= p[0] < low + 0.1]
        if len(band) >= 30:
            stated = mean(c for c, _ in band)
            noise = math.sqrt(stated * (1 - stated) / len(band))  # one standard error
            assert _accuracy(band) >= stated - 0.05 - noise, f"band {low:.1f}"


@pytest.mark.parametrize(
    ("field", "ask_below"),
    [("problem_type", ASK_BELOW_PROBLEM), ("desired_outcome", ASK_BELOW_OUTCOME)],
)
def test_readings_taken_without_asking_are_righter_than_those_asked(
    cross_validated, field, ask_below
) -> None:
    pairs = cross_validated[field]
    taken = [p for p in pairs if p[0] >= ask_below]
    asked = [p for p in pairs if p[0] < ask_below]
    assert asked and taken
    assert _accuracy(taken) >= _accuracy(asked) + 0.2


# ---------------------------------------------------------------- choices when unsure


def _reading(problem: list[tuple[str, float]], outcome: list[tuple[str, float]]) -> CustomerReading:
    return CustomerReading(
        problem_type=problem[0][0],
        problem_confidence=problem[0][1],
        desired_outcome=outcome[0][0],
        outcome_confidence=outcome[0][1],
        problem_ranked=problem,
        outcome_ranked=outcome,
    )


SURE_WISH = [("full_refund", 0.9), ("replacement", 0.1)]


def test_other_is_never_taken_even_when_sure() -> None:
    reading = _reading(
        [("other", 0.97), ("wrong_item", 0.02), ("not_delivered", 0.005), ("late_delivery", 0.005)],
        SURE_WISH,
    )
    assert reading.unsure_problem
    assert [c.id for c in reading.choices()] == [
        "problem:wrong_item",
        "problem:not_delivered",
        "problem:late_delivery",
        "problem:other",
    ]


def test_a_low_confidence_problem_offers_the_three_likeliest_and_something_else() -> None:
    ranked = [
        ("defective_item", 0.40),
        ("missing_parts", 0.30),
        ("other", 0.15),
        ("damaged_item", 0.10),
        ("wrong_item", 0.05),
    ]
    choices = _reading(ranked, SURE_WISH).choices()
    assert [c.problem_type for c in choices] == [
        "defective_item",
        "missing_parts",
        "damaged_item",
        "other",
    ]
    assert all(c.label and c.desired_outcome is None for c in choices)
    assert choices[0].as_dict() == {
        "id": "problem:defective_item",
        "label": "It doesn't work properly",
        "problem_type": "defective_item",
    }


def test_an_unsure_wish_is_asked_once_the_problem_is_sure() -> None:
    reading = _reading(
        [("damaged_item", 0.95), ("other", 0.05)],
        [("partial_refund", 0.40), ("unspecified", 0.35), ("full_refund", 0.25)],
    )
    assert not reading.unsure_problem and reading.unsure_outcome
    assert [c.id for c in reading.choices()] == [
        "outcome:partial_refund",
        "outcome:full_refund",
        "outcome:unspecified",
    ]
    assert "What would you like" in reading.question()


def test_a_sure_reading_offers_nothing() -> None:
    assert _reading([("damaged_item", 0.95), ("other", 0.05)], SURE_WISH).choices() == []


def test_a_choice_shows_only_what_it_sets() -> None:
    choice = Choice("order:112-4839201-5839201", "the blender", order_id="112-4839201-5839201")
    assert choice.as_dict() == {
        "id": "order:112-4839201-5839201",
        "label": "the blender",
        "order_id": "112-4839201-5839201",
    }


@pytest.mark.parametrize(
    ("ranked", "asked"),
    [
        ([("refund_not_received", 0.52), ("late_delivery", 0.46)], True),  # a near tie
        ([("refund_not_received", 0.62), ("late_delivery", 0.38)], False),
        ([("refund_not_received", 0.9)], False),
    ],
)
def test_a_close_runner_up_asks_the_customer(ranked, asked) -> None:
    reading = CustomerReading(
        problem_type=ranked[0][0],
        problem_confidence=ranked[0][1],
        desired_outcome="full_refund",
        outcome_confidence=0.9,
        problem_ranked=ranked,
    )
    assert reading.unsure_problem is asked
    if asked:
        assert [c.problem_type for c in reading.choices()][:2] == [r[0] for r in ranked]


@pytest.mark.parametrize(
    ("ranked", "asked"),
    [
        ([("full_refund", 0.55), ("replacement", 0.42), ("unspecified", 0.03)], True),
        ([("unspecified", 0.50), ("full_refund", 0.40), ("replacement", 0.10)], True),
        ([("full_refund", 0.60), ("replacement", 0.40)], False),
        ([("unspecified", 0.70), ("full_refund", 0.30)], False),
        ([("replacement", 0.9)], False),
    ],
)
def test_a_close_runner_up_wish_asks_once_the_problem_is_sure(ranked, asked) -> None:
    reading = _reading([("damaged_item", 0.95), ("other", 0.05)], ranked)
    assert reading.unsure_outcome is asked
    if asked:
        offered = [c.desired_outcome for c in reading.choices()]
        assert set(offered) >= {ranked[0][0], ranked[1][0]}
        assert offered[-1] == "unspecified"


def test_a_close_runner_up_wish_waits_for_an_unsure_problem() -> None:
    reading = _reading(
        [("damaged_item", 0.50), ("defective_item", 0.45)],
        [("full_refund", 0.50), ("replacement", 0.45)],
    )
    assert reading.unsure_problem and reading.unsure_outcome
    assert all(c.id.startswith("problem:") for c in reading.choices())


@pytest.mark.parametrize("text", ["hi there", "Hello team, please help!", "thanks", "hey there"])
def test_a_greeting_alone_tells_no_problem_and_asks(text: str) -> None:
    reading = read_customer_message(text, load_reader())
    assert reading.problem_type == "other" and reading.unsure_problem
    assert len(reading.choices()) >= 3


def test_typos_of_known_words_are_read_as_those_words() -> None:
    """A letter swapped, left out or doubled in a word the training texts use often; a word
    they use, however rarely, a typo of a rare word and short words stay as they are."""
    texts = ["it is faulty"] * 3 + ["a defective unit"] * 3 + ["my refund"] * 3 + ["tiles"]
    spelling = Spelling(texts)
    assert spelling.correct("fualty defectve refuund") == "faulty defective refund"
    assert spelling.correct("tiles tiels fualt abcdefg its") == "tiles tiels fualt abcdefg its"


def test_a_typo_does_not_change_the_problem_read() -> None:
    """ "fualty" read as "faulty": the message tells a fault, not a part missing from the box."""
    text = "the item keeps malfunctioning, fualty out of the box. what can you do?"
    assert read_customer_message(text, load_reader()).problem_type == "defective_item"


def test_a_typo_read_as_the_same_word_in_every_process() -> None:
    """A typo one letter from two words used as often ("abcdef": "abcde" and "bcdef") reads
    as the alphabetical first in every process, whatever order its string hashes give."""
    code = (
        "from shared.language.model import Spelling;"
        "print(Spelling(['abcde'] * 3 + ['bcdef'] * 3).correct('abcdef'))"
    )
    root = Path(__file__).resolve().parents[2]
    read = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(6)
    }
    assert read == {"abcde"}


def test_words_of_other_languages_are_glossed_in_english_beside_the_text() -> None:
    assert with_glosses("la silla llegó rota") == "la silla llegó rota broken damaged"
    assert (
        with_glosses("bitte eine neue schicken") == "bitte eine neue schicken replacement send new"
    )
    assert with_glosses("the vase arrived broken") == "the vase arrived broken"  # English alone


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hola, el ventilador llegó roto, la caja estaba aplastada", "damaged_item"),
        ("Mon colis n'est jamais arrivé. Le suivi dit livré.", "not_delivered"),
        ("Bhai speaker kaam nahi kar raha, kharab hai", "defective_item"),
    ],
)
def test_a_problem_said_partly_in_another_language(text: str, problem: str) -> None:
    assert read_customer_message(text, load_reader()).problem_type == problem
