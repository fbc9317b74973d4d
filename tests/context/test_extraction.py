"""Issue analysis: the phrasings that must read right, the clarification contract, order ids
in every shape, order matching, amounts and dates.

The problem type and the desired outcome come from trained models (shared/language); how
well they read is judged on the corpora's held-out split (`csn eval-reader`), not here. Here,
the phrasings the issue names must be read right or asked about with the right reading among
the choices (never silently wrong, never silently `other`), and the contract around an
unsure reading holds. Expected values are written by hand from shared/language/data/LABELS.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from context_agent.extraction import (
    Analysis,
    Hints,
    RulesError,
    analyze_message,
    find_amounts,
    find_dates,
    find_order_ids,
    item_names,
    load_rules,
    normalize_order_id,
)
from shared.domain import DesiredOutcome, ProblemType
from shared.language.model import Ranked
from tests.context.conftest import TODAY, as_order, make_order

B = "112-4839201-5839201"  # blender, delivered 10 days ago
H = "113-1111111-2222222"  # headphones, delivered 20 days ago
L = "114-3333333-4444444"  # lego, in transit
S = "115-5555555-6666666"  # sweater, delivered 3 days ago
P = "116-7777777-8888888"  # book, returned
VAGUE = "I have a problem with my order"  # says nothing about what is wrong: must be asked


def analyze(message: str, orders, rules, reader, **kwargs: Any) -> Analysis:
    return analyze_message(message, orders, rules, reader, TODAY, **kwargs)


def reading_choices(analysis: Analysis, kind: str) -> list[dict[str, str]]:
    """The choices about the problem (`problem`) or the wish (`outcome`)."""
    return [c for c in analysis.choices if c["id"].startswith(f"{kind}:")]


def assert_read_or_asked(analysis: Analysis, field: str, expected: str) -> None:
    """Right, or asked with the right reading among the choices: never silently wrong."""
    kind = "problem" if field == "problem_type" else "outcome"
    asked = reading_choices(analysis, kind)
    if asked:
        assert analysis.needs_clarification
        assert expected in [c[field] for c in asked], (analysis.question, asked)
    else:
        assert getattr(analysis, field) == expected


# ---------------------------------------------------------------- phrasings that must read right

# (message, field, hand-labelled value, the order it is about); from issue 10.
MUST_READ = [
    ("the motor only hums", "problem_type", "defective_item", B),
    ("my blender won't turn on", "problem_type", "defective_item", B),
    ("wrong size in the box", "problem_type", "wrong_item", S),
    ("the parcel is marked delivered but it's not here", "problem_type", "not_delivered", S),
    ("the headband snapped", "problem_type", "damaged_item", H),
    ("took the money twice", "problem_type", "billing_error", B),
    (
        "still waiting for my money after I sent it back",
        "problem_type",
        "refund_not_received",
        P,
    ),
    ("arrived a week after the date you gave me", "problem_type", "late_delivery", S),
    ("changed my mind", "problem_type", "unwanted_item", S),
    ("can I have the difference back", "desired_outcome", "partial_refund", S),
]


@pytest.mark.parametrize(
    ("message", "field", "expected", "order_id"),
    MUST_READ,
    ids=[m[0][:40] for m in MUST_READ],
)
def test_a_phrasing_the_issue_names_is_read_or_asked(
    message, field, expected, order_id, orders, rules, reader
) -> None:
    analysis = analyze(message, orders, rules, reader, order_id=order_id)
    assert analysis.order_id == order_id
    assert_read_or_asked(analysis, field, expected)


def test_the_difference_back_is_not_read_as_a_full_refund(orders, rules, reader) -> None:
    analysis = analyze("can I have the difference back", orders, rules, reader, order_id=S)
    assert analysis.desired_outcome != DesiredOutcome.FULL_REFUND


# Readings the trained models get wrong today, with confidence (so nobody is asked): reported
# to shared/language. Non-strict: an XPASS says the reader has learned them.
KNOWN_MISREADS = [
    ("the headphones are faulty", "problem_type", "defective_item", H),  # not_as_described 0.87
]
# Readings once on that list that the reader has since learned (`3c8e74d`: the last sentence's
# words and the wish cues of the round): kept as plain tests, so they stay learned
LEARNED = [
    ("hi there", "problem_type", "other", B),  # was missing_parts at 0.80
    ("where is my order? it's been ages. refund me", "problem_type", "not_delivered", L),
]


_MISREAD = pytest.mark.xfail(
    reason="misread by today's reader (reported to shared/language)", strict=False
)


@pytest.mark.parametrize(
    ("message", "field", "expected", "order_id"),
    [pytest.param(*m, marks=_MISREAD, id=m[0][:40]) for m in KNOWN_MISREADS]
    + [pytest.param(*m, id=m[0][:40]) for m in LEARNED],
)
def test_a_known_misread_is_read_or_asked(
    message, field, expected, order_id, orders, rules, reader
) -> None:
    analysis = analyze(message, orders, rules, reader, order_id=order_id)
    if expected == "other":  # `other` itself is always asked about; right means asked
        assert reading_choices(analysis, "problem")
    assert_read_or_asked(analysis, field, expected)


# Messages of every kind, plain and odd; whatever the reading, `other` is never taken silently.
SWEEP = [
    "hi there",
    "hello",
    "thanks",
    "please call me about my order",
    "Question about my order: can I change the delivery address?",
    "can you help me with my order?",
    VAGUE,
    "my stuff",
    "the blender came smashed, box was crushed. refund pls",
    "headphnes won't turn on at all, replace them",
    "I was chargd twise. pls fix",
    "where is my refund??",
    "I changed my mind about the sweater, can I return it?",
    "the listing said 1000W but it is 600W. misleading. store credit ok",
]


@pytest.mark.parametrize("message", SWEEP)
def test_other_is_never_chosen_silently(message, orders, rules, reader) -> None:
    analysis = analyze(message, orders, rules, reader, order_id=B)
    if analysis.problem_type == ProblemType.OTHER:
        assert analysis.needs_clarification and analysis.question
        assert reading_choices(analysis, "problem")[-1]["id"] == "problem:other"


# ---------------------------------------------------------------- the clarification contract


def test_an_unsure_reading_offers_the_likeliest_readings_and_something_else(
    orders, rules, reader
) -> None:
    analysis = analyze(VAGUE, orders, rules, reader, order_id=B)
    assert analysis.order_id == B and analysis.needs_clarification
    choices = analysis.choices
    assert 3 <= len(choices) <= 4  # two or three readings, then "something else"
    *picks, last = choices
    assert last == {"id": "problem:other", "label": "Something else", "problem_type": "other"}
    assert all(c["id"] == f"problem:{c['problem_type']}" and c["label"] for c in picks)
    assert len({c["problem_type"] for c in picks}) == len(picks)
    assert {c["problem_type"] for c in picks} <= {p.value for p in ProblemType} - {"other"}
    assert analysis.question and "problem" in analysis.question


def test_the_choices_are_the_readings_in_order_of_likelihood(orders, rules, reader) -> None:
    analysis = analyze(VAGUE, orders, rules, reader, order_id=B)
    ranked = [label for label, _ in reader.problem.rank(VAGUE).labels if label != "other"]
    picks = [c["problem_type"] for c in analysis.choices[:-1]]
    assert picks == ranked[: len(picks)]


def test_a_picked_problem_settles_the_reading(orders, rules, reader) -> None:
    analysis = analyze(
        VAGUE, orders, rules, reader, order_id=B, hints=Hints(problem_type=ProblemType.WRONG_ITEM)
    )
    assert analysis.problem_type == ProblemType.WRONG_ITEM
    assert analysis.problem_confidence == 1.0
    assert not reading_choices(analysis, "problem")


def test_a_picked_wish_does_not_settle_an_unsure_problem(orders, rules, reader) -> None:
    hints = Hints(desired_outcome=DesiredOutcome.REPLACEMENT)
    analysis = analyze(VAGUE, orders, rules, reader, order_id=B, hints=hints)
    assert analysis.desired_outcome == DesiredOutcome.REPLACEMENT
    assert analysis.outcome_confidence == 1.0
    assert reading_choices(analysis, "problem") and analysis.needs_clarification


def test_a_hint_wins_over_a_sure_reading(orders, rules, reader) -> None:
    message = f"My blender #{B} arrived cracked, full refund please"
    hints = Hints(ProblemType.DEFECTIVE_ITEM, DesiredOutcome.STORE_CREDIT)
    analysis = analyze(message, orders, rules, reader, hints=hints)
    assert analysis.problem_type == ProblemType.DEFECTIVE_ITEM
    assert analysis.desired_outcome == DesiredOutcome.STORE_CREDIT
    assert not analysis.needs_clarification


def test_asked_once_stops_further_questions(orders, rules, reader) -> None:
    analysis = analyze(VAGUE, orders, rules, reader, order_id=B, hints=Hints(asked=True))
    assert analysis.order_id == B
    assert not analysis.needs_clarification and analysis.choices == []
    assert analysis.question is None


def test_a_sure_reading_asks_nothing(orders, rules, reader) -> None:
    analysis = analyze(
        f"My blender #{B} arrived cracked, full refund please", orders, rules, reader
    )
    assert analysis.problem_type == ProblemType.DAMAGED_ITEM
    assert analysis.desired_outcome == DesiredOutcome.FULL_REFUND
    assert not analysis.needs_clarification and analysis.choices == []


def test_an_unknown_order_lists_the_candidate_orders_as_choices(orders, rules, reader) -> None:
    analysis = analyze("order 999-0000000-0000000 arrived broken", orders, rules, reader)
    assert analysis.order_id is None and analysis.needs_clarification
    assert analysis.candidates
    assert [c["id"] for c in analysis.choices] == [f"order:{o}" for o in analysis.candidates]
    assert [c["order_id"] for c in analysis.choices] == analysis.candidates
    assert all(c["order_id"] in c["label"] for c in analysis.choices)
    assert all(c in analysis.question for c in analysis.candidates)


def test_the_order_is_asked_first_then_an_unsure_reading(orders, rules, reader) -> None:
    first = analyze(VAGUE, orders, rules, reader)
    assert first.order_id is None
    assert first.choices and all(c["id"].startswith("order:") for c in first.choices)
    picked = first.choices[0]["order_id"]
    second = analyze(VAGUE, orders, rules, reader, order_id=picked)
    assert second.order_id == picked
    assert reading_choices(second, "problem") and second.needs_clarification


# A reader whose readings are set by the test: the wish branch of the contract (a sure problem
# with an unsure wish) does not depend on finding a message the trained models happen to
# find unsure.


@dataclass
class _Scripted:
    ranked: list[tuple[str, float]]

    def rank(self, text: str) -> Ranked:
        return Ranked(self.ranked)


@dataclass
class ScriptedReader:
    problem: _Scripted
    outcome: _Scripted


SURE_DAMAGE_UNSURE_WISH = ScriptedReader(
    _Scripted([("damaged_item", 0.93), ("defective_item", 0.05), ("other", 0.02)]),
    _Scripted(
        [
            ("partial_refund", 0.40),
            ("replacement", 0.30),
            ("full_refund", 0.25),
            ("unspecified", 0.05),
        ]
    ),
)


def test_an_unsure_wish_offers_the_likeliest_wishes(orders, rules) -> None:
    analysis = analyze("blender cracked", orders, rules, SURE_DAMAGE_UNSURE_WISH, order_id=B)
    assert analysis.problem_type == ProblemType.DAMAGED_ITEM
    assert [c["id"] for c in analysis.choices] == [
        "outcome:partial_refund",
        "outcome:replacement",
        "outcome:full_refund",
        "outcome:unspecified",
    ]
    assert all(c["desired_outcome"] == c["id"].split(":")[1] for c in analysis.choices)


@pytest.mark.parametrize(
    "hints",
    [Hints(desired_outcome=DesiredOutcome.REPLACEMENT), Hints(asked=True)],
    ids=["wish-picked", "asked"],
)
def test_a_settled_wish_is_not_asked_again(hints, orders, rules) -> None:
    analysis = analyze(
        "blender cracked", orders, rules, SURE_DAMAGE_UNSURE_WISH, order_id=B, hints=hints
    )
    assert not analysis.needs_clarification and analysis.choices == []
    expected = hints.desired_outcome or DesiredOutcome.PARTIAL_REFUND
    assert analysis.desired_outcome == expected


# ---------------------------------------------------------------- order ids


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("order 112-4839201-5839201 broke", [B]),
        ("order #112-4839201-5839201", [B]),
        ("order # 112 4839201 5839201", [B]),
        ("112 - 4839201 - 5839201 is the id", [B]),
        ("it's 11248392015839201", [B]),
        ("order 112-48392O1-5839201 (typed with an O)", [B]),
        ("order 1l2-4839201-5839201", [B]),
        (f"orders {B} and {H}", [B, H]),
        (f"{B}, {H}, {L}", [B, H, L]),
        (f"{B} {H}", [B, H]),
        ("I paid $129.99 on 2026-06-05, call 555 0141", []),
        ("To 112-4839201-5839201 I think", [B]),
    ],
)
def test_order_ids_in_every_shape(text, ids) -> None:
    assert find_order_ids(text).ids == ids


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (B, B),
        (f"#{B}", B),
        ("112 4839201 5839201", B),
        ("112-48392O1-5839201", B),
        ("12-4839201-5839201", None),
        ("hello", None),
        (f"{B} {H}", None),
    ],
)
def test_normalize_order_id(raw, expected) -> None:
    assert normalize_order_id(raw) == expected


def test_a_malformed_id_is_kept_as_a_fragment_and_fuzzy_matched(orders, rules, reader) -> None:
    mentions = find_order_ids("order 112-483920-5839201 broke")  # one digit dropped
    assert mentions.ids == [] and mentions.fragments == ["1124839205839201"]
    analysis = analyze("order 112-483920-5839201 arrived broken", orders, rules, reader)
    assert analysis.order_id == B
    assert "order number close to the one given" in analysis.evidence


def test_a_typo_in_the_id_is_fuzzy_matched(orders, rules, reader) -> None:
    analysis = analyze("order 112-4839201-5839209 arrived broken", orders, rules, reader)
    assert analysis.order_id == B


def test_an_order_number_ending_is_matched(orders, rules, reader) -> None:
    analysis = analyze("the order ending in 2222222 is defective", orders, rules, reader)
    assert analysis.order_id == H
    assert "order number ending" in analysis.evidence


def test_several_ids_of_the_customer_ask_which_one(orders, rules, reader) -> None:
    analysis = analyze(f"orders {B} and {H} both arrived broken", orders, rules, reader)
    assert analysis.needs_clarification and analysis.order_id is None
    assert set(analysis.candidates) == {B, H}
    assert {c["id"] for c in analysis.choices} == {f"order:{B}", f"order:{H}"}
    assert B in analysis.question and H in analysis.question


def test_an_unknown_id_with_no_evidence_asks_and_names_candidates(orders, rules, reader) -> None:
    analysis = analyze("order 999-0000000-0000000 is wrong", orders, rules, reader)
    assert analysis.needs_clarification and analysis.order_id is None
    assert analysis.candidates and all(c in analysis.question for c in analysis.candidates)


def test_the_given_order_id_wins_over_the_text(orders, rules, reader) -> None:
    analysis = analyze(f"orders {B} and {H} broke", orders, rules, reader, order_id=f"#{H}")
    assert analysis.order_id == H


def test_an_order_of_someone_else_is_not_chosen(orders, rules, reader) -> None:
    analysis = analyze("order 200-1234567-7654321 is broken", orders, rules, reader)
    assert analysis.order_id is None


def test_no_orders_at_all_asks_for_the_number(rules, reader) -> None:
    analysis = analyze("my blender broke", [], rules, reader)
    assert analysis.needs_clarification and "order number" in analysis.question
    assert analysis.choices == []


def test_a_single_order_is_chosen_without_evidence(orders, rules, reader) -> None:
    analysis = analyze("it broke", orders[:1], rules, reader)
    assert analysis.order_id == B


def test_a_greeting_alone_asks_which_order(orders, rules, reader) -> None:
    analysis = analyze("hi there", orders, rules, reader)
    assert analysis.order_id is None and analysis.needs_clarification
    assert analysis.choices and all(c["id"].startswith("order:") for c in analysis.choices)


def test_a_given_order_id_with_a_typo_is_fuzzy_matched(orders, rules, reader) -> None:
    analysis = analyze("it arrived broken", orders, rules, reader, order_id="112-4839201-5839202")
    assert analysis.order_id == B
    loose = analyze("it arrived broken", orders, rules, reader, order_id="112-483920-5839201")
    assert loose.order_id == B


def test_amount_and_date_pick_the_order(orders, rules, reader) -> None:
    ordered = orders[0].order_date
    text = f"I paid $129.99 on {ordered.strftime('%B')} {ordered.day} and it's defective"
    analysis = analyze(text, orders, rules, reader)
    assert analysis.order_id == B
    assert {"amount matches", "date matches"} <= set(analysis.evidence)


# The item named instead of the id, with typos: the order is found whatever the reading.
@pytest.mark.parametrize(
    ("message", "order_id"),
    [
        ("the blender came smashed, box was crushed. refund pls", B),
        ("Hi, my headphones are damagd, one ear cup is snapped off. Can I get store credit?", H),
        ("the headphones keep disconnecting and now no sound. want a working one", H),
        ("my lego bricks never came", L),
        ("never received a refund for the programmer book I returned", P),
        ("the merino sweater is torn at the seam", S),
    ],
)
def test_the_item_named_picks_the_order(message, order_id, orders, rules, reader) -> None:
    analysis = analyze(message, orders, rules, reader)
    assert analysis.order_id == order_id
    assert "item named" in analysis.evidence


def test_the_item_is_named_from_the_order(orders, rules, reader) -> None:
    analysis = analyze("the headphones are faulty", orders, rules, reader)
    assert analysis.order_id == H
    assert analysis.item == "Sony Wireless Headphones WH-CH520"


# ---------------------------------------------------------------- amounts, dates


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("charged $59.50 twice", [59.5]),
        ("I paid $1,299.00 and want 20 dollars back", [1299.0, 20.0]),
        ("refund USD 45 please", [45.0]),
        ("it cost 12.5 bucks", [12.5]),
        ("€30 off", [30.0]),
        ("forty dollars back please", [40.0]),
        ("no money here, 3 items", []),
    ],
)
def test_amounts(text, amounts) -> None:
    assert find_amounts(text) == amounts


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("delivered on 2026-06-01", [date(2026, 6, 1)]),
        ("ordered 6/2/2026", [date(2026, 6, 2)]),
        ("ordered on june 3rd", [date(2026, 6, 3)]),
        ("on the 4th of june 2026", [date(2026, 6, 4)]),
        ("bought it on Dec 20", [date(2025, 12, 20)]),  # no year: the latest past one
        ("returned it 2 weeks ago", [date(2026, 6, 1)]),
        ("arrived yesterday", [date(2026, 6, 14)]),
        ("on 2026-02-30 (no such day)", []),
    ],
)
def test_dates(text, dates) -> None:
    assert find_dates(text, TODAY) == dates


def test_order_id_digits_are_not_read_as_amounts(orders, rules, reader) -> None:
    analysis = analyze(f"order {B} broken", orders, rules, reader)
    assert analysis.amounts == [] and analysis.dates == []


def test_amounts_and_dates_reach_the_analysis(orders, rules, reader) -> None:
    analysis = analyze(
        "charged $59.50 twice on 2026-06-01 for the headphones", orders, rules, reader
    )
    assert analysis.amounts == [59.5] and analysis.dates == [date(2026, 6, 1)]


# ---------------------------------------------------------------- the rule tables


def test_a_broken_rules_file_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("status_hints: {weight: 1, fits: {melted_cheese: [delivered]}}\n")
    with pytest.raises(RulesError, match="rules.yaml"):
        load_rules(path)
    path.write_text("status_hints: {weight: 1, fits: {}}\nproblem_types: {damaged_item: []}\n")
    with pytest.raises(RulesError, match="rules.yaml"):  # the old regex tables are gone
        load_rules(path)
    path.write_text("status_hints: [\n")
    with pytest.raises(RulesError, match="rules.yaml"):
        load_rules(path)


# ---------------------------------------------------------------- product names set aside


def test_the_orders_item_names_are_the_reader_s_the_item(rules) -> None:
    mug = as_order(make_order(B, title="Broken Heart Mug"))
    car = as_order(
        make_order(H, title="Remote Control Off-Road Car", extra_items=[_item("Broken Heart Mug")])
    )
    assert item_names([mug, car]) == ["Broken Heart Mug", "Remote Control Off-Road Car"]


def _item(title: str) -> dict[str, Any]:
    return {"sku": "SKU-X", "title": title, "category": "toys", "price": 10.0, "quantity": 1}


def test_a_product_name_does_not_pull_the_reading(rules, reader) -> None:
    """ "Off-Road Car doesn't match the description" is about the listing (from the bench):
    with the name set aside it reads not_as_described, or asks with it among the choices."""
    car = as_order(make_order(B, title="Remote Control Off-Road Car", category="toys"))
    message = "Remote Control Off-Road Car doesn't match the description at all"
    analysis = analyze(message, [car], rules, reader, order_id=B)
    assert analysis.item == "Remote Control Off-Road Car"  # the name still finds the item
    assert_read_or_asked(analysis, "problem_type", "not_as_described")
