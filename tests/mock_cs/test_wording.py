"""The phrasing file and the desk's words: checked on load, every kind of offer put in words."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from mock_cs_service.personas import Act, Lead, Speech
from mock_cs_service.wording import (
    MIN_PHRASINGS,
    PHRASINGS,
    PLACEHOLDERS,
    Phrasebook,
    PhrasingError,
    Scene,
    default_phrasebook,
)
from shared.domain import Offer

SCENE = Scene(agent_name="Dana", order_id="112-0000000-0000001", item="Brass Lamp")
TREE = yaml.safe_load(PHRASINGS.read_text())


def book_with(path: str, phrasings: object) -> Phrasebook:
    tree = yaml.safe_load(PHRASINGS.read_text())
    node = tree
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = phrasings
    return Phrasebook(tree)


def leaf(path: str) -> list[str]:
    node = TREE
    for part in path.split("."):
        node = node[part]
    return list(node)


def test_the_shipped_file_has_every_list_with_enough_variety() -> None:
    book = Phrasebook.load()
    for path in PLACEHOLDERS:
        assert len(set(book[path])) >= MIN_PHRASINGS, path


@pytest.mark.parametrize(
    ("path", "phrasings", "problem"),
    [
        ("stall", ["one", "two", "three"], "at least"),
        ("stall", ["a", "a", "a", "a"], "at least"),
        ("decline", ["No.", "Nope.", "Sorry.", "Can't: {reason}."], "must use"),
        ("greeting.busy", ["Hi {name}", "b", "c", "d"], "may use"),
        ("agreed", ["{terms} is done.", "Did {terms}.", "Set {terms}.", "Ok {terms}."], "end"),
        (
            "offer.repeat",
            ["{offer} stands.", "It's {offer}.", "Still {offer}.", "x {offer}."],
            "end",
        ),
        ("stall", "just one string", "list"),
        ("stall", ["{unclosed", "b", "c", "d"], "stall"),
    ],
)
def test_a_bad_phrasing_file_is_refused(path, phrasings, problem) -> None:
    with pytest.raises(PhrasingError, match=problem):
        book_with(path, phrasings)


def test_missing_and_unknown_lists_are_named(tmp_path: Path) -> None:
    tree = yaml.safe_load(PHRASINGS.read_text())
    del tree["stall"]
    tree["shrug"] = ["a", "b", "c", "d"]
    file = tmp_path / "p.yaml"
    file.write_text(yaml.safe_dump(tree))
    with pytest.raises(PhrasingError, match=r"missing: \['stall'\].*\['shrug'\]"):
        Phrasebook.load(file)
    with pytest.raises(PhrasingError, match="cannot read"):
        Phrasebook.load(tmp_path / "absent.yaml")


def say(speech: Speech, seed: int = 0, scene: Scene = SCENE) -> str:
    return default_phrasebook().say(speech, scene, random.Random(seed))


def texts(speech: Speech, scene: Scene = SCENE, seeds: int = 60) -> list[str]:
    return [say(speech, seed, scene) for seed in range(seeds)]


def refund(kind: str = "full_refund", amount: float = 129.99, **terms: object) -> Offer:
    return Offer.model_validate(
        {"type": kind, "amount": amount, "refund_method": "original_payment", **terms}
    )


def test_a_refund_to_a_card_is_said_both_ways() -> None:
    said = " ".join(texts(Speech(Act.OFFER, refund(), Lead.APOLOGY)))
    assert "$129.99" in said
    assert any(m in said for m in leaf("method.card"))
    assert any(m in said for m in leaf("method.original_payment"))


def test_a_refund_as_a_gift_card_balance() -> None:
    gift = refund(refund_method="gift_card_balance")
    said = texts(Speech(Act.CONFIRM_RECAP, gift))
    assert all(any(m in t for m in leaf("method.gift_card")) for t in said)


def test_a_return_and_a_restocking_fee_are_always_stated() -> None:
    chair = refund(amount=249.0, return_required=True, restocking_fee=37.35)
    for text in texts(Speech(Act.OFFER, chair, Lead.APOLOGY)):
        assert "$249" in text and "$37.35" in text
        assert any(
            p.format(item="Brass Lamp") in text
            for p in leaf("returns.required_inline") + leaf("returns.required_sentence")
        ), text


def test_no_return_is_said_for_a_full_refund() -> None:
    for text in texts(Speech(Act.AGREED, refund())):
        assert any(p.format(item="Brass Lamp") in text for p in leaf("returns.waived_inline"))


def test_days_are_said_in_business_days() -> None:
    credit = Offer(type="store_credit", amount=25.0, days_to_complete=1)
    said = " ".join(texts(Speech(Act.OFFER, credit, Lead.APOLOGY)))
    assert "1 business day" in said and "1 business days" not in said
    reship = Offer(type="reship", days_to_complete=4)
    assert "4 business days" in " ".join(texts(Speech(Act.OFFER, reship, Lead.GRANTED)))


def test_whole_amounts_appear_with_and_without_cents() -> None:
    said = " ".join(texts(Speech(Act.OFFER, Offer(type="store_credit", amount=40.0), Lead.FIRM)))
    assert "$40.00" in said and "$40 " in said.replace("$40.", "$40 ")


def test_other_currencies_keep_their_symbol() -> None:
    euros = Scene(agent_name="Dana", order_id="1", item="Lamp", currency="EUR")
    assert "€12.50" in say(
        Speech(Act.CONFIRM_RECAP, Offer(type="store_credit", amount=12.5)), 0, euros
    )


def test_an_offer_that_turns_down_the_ask_can_say_so_with_a_negation() -> None:
    ask = refund(amount=129.99)
    credit = Offer(type="store_credit", amount=58.5)
    said = texts(Speech(Act.OFFER, credit, Lead.OPENING, wanted=ask))
    negated = [t for t in said if "a full refund of $129.99" in t]
    assert negated and all("$58.50" in t for t in said)


def test_refusals_name_what_was_asked() -> None:
    greedy = Offer(type="partial_refund", amount=500.0)
    for text in texts(Speech(Act.REPEAT, refund(), Lead.REFUSED_AMOUNT, wanted=greedy), seeds=10):
        assert "$500" in text and "$129.99" in text


def test_the_reason_for_a_refusal_is_given() -> None:
    reason = "this order was delivered 88 days ago, outside our 30-day window"
    for text in texts(Speech(Act.DECLINE, reason=reason), seeds=10):
        assert reason in text


def test_a_long_chat_is_wrapped_up() -> None:
    text = say(Speech(Act.STALL, wrap_up=True))
    assert any(p in text for p in leaf("wrap_up"))


def test_every_sentence_starts_with_a_capital() -> None:
    for text in texts(Speech(Act.OFFER, Offer(type="replacement"), Lead.GRANTED)):
        assert text[0].isupper()
