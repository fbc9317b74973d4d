"""Issue analysis: a table of real-world phrasings, order ids in every shape, amounts, dates."""

from __future__ import annotations

from datetime import date

import pytest

from context_agent.extraction import (
    RulesError,
    analyze_message,
    find_amounts,
    find_dates,
    find_order_ids,
    load_rules,
    normalize_order_id,
)
from tests.context.conftest import TODAY

B = "112-4839201-5839201"  # blender, delivered 10 days ago
H = "113-1111111-2222222"  # headphones, delivered 20 days ago
L = "114-3333333-4444444"  # lego, in transit
S = "115-5555555-6666666"  # sweater, delivered 3 days ago
P = "116-7777777-8888888"  # book, returned
ASK = None  # the analysis must ask which order

# (message, problem_type, desired_outcome, order_id or ASK)
PHRASINGS = [
    # damaged_item
    (
        f"My blender arrived broken, order #{B}. I want a full refund",
        "damaged_item",
        "full_refund",
        B,
    ),
    (f"order {B} - the jar is CRACKED!!! send me a new one", "damaged_item", "replacement", B),
    ("the blender came smashed, box was crushed. refund pls", "damaged_item", "full_refund", B),
    (f"{B} glass shattered in transit, i'd like a replacment", "damaged_item", "replacement", B),
    (
        "Hi, my headphones are damagd, one ear cup is snapped off. Can I get store credit?",
        "damaged_item",
        "store_credit",
        H,
    ),
    (
        f"#{B} arrived dented but works, I'd keep it for a partial refund",
        "damaged_item",
        "partial_refund",
        B,
    ),
    (
        f"Item {B} was damaged on arrival. I don't want a replacement, I want my money back",
        "damaged_item",
        "full_refund",
        B,
    ),
    (
        f"the sweater is torn at the seam, order {S}, exchange please",
        "damaged_item",
        "replacement",
        S,
    ),
    (f"blender broke in the box ({B}), would accept $30 back", "damaged_item", "partial_refund", B),
    # defective_item
    (
        f"Order {H}: the headphones stopped working after two days. Refund please.",
        "defective_item",
        "full_refund",
        H,
    ),
    (f"headphnes won't turn on at all, {H}, replace them", "defective_item", "replacement", H),
    (
        f"my blender ({B}) is defective, motor makes a burning smell",
        "defective_item",
        "unspecified",
        B,
    ),
    (
        "the headphones keep disconnecting and now no sound. want a working one",
        "defective_item",
        "replacement",
        H,
    ),
    (
        f"{B} doesnt work. it just doesn't power on. I want a refund.",
        "defective_item",
        "full_refund",
        B,
    ),
    (
        f"Faulty unit!! {H} - dead on arrival. store credit is fine",
        "defective_item",
        "store_credit",
        H,
    ),
    (
        f"blender {B} overheats after a minute, can you give me a discount?",
        "defective_item",
        "partial_refund",
        B,
    ),
    (f"headphones {H} are not working, they won't charge", "defective_item", "unspecified", H),
    # wrong_item
    (f"I recieved the wrong item for {S}, it's not what i ordered", "wrong_item", "unspecified", S),
    (
        f"You sent me the wrong size sweater ({S}). Please exchange it for a medium.",
        "wrong_item",
        "replacement",
        S,
    ),
    (
        f"order {B}: got a toaster instead of the blender I ordered, refund",
        "wrong_item",
        "full_refund",
        B,
    ),
    (
        f"wrong colour!! {S} I ordered grey, got pink. send the right one",
        "wrong_item",
        "replacement",
        S,
    ),
    (f"{H} they shipped the wrong model, I want my money back", "wrong_item", "full_refund", H),
    (f"This isn't what I ordered ({B}). Wrong item entirely", "wrong_item", "unspecified", B),
    (
        f"received someone else's order in my box, {S}; please resend mine",
        "wrong_item",
        "replacement",
        S,
    ),
    (f"wrnog item in order {H}, can i get a store credit", "wrong_item", "store_credit", H),
    # missing_parts
    (f"the blender {B} is missing the lid", "missing_parts", "unspecified", B),
    (
        f"{B} arrived without the blade assembly, parts are missing. send the missing parts",
        "missing_parts",
        "replacement",
        B,
    ),
    (
        f"headphones came with no charger in the box, {H}, refund $10?",
        "missing_parts",
        "partial_refund",
        H,
    ),
    (
        f"order {B} incomplete - missing screws and manual. I want a replacement",
        "missing_parts",
        "replacement",
        B,
    ),
    (
        f"#{B} missing accessories, the tamper is missing. partial refund please",
        "missing_parts",
        "partial_refund",
        B,
    ),
    (f"the {H} box is missing the cable, otherwise ok", "missing_parts", "unspecified", H),
    (f"missing parts on {B}!! need a full refund", "missing_parts", "full_refund", B),
    (
        f"order {B} only half the pieces were included, incomplete set",
        "missing_parts",
        "unspecified",
        B,
    ),
    # not_delivered
    (f"My order {L} never arrived", "not_delivered", "unspecified", L),
    ("where is my lego order?? it's been ages. refund me", "not_delivered", "full_refund", L),
    (f"Tracking says delivered but I never got it. {S}", "not_delivered", "unspecified", S),
    (f"package {L} lost, please resend", "not_delivered", "replacement", L),
    (f"{L} still hasnt arrived, I want my money back", "not_delivered", "full_refund", L),
    (
        f"order {S} marked as delivered yesterday, nothing on my porch. Package stolen? send another",
        "not_delivered",
        "replacement",
        S,
    ),
    (
        f"the lego bricks {L} have not been delivered, store credit would be ok",
        "not_delivered",
        "store_credit",
        L,
    ),
    (f"I haven't received my order {L} at all", "not_delivered", "unspecified", L),
    # late_delivery
    (
        f"order {S} arrived 5 days late, I want some compensation",
        "late_delivery",
        "partial_refund",
        S,
    ),
    (
        f"{L} is delayed again and missed the guaranteed delivery date",
        "late_delivery",
        "unspecified",
        L,
    ),
    (
        f"the sweater {S} came a week late, it was a gift. store credit?",
        "late_delivery",
        "store_credit",
        S,
    ),
    (
        f"Delivery of {B} was late by three days. A discount would be fair.",
        "late_delivery",
        "partial_refund",
        B,
    ),
    (
        f"{S} showed up two days after the promised date. credit to my account please",
        "late_delivery",
        "store_credit",
        S,
    ),
    (
        f"late delivery on {H}, refund the shipping cost $5.99 back",
        "late_delivery",
        "partial_refund",
        H,
    ),
    (f"my order {L} is overdue, it was promised for last week", "late_delivery", "unspecified", L),
    (f"{B} was delivered 4 days late and I need a refund", "late_delivery", "full_refund", B),
    # not_as_described
    (
        f"sweater {S} is not as described, it's acrylic not merino. full refund",
        "not_as_described",
        "full_refund",
        S,
    ),
    (
        f"{H} doesn't match the description - the listing said noise cancelling",
        "not_as_described",
        "unspecified",
        H,
    ),
    (
        f"these headphones {H} look fake/counterfeit. money back please",
        "not_as_described",
        "full_refund",
        H,
    ),
    (
        f"The blender {B} is much smaller than pictured, not as advertised. I'd keep it for $40 off",
        "not_as_described",
        "partial_refund",
        B,
    ),
    (f"{S} looks used, not as described. send a new one", "not_as_described", "replacement", S),
    (
        f"the listing said 1000W but {B} is 600W. misleading. store credit ok",
        "not_as_described",
        "store_credit",
        B,
    ),
    (
        f"item {H} is refurbished but was sold as new - not as advertised",
        "not_as_described",
        "unspecified",
        H,
    ),
    (f"{S} doesn't match the photos at all, refund", "not_as_described", "full_refund", S),
    # billing_error
    (f"I was charged twice for order {H}, $59.50 each time", "billing_error", "unspecified", H),
    (f"double charge on {B}, refund the duplicate please", "billing_error", "partial_refund", B),
    (
        f"you overcharged me for {S}: the price shown was $79 but I paid $89",
        "billing_error",
        "unspecified",
        S,
    ),
    (
        f"duplicate charge for {B} of $129.99 on my card!! want my money back",
        "billing_error",
        "full_refund",
        B,
    ),
    (f"{H} billed me twice, refund of $59.50 please", "billing_error", "full_refund", H),
    (f"there's an unauthorized charge related to order {S}", "billing_error", "unspecified", S),
    (f"I was chargd twise for {B}. pls fix", "billing_error", "unspecified", B),
    (
        f"wrong charge on {S}, the amount was higher than listed. partial refund of $10",
        "billing_error",
        "partial_refund",
        S,
    ),
    # refund_not_received
    (
        f"I returned the book {P} three weeks ago and still havent got my refund",
        "refund_not_received",
        "full_refund",
        P,
    ),
    (f"where is my refund for {P}??", "refund_not_received", "full_refund", P),
    (
        f"refund for {P} hasn't arrived yet, it's been 20 days since I shipped it back",
        "refund_not_received",
        "full_refund",
        P,
    ),
    (
        f"I sent back {P} but no refund so far. I want my money",
        "refund_not_received",
        "full_refund",
        P,
    ),
    (
        "never received a refund for the programmer book I returned",
        "refund_not_received",
        "unspecified",
        P,
    ),
    (
        f"{P}: still waiting on my refund, dropped off on Oct 2",
        "refund_not_received",
        "full_refund",
        P,
    ),
    (
        f"The refund for {P} is still not showing on my statement. Store credit is ok too",
        "refund_not_received",
        "store_credit",
        P,
    ),
    (f"hi, the refund is missing for order {P}", "refund_not_received", "full_refund", P),
    # unwanted_item
    (
        f"I changed my mind about the sweater {S}, can I return it?",
        "unwanted_item",
        "unspecified",
        S,
    ),
    (f"{S} is too small, want to return it for a refund", "unwanted_item", "full_refund", S),
    (f"ordered {B} by mistake, no longer need it. refund", "unwanted_item", "full_refund", B),
    (f"the sweater {S} doesn't fit, exchange for a bigger size", "unwanted_item", "replacement", S),
    (f"I don't need it anymore - {H}. store credit is fine", "unwanted_item", "store_credit", H),
    (f"found it cheaper elsewhere, I'd like to return {B}", "unwanted_item", "unspecified", B),
    (f"{S} too big. full refund please", "unwanted_item", "full_refund", S),
    (f"can i return {H}? i don't like it", "unwanted_item", "unspecified", H),
    # other
    (f"Question about order {B}: can I change the delivery address?", "other", "unspecified", B),
    (f"hello, I need help with {S}", "other", "unspecified", S),
    ("hi there", "other", "unspecified", ASK),
    (f"please call me about {H}", "other", "unspecified", H),
]


def test_the_table_covers_every_problem_type_and_outcome() -> None:
    assert len(PHRASINGS) >= 80
    from shared.domain import DesiredOutcome, ProblemType

    assert {p for _, p, _, _ in PHRASINGS} == {p.value for p in ProblemType}
    assert {o for _, _, o, _ in PHRASINGS} == {o.value for o in DesiredOutcome}


@pytest.mark.parametrize(
    ("message", "problem", "outcome", "order_id"),
    PHRASINGS,
    ids=[f"{i:02d}-{p[1]}" for i, p in enumerate(PHRASINGS)],
)
def test_phrasing(message, problem, outcome, order_id, orders, rules) -> None:
    analysis = analyze_message(message, orders, rules, TODAY)
    assert analysis.problem_type == problem
    assert analysis.desired_outcome == outcome
    assert analysis.order_id == order_id
    assert analysis.needs_clarification is (order_id is None)
    assert 0.0 <= analysis.confidence <= 1.0


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


def test_a_malformed_id_is_kept_as_a_fragment_and_fuzzy_matched(orders, rules) -> None:
    mentions = find_order_ids("order 112-483920-5839201 broke")  # one digit dropped
    assert mentions.ids == [] and mentions.fragments == ["112483920583920"[:0] + "1124839205839201"]
    analysis = analyze_message("order 112-483920-5839201 arrived broken", orders, rules, TODAY)
    assert analysis.order_id == B
    assert "order number close to the one given" in analysis.evidence


def test_a_typo_in_the_id_is_fuzzy_matched(orders, rules) -> None:
    analysis = analyze_message("order 112-4839201-5839209 arrived broken", orders, rules, TODAY)
    assert analysis.order_id == B


def test_an_order_number_ending_is_matched(orders, rules) -> None:
    analysis = analyze_message("the order ending in 2222222 is defective", orders, rules, TODAY)
    assert analysis.order_id == H


def test_several_ids_of_the_customer_ask_which_one(orders, rules) -> None:
    analysis = analyze_message(f"orders {B} and {H} both arrived broken", orders, rules, TODAY)
    assert analysis.needs_clarification
    assert set(analysis.candidates) == {B, H}
    assert B in analysis.question and H in analysis.question


def test_an_unknown_id_with_no_evidence_asks_and_names_candidates(orders, rules) -> None:
    analysis = analyze_message("order 999-0000000-0000000 is wrong", orders, rules, TODAY)
    assert analysis.needs_clarification and analysis.order_id is None
    assert analysis.candidates and all(c in analysis.question for c in analysis.candidates)


def test_the_given_order_id_wins_over_the_text(orders, rules) -> None:
    analysis = analyze_message(f"orders {B} and {H} broke", orders, rules, TODAY, order_id=f"#{H}")
    assert analysis.order_id == H


def test_an_order_of_someone_else_is_not_chosen(orders, rules) -> None:
    analysis = analyze_message("order 200-1234567-7654321 is broken", orders, rules, TODAY)
    assert analysis.order_id is None


def test_no_orders_at_all_asks_for_the_number(rules) -> None:
    analysis = analyze_message("my blender broke", [], rules, TODAY)
    assert analysis.needs_clarification and "order number" in analysis.question


def test_a_single_order_is_chosen_without_evidence(orders, rules) -> None:
    analysis = analyze_message("it broke", orders[:1], rules, TODAY)
    assert analysis.order_id == B


def test_amount_and_date_pick_the_order(orders, rules) -> None:
    ordered = orders[0].order_date
    text = f"I paid $129.99 on {ordered.strftime('%B')} {ordered.day} and it's defective"
    analysis = analyze_message(text, orders, rules, TODAY)
    assert analysis.order_id == B
    assert {"amount matches", "date matches"} <= set(analysis.evidence)


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


# ---------------------------------------------------------------- amounts, dates, items


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("charged $59.50 twice", [59.5]),
        ("I paid $1,299.00 and want 20 dollars back", [1299.0, 20.0]),
        ("refund USD 45 please", [45.0]),
        ("it cost 12.5 bucks", [12.5]),
        ("€30 off", [30.0]),
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


def test_the_item_is_named_from_the_order(orders, rules) -> None:
    analysis = analyze_message("the headphones are faulty", orders, rules, TODAY)
    assert analysis.order_id == H
    assert analysis.item == "Sony Wireless Headphones WH-CH520"


def test_order_id_digits_are_not_read_as_amounts(orders, rules) -> None:
    analysis = analyze_message(f"order {B} broken", orders, rules, TODAY)
    assert analysis.amounts == [] and analysis.dates == []


def test_a_broken_rules_file_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "negation: '('\nproblem_types: {}\ndesired_outcomes: {}\n"
        "status_hints: {weight: 1, fits: {}}\n"
    )
    with pytest.raises(RulesError, match="rules.yaml"):
        load_rules(path)
    path.write_text("problem_types: {melted_cheese: []}\n")
    with pytest.raises(RulesError, match="rules.yaml"):
        load_rules(path)


def test_a_given_order_id_with_a_typo_is_fuzzy_matched(orders, rules) -> None:
    analysis = analyze_message(
        "it arrived broken", orders, rules, TODAY, order_id="112-4839201-5839202"
    )
    assert analysis.order_id == B
    loose = analyze_message(
        "it arrived broken", orders, rules, TODAY, order_id="112-483920-5839201"
    )
    assert loose.order_id == B
