"""`csn eval-reader`: how well the reader of language does on text it was not trained on.

Figures on the corpora's fixed test split (never used to fit or tune anything), per writer
held out (train on the other writers only), and, with `--dev-set DIR`, on labelled sets
written outside the team (report only: nothing is ever fitted to them).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import classification_report, confusion_matrix

from shared.language import corpus
from shared.language.cs_reply import ACTS, CSReading, read_cs_reply
from shared.language.customer import read_customer_message
from shared.language.reader import Reader, load_reader, training_records

PROBLEMS = (
    "damaged_item", "defective_item", "wrong_item", "missing_parts", "not_delivered",
    "late_delivery", "not_as_described", "billing_error", "refund_not_received",
    "unwanted_item", "other",
)  # fmt: skip
OUTCOMES = ("full_refund", "partial_refund", "replacement", "store_credit", "unspecified")


# ---------------------------------------------------------------- customer messages


def score_customer(reader: Reader, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy, per-class precision/recall and confusion of problem type and desired outcome."""
    truth_p, pred_p, truth_o, pred_o, asked = [], [], [], [], 0
    right_p = right_o = settled_p = settled_o = 0
    for record in records:
        text = record.get("text") or record.get("message") or ""
        reading = read_customer_message(text, reader)
        problems = record.get("problem_types") or [record["problem_type"]]
        outcomes = record.get("desired_outcomes") or [record["desired_outcome"]]
        right_p += reading.problem_type in problems
        right_o += reading.desired_outcome in outcomes
        choices = reading.choices()
        asked += bool(choices)
        # what the case goes on with after one question: our reading, or the customer's pick
        # among the choices offered (when the right one is among them)
        offered_p = {c.problem_type for c in choices if c.problem_type}
        offered_o = {c.desired_outcome for c in choices if c.desired_outcome}
        settled_p += (
            bool(set(problems) & offered_p) if offered_p else reading.problem_type in problems
        )
        settled_o += (
            bool(set(outcomes) & offered_o) if offered_o else reading.desired_outcome in outcomes
        )
        truth_p.append(reading.problem_type if reading.problem_type in problems else problems[0])
        truth_o.append(
            reading.desired_outcome if reading.desired_outcome in outcomes else outcomes[0]
        )
        pred_p.append(reading.problem_type)
        pred_o.append(reading.desired_outcome)
    n = len(records)
    return {
        "messages": n,
        "problem_type_accuracy": _share(right_p, n),
        "desired_outcome_accuracy": _share(right_o, n),
        "asked_share": _share(asked, n),
        "problem_type_after_asking": _share(settled_p, n),
        "desired_outcome_after_asking": _share(settled_o, n),
        "problem_type": _per_class(truth_p, pred_p, PROBLEMS),
        "desired_outcome": _per_class(truth_o, pred_o, OUTCOMES),
    }


def _per_class(truth: list[str], pred: list[str], labels: Sequence[str]) -> dict[str, Any]:
    present = [label for label in labels if label in truth or label in pred]
    report = classification_report(truth, pred, labels=present, output_dict=True, zero_division=0)
    return {
        "per_class": {
            label: {
                "precision": round(report[label]["precision"], 3),
                "recall": round(report[label]["recall"], 3),
                "support": int(report[label]["support"]),
            }
            for label in present
        },
        "labels": present,
        "confusion": confusion_matrix(truth, pred, labels=present).tolist(),
    }


# ---------------------------------------------------------------- CS replies


def _same_amount(ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) <= 0.01


def terms_match(reading: CSReading, label: dict[str, Any] | None) -> bool:
    """Type, amount (or share) and return terms exactly as labelled."""
    offer = reading.offer
    if label is None or offer is None:
        return label is None and offer is None
    return (
        offer.type == label["type"]
        and _same_amount(offer.amount, label.get("amount"))
        and _same_amount(offer.percent, label.get("percent"))
        and offer.return_required == label.get("return_required")
    )


def score_cs(reader: Reader, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Dialogue acts, offer terms and the misreads that matter (offers read where none is)."""
    exact_acts = offers = offers_exact = false_offers = unsure = 0
    act_truth: Counter[str] = Counter()
    act_pred: Counter[str] = Counter()
    act_hit: Counter[str] = Counter()
    wrong: list[dict[str, Any]] = []
    for record in records:
        reading = read_cs_reply(record["text"], reader, record.get("order_total"))
        truth, pred = set(record["acts"]), set(reading.acts)
        exact_acts += truth == pred
        for act in ACTS:
            act_truth[act] += act in truth
            act_pred[act] += act in pred
            act_hit[act] += act in truth and act in pred
        label = record.get("offer")
        unsure += reading.unsure
        if label is not None:
            offers += 1
            offers_exact += terms_match(reading, label)
        elif reading.offer is not None:
            false_offers += 1
        if not terms_match(reading, label) or truth != pred:
            wrong.append(
                {
                    "text": record["text"],
                    "acts": sorted(truth),
                    "read": reading.as_dict(),
                    "label": label,
                }
            )
    n = len(records)
    return {
        "messages": n,
        "acts_exact": _share(exact_acts, n),
        "acts": {
            act: {
                "precision": _share(act_hit[act], act_pred[act]),
                "recall": _share(act_hit[act], act_truth[act]),
                "support": act_truth[act],
            }
            for act in ACTS
        },
        "offers": offers,
        "offer_terms_exact": _share(offers_exact, offers),
        "offers_read_where_none": false_offers,
        "unsure": unsure,
        "errors": wrong,
    }


# ---------------------------------------------------------------- runs


def by_writer(
    folder: Path, score: Callable[[Reader, list[dict[str, Any]]], dict[str, Any]], customer: bool
) -> dict[str, Any]:
    """Each writer held out: fitted on the others' train split, scored on all of theirs."""
    records = corpus.load(folder)
    customer_all, cs_all = training_records("train")
    figures = {}
    for writer in sorted({r["writer"] for r in records}):
        own = [r for r in records if r["writer"] == writer]
        if customer:
            reader = Reader.train([r for r in customer_all if r["writer"] != writer], cs_all)
        else:
            reader = Reader.train(customer_all, [r for r in cs_all if r["writer"] != writer])
        result = score(reader, own)
        figures[writer] = {k: v for k, v in result.items() if not isinstance(v, dict | list)}
    return figures


def dev_set(reader: Reader, folder: Path) -> dict[str, Any]:
    """The outside dev set (report only)."""
    result: dict[str, Any] = {}
    messages = folder / "customer_messages.jsonl"
    replies = folder / "cs_replies.jsonl"
    if messages.exists():
        result["customer_messages"] = score_customer(reader, _jsonl(messages))
    if replies.exists():
        result["cs_replies"] = score_cs(reader, _jsonl(replies))
    return result


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _print_classes(title: str, block: dict[str, Any]) -> None:
    print(f"\n  {title}: per class (precision / recall / support)")
    for label, figures in block["per_class"].items():
        print(
            f"    {label:22s} {figures['precision']:.3f}  {figures['recall']:.3f}  {figures['support']}"
        )
    labels = block["labels"]
    print("  confusion (rows: truth, columns: predicted, in the order above)")
    for label, row in zip(labels, block["confusion"], strict=True):
        print(f"    {label[:14]:14s} " + " ".join(f"{v:3d}" for v in row))


def print_report(
    name: str, customer: dict[str, Any] | None, cs: dict[str, Any] | None, detail: bool
) -> None:
    """The readable summary."""
    print(f"== {name}")
    if customer:
        print(
            f"  customer messages: {customer['messages']}  problem_type {customer['problem_type_accuracy']}"
            f"  desired_outcome {customer['desired_outcome_accuracy']}  asked {customer['asked_share']}"
        )
        print(
            f"    after one question (the customer picks among the choices offered): problem_type "
            f"{customer['problem_type_after_asking']}  desired_outcome "
            f"{customer['desired_outcome_after_asking']}"
        )
        if detail:
            _print_classes("problem_type", customer["problem_type"])
            _print_classes("desired_outcome", customer["desired_outcome"])
    if cs:
        print(
            f"  CS replies: {cs['messages']}  acts exact {cs['acts_exact']}  offer terms exact "
            f"{cs['offer_terms_exact']} of {cs['offers']}  offers read where none {cs['offers_read_where_none']}"
            f"  unsure {cs['unsure']}"
        )
        if detail:
            for act, figures in cs["acts"].items():
                print(
                    f"    {act:14s} P {figures['precision']}  R {figures['recall']}  n {figures['support']}"
                )


def main(argv: list[str] | None = None) -> int:
    """Entry point of `csn eval-reader`."""
    p = argparse.ArgumentParser(prog="csn eval-reader", description=__doc__)
    p.add_argument(
        "--dev-set", type=Path, default=None, help="a folder of outside labelled sets (report only)"
    )
    p.add_argument(
        "--by-writer", action="store_true", help="also hold out each corpus writer in turn"
    )
    p.add_argument(
        "--errors", type=int, default=0, help="print this many misread CS replies of the test split"
    )
    p.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    args = p.parse_args(argv)
    reader = load_reader()
    customer_test, cs_test = training_records("test")
    report: dict[str, Any] = {
        "test_split": {
            "customer_messages": score_customer(reader, customer_test),
            "cs_replies": score_cs(reader, cs_test),
        }
    }
    print_report(
        "test split",
        report["test_split"]["customer_messages"],
        report["test_split"]["cs_replies"],
        True,
    )
    for error in report["test_split"]["cs_replies"]["errors"][: args.errors]:
        print("   ", json.dumps(error))
    if args.by_writer:
        report["by_writer"] = {
            "customer_messages": by_writer(corpus.CUSTOMER_DIR, score_customer, customer=True),
            "cs_replies": by_writer(corpus.CS_DIR, score_cs, customer=False),
        }
        for kind, figures in report["by_writer"].items():
            for writer, values in figures.items():
                print(
                    f"== held out {writer} ({kind}): "
                    + ", ".join(f"{k} {v}" for k, v in values.items())
                )
    if args.dev_set:
        report["dev_set"] = dev_set(reader, args.dev_set)
        dev = report["dev_set"]
        print_report(
            f"dev set {args.dev_set.name}",
            dev.get("customer_messages"),
            dev.get("cs_replies"),
            True,
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
