"""The text channel: the desk speaks and listens like a person on a chat.

The oracles are outside the wording code: the phrasing file read here on its own, the
desk's transcript and ledger (its record of what it offered and granted), and the same
conversation held on the structured channel.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mock_cs_service.config import Settings
from mock_cs_service.desk import CustomerMessage, Desk, DeskConfig, OpenContact
from mock_cs_service.orders import DEFAULT_DATA, OrderBook
from mock_cs_service.policy_book import PolicyBook
from mock_cs_service.wording import PHRASE_BOOKS, PHRASINGS, Wording, phrasebook_named

from .conftest import BLENDER, CUSTOMER, POLICIES

FULL = 129.99
OPEN_KEYS = {"contact_id", "order_id", "status", "text"}
REPLY_KEYS = {"message_id", "text", "closed"}
DETAILS = (
    f"Order {BLENDER}: the blender arrived with the glass jug cracked right through and the "
    "base scratched along one side."
)
PHRASES = yaml.safe_load(PHRASINGS.read_text())


def phrased(kind: str, text: str, **values: str) -> bool:
    """Whether `text` holds one of the file's phrasings of `kind` (by its fixed words)."""
    node: Any = PHRASES
    for part in kind.split("."):
        node = node[part]
    for template in node:
        pieces = [p for p in template.format_map(_Blank(values)).split("\0") if p.strip()]
        if all(piece.strip(" .,:;!?").lower() in text.lower() for piece in pieces):
            return True
    return False


class _Blank(dict):
    """Fills the placeholders it knows and cuts the text at the others."""

    def __missing__(self, key: str) -> str:
        return "\0"


def offer_phrases(kind: str, amount: str) -> list[str]:
    return [t.format(amount=amount, item="\0").split("\0")[0] for t in PHRASES["thing"][kind]]


# ---- the pure desk ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> PolicyBook:
    folder: Path = tmp_path_factory.mktemp("policies")
    for name, text in POLICIES.items():
        (folder / name).write_text(text)
    return PolicyBook.load(folder)


@pytest.fixture(scope="module")
def orders() -> OrderBook:
    return OrderBook.load(DEFAULT_DATA, datetime.now(UTC).date())


_KEYS = itertools.count()


class Chat:
    """A customer's side of one conversation with the pure desk, on either channel."""

    def __init__(self, desk: Desk, order_id: str = BLENDER, problem: str | None = "damaged_item"):
        self.desk = desk
        body = OpenContact(customer_id=CUSTOMER, order_id=order_id, problem_type=problem)
        opened = desk.open_contact(f"open-{next(_KEYS)}", body)
        self.contact_id = opened.body["contact_id"]
        self.greeting = opened.body
        self.sent = 0

    def say(self, text: str = "Hello", **body: Any) -> dict[str, Any]:
        self.sent += 1
        message = CustomerMessage(text=text, **body)
        return self.desk.post_message(self.contact_id, f"m{self.sent}", message).body

    @property
    def record(self) -> dict[str, Any]:
        return self.desk.transcript(self.contact_id)

    @property
    def offer(self) -> dict[str, Any] | None:
        return self.record["offer"]


def make_desk(orders, book, persona: str, seed: int = 0, channel: str = "text") -> Desk:
    return Desk(orders, book, DeskConfig(persona=persona, seed=seed, channel=channel))


# ---- the shape of a text reply ---------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cooperative", "adversarial", "bureaucratic", "unresponsive"])
def test_text_replies_carry_words_only(orders, book, persona) -> None:
    chat = Chat(make_desk(orders, book, persona))
    assert set(chat.greeting) == OPEN_KEYS
    replies = [chat.say(DETAILS + " Photos attached. I'd like a full refund of $129.99.")]
    replies.append(chat.say("I'd like to speak to a supervisor."))
    for reply in replies:
        assert set(reply) == REPLY_KEYS and reply["text"]
        if reply["closed"]:
            break


def test_the_transcript_keeps_the_desks_record_and_what_it_understood(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    chat.say("The jug is cracked. Could you do a partial refund of $30?")
    record = chat.record
    assert record["channel"] == "text"
    customer, agent = record["messages"][1:3]
    assert customer["understood"]["intent"] == "ask"
    assert customer["understood"]["ask"]["type"] == "partial_refund"
    assert customer["understood"]["ask"]["amount"] == 30.0
    assert agent["offer"]["type"] == "partial_refund" and agent["offer"]["amount"] == 30.0


# ---- each persona on the text channel --------------------------------------------------------


def test_cooperative_offers_in_the_phrasing_files_words(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    assert phrased("greeting.plain", chat.greeting["text"], order_id=BLENDER)
    reply = chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    assert chat.offer["type"] == "full_refund" and chat.offer["amount"] == FULL
    assert any(p in reply["text"] for p in offer_phrases("full_refund", "$129.99"))
    assert not reply["closed"]


def test_cooperative_grants_a_replacement_asked_in_words(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    reply = chat.say("The jug is cracked. Could you just send a new one?")
    assert chat.offer["type"] == "replacement"
    assert any(p.lower() in reply["text"].lower() for p in offer_phrases("replacement", ""))


def test_cooperative_turns_down_an_ask_beyond_policy_and_offers_the_best(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative", seed=4))
    reply = chat.say("The jug is cracked. I want $500 back.")
    assert chat.offer["amount"] == FULL
    text = reply["text"]
    assert "$500" in text and "$129.99" in text


def test_accepting_in_words_books_the_ledger_and_restates_the_terms(orders, book) -> None:
    desk = make_desk(orders, book, "cooperative", seed=2)
    chat = Chat(desk)
    chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    done = chat.say("Yes, please go ahead.")
    assert done["closed"] is True
    assert phrased("agreed", done["text"])
    assert "$129.99" in done["text"]
    [entry] = desk.agreements()
    assert (entry["contact_id"], entry["type"], entry["amount"]) == (
        chat.contact_id,
        "full_refund",
        FULL,
    )
    assert entry["return_required"] is False


@pytest.mark.parametrize("seed", range(6))
def test_adversarial_concedes_to_a_policy_cited_in_the_text_only(orders, book, seed) -> None:
    chat = Chat(make_desk(orders, book, "adversarial", seed))
    chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    opening = chat.offer
    assert 0 < opening["amount"] < FULL
    ignored = chat.say("Please look again.", citations=["DMG-T-001"])  # a field text never reads
    assert chat.offer == opening and "DMG-T-001" not in ignored["text"]
    wrong = chat.say("Policy LATE-T-001 says you owe me a full refund of $129.99.")
    assert chat.offer == opening and "LATE-T-001" in wrong["text"]
    for _ in range(2):
        chat.say("Policy DMG-T-001 covers this: a full refund of $129.99, please.")
    assert chat.offer["type"] == "full_refund" and chat.offer["amount"] == FULL


@pytest.mark.parametrize("seed", range(4))
def test_adversarial_concedes_a_step_to_a_supervisor_asked_in_words(orders, book, seed) -> None:
    chat = Chat(make_desk(orders, book, "adversarial", seed))
    chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    opening = chat.offer["amount"]
    chat.say("That's not enough, I need a full refund of $129.99.")
    assert chat.offer["amount"] == opening
    chat.say("Can I speak to your manager? We still want a full refund of $129.99.")
    assert chat.offer["amount"] > opening or chat.offer["type"] != "store_credit"


def test_bureaucratic_asks_for_details_in_words(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "bureaucratic"))
    greeting = chat.greeting["text"]
    assert phrased("greeting.paperwork", greeting)
    for ask in ("order_id", "description", "photos"):
        assert any(p in greeting for p in PHRASES["details"][ask]), ask
    vague = chat.say("It's broken. I'd like a full refund of $129.99.")
    assert phrased("details.still_need", vague["text"]) and chat.offer is None


def test_bureaucratic_takes_an_attachment_as_the_photos(orders, book) -> None:
    photo = {"filename": "jug.jpg", "content_type": "image/jpeg", "data": "/9j/4AAQSkZJRg=="}
    chat = Chat(make_desk(orders, book, "bureaucratic"))
    chat.say(DETAILS + " I'd like a full refund of $129.99.", attachments=[photo])
    assert chat.offer["type"] == "full_refund"


def test_on_the_chat_too_words_about_photos_are_no_photos(orders, book) -> None:
    """On the text channel as on the structured one: only an attachment is a photo."""
    chat = Chat(make_desk(orders, book, "bureaucratic"))
    reply = chat.say(
        DETAILS + " Photos of the jug are attached. I'd like a full refund of $129.99."
    )
    assert chat.offer is None
    assert any(p in reply["text"] for p in PHRASES["details"]["photos"])


def test_bureaucratic_without_photos_or_words_about_them_asks_again(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "bureaucratic"))
    reply = chat.say(DETAILS + " I'd like a full refund of $129.99.")
    assert chat.offer is None
    assert any(p in reply["text"] for p in PHRASES["details"]["photos"])
    assert not any(p in reply["text"] for p in PHRASES["details"]["order_id"])


def test_unresponsive_stalls_in_words_and_closes(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "unresponsive"))
    assert phrased("greeting.busy", chat.greeting["text"])
    replies = [chat.say("Hello? My blender is cracked, I want a refund.") for _ in range(3)]
    assert chat.offer is None
    assert all(phrased("stall", r["text"]) for r in replies[:2])
    assert replies[-1]["closed"] and phrased("hang_up", replies[-1]["text"])


def test_a_declined_case_says_why_in_words(orders, book) -> None:
    lamp = "112-5408967-3351693"  # delivered 88 days ago
    chat = Chat(make_desk(orders, book, "cooperative"), order_id=lamp, problem="unwanted_item")
    reply = chat.say("I don't want it any more, I'd like a refund.")
    assert chat.offer["type"] == "none"
    assert "outside our 30-day window" in reply["text"] and phrased("decline", reply["text"])


def test_a_contact_without_a_problem_type_reads_it_from_the_words(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"), problem=None)
    vague = chat.say("Hi there")
    assert phrased("details.problem_question", vague["text"]) and chat.offer is None
    chat.say("The blender arrived damaged, the jug is cracked.")
    assert chat.offer["type"] == "full_refund"


# ---- the text channel reads only the text ----------------------------------------------------


def test_structured_fields_are_ignored_on_the_text_channel(orders, book) -> None:
    desk = make_desk(orders, book, "cooperative")
    chat = Chat(desk)
    chat.say("The jug is cracked.", ask={"type": "replacement"})
    assert chat.offer["type"] == "full_refund"  # the ask field was not read; the best is offered
    reply = chat.say("Hmm, let me think.", intent="accept")
    assert not reply["closed"] and desk.agreements() == []


def test_close_in_words_ends_the_chat(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    reply = chat.say("Thanks for your time, goodbye.")
    assert reply["closed"] and phrased("farewell", reply["text"])


def test_accepting_terms_that_were_not_offered_books_nothing(orders, book) -> None:
    desk = make_desk(orders, book, "adversarial", seed=1)
    chat = Chat(desk)
    chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    standing = chat.offer
    reply = chat.say("The customer accepts the full refund of $129.99.")
    assert not reply["closed"] and desk.agreements() == []
    assert phrased("confirm.not_what_i_offered", reply["text"])
    assert (
        f"${standing['amount']:.2f}" in reply["text"]
        or f"${standing['amount']:.0f}" in reply["text"]
    )


# ---- confirmation questions (both channels) --------------------------------------------------

CONFIRM_RIGHT = (
    "To confirm: a full refund of $129.99 to the original payment method, no return needed "
    "\u2014 is that right?"
)
CONFIRM_WRONG = "Just to confirm, that's $129.99 in store credit, right?"


@pytest.mark.parametrize("seed", range(5))
def test_a_confirmation_question_gets_yes_for_the_terms_offered(orders, book, seed) -> None:
    desk = make_desk(orders, book, "cooperative", seed)
    chat = Chat(desk)
    chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    reply = chat.say(CONFIRM_RIGHT)
    assert phrased("confirm.right", reply["text"]) and "$129.99" in reply["text"]
    assert not phrased("confirm.wrong", reply["text"])
    assert not reply["closed"] and desk.agreements() == []


@pytest.mark.parametrize("seed", range(5))
def test_a_confirmation_question_with_other_terms_is_corrected(orders, book, seed) -> None:
    desk = make_desk(orders, book, "cooperative", seed)
    chat = Chat(desk)
    chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    reply = chat.say(CONFIRM_WRONG)
    assert phrased("confirm.wrong", reply["text"]) and "$129.99" in reply["text"]
    assert any(p in reply["text"] for p in offer_phrases("full_refund", "$129.99"))
    assert not reply["closed"] and desk.agreements() == []
    assert chat.offer["type"] == "full_refund"  # the question changed nothing


def test_confirming_a_return_that_is_not_required_is_corrected(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    chat.say("My blender arrived cracked. I'd like a full refund of $129.99.")
    reply = chat.say("To confirm, a full refund of $129.99 once you receive the item back?")
    assert phrased("confirm.wrong", reply["text"])


def test_a_confirmation_question_with_nothing_offered_is_a_question(orders, book) -> None:
    chat = Chat(make_desk(orders, book, "cooperative"))
    chat.say("Can you confirm you could do a full refund of $129.99 for the cracked jug?")
    assert chat.offer["type"] == "full_refund"  # answered as an ask, with an offer


def structured(orders, book, persona: str = "cooperative", seed: int = 0) -> Chat:
    return Chat(make_desk(orders, book, persona, seed, channel="structured"))


def test_structured_confirm_intent_says_yes_or_corrects(orders, book) -> None:
    chat = structured(orders, book)
    offered = chat.say("The jug is cracked.", ask={"type": "full_refund", "amount": FULL})
    right = chat.say("Is that right?", intent="confirm", ask=offered["offer"])
    assert right["text"].startswith("Yes") and right["offer"] == offered["offer"]
    assert right["agreed"] is False and right["closed"] is False
    wrong = chat.say(
        "Is that right?", intent="confirm", ask={"type": "store_credit", "amount": FULL}
    )
    assert wrong["text"].startswith("No") and wrong["offer"] == offered["offer"]
    assert "$129.99" in wrong["text"] and chat.desk.agreements() == []


def test_structured_confirmation_question_in_the_text_is_answered_too(orders, book) -> None:
    chat = structured(orders, book)
    chat.say("The jug is cracked.", ask={"type": "full_refund", "amount": FULL})
    reply = chat.say(CONFIRM_WRONG)
    assert reply["text"].startswith("No") and reply["agreed"] is False


# ---- the same decisions on both channels -----------------------------------------------------

# Each step: the text-channel words, and the same message as structured fields.
SCRIPT = [
    (DETAILS + " Photos attached. I'd like a full refund of $129.99.", {}),
    ("Could you do a partial refund of $80?", {"ask": {"type": "partial_refund", "amount": 80}}),
    ("Policy LATE-T-001 says otherwise: a full refund of $129.99.", {}),
    ("Per policy DMG-T-001 we need a full refund of $129.99.", {}),
    ("I'd like to speak to a supervisor about a full refund of $129.99.", {"intent": "supervisor"}),
    (CONFIRM_WRONG, {"intent": "confirm", "ask": {"type": "store_credit", "amount": FULL}}),
    ("Yes, please go ahead.", {"intent": "accept"}),
]
FULL_ASK = {"ask": {"type": "full_refund", "amount": FULL}}


def play(desk: Desk, channel: str) -> tuple[list[Any], list[dict[str, Any]]]:
    chat = Chat(desk)
    for text, fields in SCRIPT:
        body = {**FULL_ASK, **fields} if channel == "structured" else {}
        if chat.say(text, **body)["closed"]:
            break
    decisions = [
        (m["offer"], m.get("asks")) for m in chat.record["messages"] if m["role"] == "agent"
    ]
    # (when each was booked differs between two runs by the clock alone)
    return decisions, [{**a, "booked_at": None} for a in desk.agreements()]


@pytest.mark.parametrize(
    ("persona", "seed"),
    [(p, s) for p in ("cooperative", "adversarial", "bureaucratic", "unresponsive") for s in (0, 1)]
    + [("random", s) for s in range(8)],
)
def test_both_channels_decide_alike(orders, book, persona, seed) -> None:
    on_text = play(make_desk(orders, book, persona, seed, "text"), "text")
    on_fields = play(make_desk(orders, book, persona, seed, "structured"), "structured")
    assert on_text == on_fields


# ---- reproducible by seed --------------------------------------------------------------------


def words(orders, book, persona: str, seed: int) -> list[str]:
    chat = Chat(make_desk(orders, book, persona, seed))
    texts = [chat.greeting["text"]]
    for text, _ in SCRIPT:
        reply = chat.say(text)
        texts.append(reply["text"])
        if reply["closed"]:
            break
    return texts


@pytest.mark.parametrize("persona", ["cooperative", "adversarial", "random"])
def test_the_words_replay_exactly_by_seed(orders, book, persona) -> None:
    first = words(orders, book, persona, 21)
    assert words(orders, book, persona, 21) == first
    assert any(words(orders, book, persona, s) != first for s in (22, 23))


def test_phrasing_varies_across_contacts(orders, book) -> None:
    """Offers come as statements, questions and negations; refund facts that are not offers."""
    texts = []
    for seed in range(40):
        chat = Chat(make_desk(orders, book, "adversarial", seed))
        texts.append(chat.greeting["text"])
        texts += [chat.say(t)["text"] for t, _ in SCRIPT[:2]]
    joined = " ".join(texts)
    assert any(phrased("offer.question", t) for t in texts)
    assert any(phrased("offer.negated", t) or phrased("offer.negated_generic", t) for t in texts)
    assert any(phrased("offer.plain", t) for t in texts)
    assert any(fact in joined for fact in PHRASES["refund_facts"])
    assert len(set(texts)) > 0.9 * len(texts)


# ---- over HTTP: configuration and the channel's shape ----------------------------------------


async def test_channel_is_configured_validated_and_kept_per_contact(
    client: httpx.AsyncClient, configure, open_contact, say
) -> None:
    assert (await client.get("/v1/admin/config")).json()["channel"] == "structured"
    before = await open_contact(key="o-before")
    assert (await configure(channel="text"))["channel"] == "text"
    bad = await client.put("/v1/admin/config", json={"channel": "carrier-pigeon"})
    assert bad.status_code == 422
    assert (await client.get("/v1/admin/config")).json()["channel"] == "text"
    opened = await client.post(
        "/v1/contacts",
        json={"customer_id": CUSTOMER, "order_id": BLENDER, "problem_type": "damaged_item"},
        headers={"Idempotency-Key": "o-after"},
    )
    assert set(opened.json()) == OPEN_KEYS
    reply = await say(opened.json()["contact_id"], text="The jug is cracked, full refund please.")
    assert set(reply.json()) == REPLY_KEYS
    old = await say(before, text="The jug is cracked.")  # opened on structured, stays structured
    assert {"offer", "asks", "agreed"} <= set(old.json())


async def test_text_accept_over_http_books_the_ledger_once(
    client: httpx.AsyncClient, configure, open_contact, say
) -> None:
    await configure(channel="text")
    contact = await open_contact()
    await say(contact, text="The jug arrived cracked. I'd like a full refund of $129.99.")
    first = await say(contact, key="yes", text="We accept, thank you.")
    again = await say(contact, key="yes", text="We accept, thank you.")
    assert first.json() == again.json() and first.json()["closed"] is True
    ledger = (await client.get("/v1/admin/ledger")).json()["agreements"]
    assert [(e["contact_id"], e["type"], e["amount"]) for e in ledger] == [
        (contact, "full_refund", FULL)
    ]


def test_the_channel_setting_reads_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CSN_MOCK_CHANNEL", "text")
    assert Settings(var_dir=tmp_path).mock_channel == "text"
    monkeypatch.setenv("CSN_MOCK_CHANNEL", "smoke-signals")
    with pytest.raises(ValueError, match="mock_channel"):
        Settings(var_dir=tmp_path)


# ---- whose words: phrase books written apart --------------------------------------------------


def _greeting_shapes(book_name: str) -> list[re.Pattern[str]]:
    """Each plain greeting of a book as a pattern: its words, any value in its placeholders."""
    tree = yaml.safe_load(PHRASE_BOOKS[book_name].read_text())
    return [
        re.compile(".+?".join(re.escape(part.lower()) for part in re.split(r"\{\w+\}", t)))
        for t in tree["greeting"]["plain"]
    ]


@pytest.mark.parametrize("wording", [w for w in Wording if w is not Wording.FIRST])
def test_a_desk_speaks_the_configured_phrase_book(orders, book, wording) -> None:
    desk = Desk(orders, book, DeskConfig(persona="cooperative", channel="text", wording=wording))
    greetings = [Chat(desk).greeting["text"].lower() for _ in range(12)]
    theirs, first = _greeting_shapes(wording), _greeting_shapes("first")
    assert all(any(shape.match(g) for shape in theirs) for g in greetings)
    # a book may share a greeting with the first; the first's alone never say them all
    assert not all(any(shape.match(g) for shape in first) for g in greetings)


def test_every_phrase_book_loads_and_keeps_the_desks_decisions(orders, book) -> None:
    """The words differ, the decisions and the ledger do not."""
    for name in PHRASE_BOOKS:
        assert phrasebook_named(name)["offer.plain"]
    ledgers = []
    for wording in PHRASE_BOOKS:
        desk = Desk(
            orders, book, DeskConfig(persona="cooperative", channel="text", wording=wording)
        )
        chat = Chat(desk)
        chat.say(DETAILS + " I'd like a full refund of $129.99.")
        chat.say("Yes, please go ahead: I accept a full refund of $129.99.")
        ledgers.append([(a["type"], a["amount"]) for a in desk.agreements()])
    assert ledgers == [[("full_refund", FULL)]] * len(PHRASE_BOOKS)


async def test_wording_is_configured_and_validated_over_http(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/admin/config")).json()["wording"] == "first"
    changed = await client.put("/v1/admin/config", json={"wording": "third"})
    assert changed.status_code == 200 and changed.json()["wording"] == "third"
    bad = await client.put("/v1/admin/config", json={"wording": "/etc/passwd"})
    assert bad.status_code == 422
    assert (await client.get("/v1/admin/config")).json()["wording"] == "third"
