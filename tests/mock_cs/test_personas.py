"""Each persona's behaviour, checked on the pure desk (no HTTP) and, where it matters, over HTTP."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_cs_service.desk import ConfigUpdate, CustomerMessage, Desk, DeskConfig, OpenContact
from mock_cs_service.orders import DEFAULT_DATA, OrderBook
from mock_cs_service.personas import Persona
from mock_cs_service.policy_book import PolicyBook
from mock_cs_service.remedies import OrderFacts, case_terms
from shared.domain import Offer, ProblemType

from .conftest import BLENDER, CUSTOMER, POLICIES

FULL = 129.99
FULL_ASK = {"type": "full_refund", "amount": FULL}
PHOTO = {"filename": "jug.jpg", "content_type": "image/jpeg", "data": "/9j/4AAQSkZJRg=="}
DETAILS = (
    f"Order {BLENDER}: the blender arrived with the glass jug cracked right through and the "
    "base scratched. I've attached photos of the jug and of the box it came in."
)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> PolicyBook:
    folder: Path = tmp_path_factory.mktemp("policies")
    for name, text in POLICIES.items():
        (folder / name).write_text(text)
    return PolicyBook.load(folder)


@pytest.fixture(scope="module")
def orders() -> OrderBook:
    return OrderBook.load(DEFAULT_DATA, datetime.now(UTC).date())


_CHAT_KEYS = itertools.count()


class Chat:
    """A customer's side of one conversation with the pure desk."""

    def __init__(self, desk: Desk, order_id: str = BLENDER, problem: str = "damaged_item") -> None:
        self.desk = desk
        body = OpenContact(customer_id=CUSTOMER, order_id=order_id, problem_type=problem)
        # A fresh key per chat (id(self) can be reused once a chat is collected).
        opened = desk.open_contact(f"open-{next(_CHAT_KEYS)}", body)
        self.contact_id = opened.body["contact_id"]
        self.greeting = opened.body
        self.sent = 0

    def say(self, text: str = "Hello", **body: Any) -> dict[str, Any]:
        self.sent += 1
        message = CustomerMessage(text=text, **body)
        return self.desk.post_message(self.contact_id, f"m{self.sent}", message).body

    @property
    def persona(self) -> str:
        return str(self.desk.transcript(self.contact_id)["persona"])


def make_desk(orders: OrderBook, book: PolicyBook, persona: str, seed: int = 0) -> Desk:
    return Desk(orders, book, DeskConfig(persona=Persona(persona), seed=seed))


def value(offer: dict[str, Any] | None) -> float:
    if not offer or offer["type"] == "none":
        return 0.0
    if offer["type"] in {"replacement", "reship"}:
        return FULL
    return float(offer["amount"] if offer["amount"] is not None else FULL)


# ---- cooperative -----------------------------------------------------------------------------


def test_cooperative_offers_the_entitlement_at_once(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    reply = chat.say("My blender arrived cracked.", ask=FULL_ASK)
    assert reply["offer"]["type"] == "full_refund" and reply["offer"]["amount"] == FULL
    assert reply["offer"]["return_required"] is False
    assert "$129.99" in reply["text"]


def test_cooperative_grants_a_replacement_when_asked(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    reply = chat.say("Could you send a new one?", ask={"type": "replacement"})
    assert reply["offer"]["type"] == "replacement"


def test_cooperative_refuses_an_ask_beyond_policy_but_offers_the_best(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    reply = chat.say("I want 500 dollars.", ask={"type": "full_refund", "amount": 500})
    assert "more than we can offer" in reply["text"]
    assert reply["offer"]["type"] == "full_refund" and reply["offer"]["amount"] == FULL


def test_nothing_is_offered_outside_the_window(orders, book) -> None:
    lamp = "112-5408967-3351693"  # delivered 88 days ago
    chat = Chat(make_desk(orders, book, "cooperative"), order_id=lamp, problem="unwanted_item")
    reply = chat.say("I don't want it anymore.", ask={"type": "full_refund"})
    assert reply["offer"]["type"] == "none"
    assert "outside our 30-day window" in reply["text"]


# ---- adversarial -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_adversarial_opens_low_and_concedes_only_to_correct_citations(orders, book, seed) -> None:
    chat = Chat(make_desk(orders, book, "adversarial", seed))
    opening = chat.say("My blender arrived cracked.", ask=FULL_ASK, citations=["DMG-T-001"])
    assert 0 < value(opening["offer"]) <= 0.75 * FULL
    for wrong in (["NOPE-001"], ["LATE-T-001"], ["DMG-OLD-001"]):  # unknown, out of scope, window
        reply = chat.say("Your policy says otherwise.", ask=FULL_ASK, citations=wrong)
        assert reply["offer"] == opening["offer"], wrong
    assert "doesn't apply" in reply["text"]
    offers = [chat.say("Please check DMG-T-001.", ask=FULL_ASK)["offer"] for _ in range(2)]
    values = [value(o) for o in offers]
    assert values[0] > value(opening["offer"]) and values[-1] == FULL
    assert offers[-1]["type"] == "full_refund"


@pytest.mark.parametrize("seed", range(8))
def test_adversarial_concedes_a_step_to_a_supervisor(orders, book, seed) -> None:
    chat = Chat(make_desk(orders, book, "adversarial", seed))
    opening = chat.say("My blender arrived cracked.", ask=FULL_ASK)
    stubborn = chat.say("That's not enough.", ask=FULL_ASK)
    assert stubborn["offer"] == opening["offer"]
    escalated = chat.say("I'd like to speak to a supervisor.", ask=FULL_ASK, intent="supervisor")
    assert value(escalated["offer"]) > value(opening["offer"])
    assert "supervisor" in escalated["text"]


@pytest.mark.parametrize("seed", range(6))
def test_adversarial_refuses_asks_beyond_policy(orders, book, seed) -> None:
    chat = Chat(make_desk(orders, book, "adversarial", seed))
    opening = chat.say("Cracked jug.", ask=FULL_ASK)
    greedy = chat.say("Per DMG-T-001 I want 80.", ask={"type": "partial_refund", "amount": 80})
    assert greedy["offer"] == opening["offer"]  # 30% cap is 39.00: refused, no concession
    assert "more than we can offer" in greedy["text"]


def test_adversarial_grants_an_ask_no_dearer_than_its_offer(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "adversarial", 3))
    opening = chat.say("Cracked jug.", ask=FULL_ASK)
    modest = chat.say("I'd settle for 20.", ask={"type": "partial_refund", "amount": 20})
    assert modest["offer"]["type"] == "partial_refund" and modest["offer"]["amount"] == 20
    assert value(opening["offer"]) >= 20


# ---- bureaucratic ----------------------------------------------------------------------------


def test_bureaucratic_asks_for_details_first(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "bureaucratic"))
    assert chat.greeting["asks"] == ["order_id", "description", "photos"]
    vague = chat.say("It's broken.", ask=FULL_ASK)
    assert vague["offer"] is None and vague["asks"] == ["order_id", "description", "photos"]
    words_only = chat.say(DETAILS, ask=FULL_ASK)  # "I've attached photos", but none is
    assert words_only["offer"] is None and words_only["asks"] == ["photos"]
    detailed = chat.say(DETAILS, ask=FULL_ASK, attachments=[PHOTO])
    assert detailed["asks"] == [] and detailed["offer"]["type"] == "full_refund"


def test_bureaucratic_asks_only_for_what_is_missing_and_gives_up_asking(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "bureaucratic"))
    partial = chat.say(f"Order {BLENDER} arrived broken.", ask=FULL_ASK)
    assert partial["asks"] == ["description", "photos"]
    again = chat.say("Still broken.", ask=FULL_ASK)
    assert again["asks"] == ["description", "photos"]
    proceeds = chat.say("Please just help.", ask=FULL_ASK)
    assert proceeds["offer"]["type"] == "full_refund"


# ---- unresponsive and random -----------------------------------------------------------------


def test_unresponsive_never_offers_and_closes(orders, book) -> None:
    desk = make_desk(orders, book, "unresponsive")
    chat = Chat(desk)
    replies = [chat.say("Hello? My blender is cracked.", ask=FULL_ASK) for _ in range(3)]
    assert all(r["offer"] is None for r in replies)
    assert replies[-1]["closed"] is True
    faults = {desk.fault_for_message(chat.contact_id) for _ in range(30)}
    assert "error" in faults  # it also drops requests now and then


def personas_for(orders: OrderBook, book: PolicyBook, seed: int) -> list[str]:
    desk = make_desk(orders, book, "random", seed)
    return [Chat(desk).persona for _ in range(12)]


def test_random_mixes_personas_reproducibly_by_seed(orders, book) -> None:
    first = personas_for(orders, book, 11)
    assert first == personas_for(orders, book, 11)
    assert len(set(first)) >= 2 and "random" not in first
    assert any(personas_for(orders, book, s) != first for s in (12, 13, 14))


def test_persona_change_applies_to_new_contacts(orders, book) -> None:
    desk = make_desk(orders, book, "cooperative")
    before = Chat(desk)
    desk.configure(ConfigUpdate(persona=Persona.ADVERSARIAL))
    assert before.persona == "cooperative" and Chat(desk).persona == "adversarial"


# ---- never beyond policy, whatever the customer says -----------------------------------------

asks = st.one_of(
    st.none(),
    st.builds(
        dict,
        type=st.sampled_from(
            ["full_refund", "partial_refund", "store_credit", "replacement", "reship", "none"]
        ),
        amount=st.one_of(st.none(), st.floats(0, 2000, allow_nan=False).map(lambda x: round(x, 2))),
    ),
)
turns = st.lists(
    st.tuples(
        asks,
        st.lists(st.sampled_from(["DMG-T-001", "LATE-T-001", "X-1"]), max_size=2),
        st.sampled_from(["ask", "ask", "supervisor"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    persona=st.sampled_from(["cooperative", "adversarial", "bureaucratic", "random"]),
    seed=st.integers(0, 10_000),
    script=turns,
)
def test_no_offer_ever_exceeds_policy(orders, book, persona, seed, script) -> None:
    desk = make_desk(orders, book, persona, seed)
    chat = Chat(desk)
    order = orders.order(BLENDER)
    facts = OrderFacts(order, datetime.now(UTC).date(), True)
    terms = case_terms(facts, ProblemType.DAMAGED_ITEM, book.remedies_for("damaged_item", facts))
    for ask, citations, intent in script:
        reply = chat.say(DETAILS, ask=ask, citations=citations, intent=intent)
        offer = reply["offer"]
        if offer is not None and offer["type"] != "none":
            assert_within(offer, terms)
        if reply["closed"]:
            break  # an unresponsive agent (drawn by `random`) hangs up


def assert_within(offer: dict[str, Any], terms: Any) -> None:
    """The offer's type is one the retailer allows, and its amount is within the ceiling."""
    remedy = terms.remedy(offer["type"]) or terms.remedy("full_refund")
    assert remedy is not None
    if offer["amount"] is not None:
        assert offer["amount"] <= (remedy.max_amount or FULL) + 0.005
    assert Offer.model_validate(offer)
