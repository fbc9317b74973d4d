"""The desk's words on the text channel: what a reply means, phrased as a chat agent would.

The personas decide; a `Speech` says what their reply does (an offer, a refusal, a
request for photos, ...). Here it becomes a person's words, from the phrasings in
`phrasings.yaml`, picked by the contact's own seeded generator so a seed replays the
same chat. The file is checked when it loads: every list the wording needs is there,
with enough variety, and uses only the placeholders its kind of sentence can fill.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mock_cs_service.personas import Act, Lead, Speech
from shared.domain import Offer, OfferType

PHRASINGS = Path(__file__).parent / "phrasings.yaml"


class Wording(StrEnum):
    """Whose words the desk speaks on the text channel: phrase books, each written apart
    from the others and from the reader's corpora. The first is the desk's own; the reader
    was then fixed on the second, third, fourth, fifth, seventh and eighth books' words (the
    fifth after two rounds held out, the eighth after one) and on the tenth's and eleventh's
    after their first reads, and on the twelfth's, fourteenth's, fifteenth's, sixteenth's,
    nineteenth's, twentieth's, twenty-first's, twenty-second's, twenty-fourth's,
    twenty-fifth's, twenty-eighth's, twenty-ninth's and thirty-seventh's after their first
    reads, and on the twenty-seventh's after three rounds held out; the sixth, ninth,
    thirteenth, seventeenth, eighteenth, twenty-third, twenty-sixth, thirtieth, thirty-first,
    thirty-second, thirty-third, thirty-fourth, thirty-fifth and thirty-sixth are held out
    (never read by anyone tuning the reader), so a bench can face desks nobody tuned for."""

    FIRST = "first"
    SECOND = "second"
    THIRD = "third"
    FOURTH = "fourth"
    FIFTH = "fifth"
    SIXTH = "sixth"
    SEVENTH = "seventh"
    EIGHTH = "eighth"
    NINTH = "ninth"
    TENTH = "tenth"
    ELEVENTH = "eleventh"
    TWELFTH = "twelfth"
    THIRTEENTH = "thirteenth"
    FOURTEENTH = "fourteenth"
    FIFTEENTH = "fifteenth"
    SIXTEENTH = "sixteenth"
    SEVENTEENTH = "seventeenth"
    EIGHTEENTH = "eighteenth"
    NINETEENTH = "nineteenth"
    TWENTIETH = "twentieth"
    TWENTYFIRST = "twentyfirst"
    TWENTYSECOND = "twentysecond"
    TWENTYTHIRD = "twentythird"
    TWENTYFOURTH = "twentyfourth"
    TWENTYFIFTH = "twentyfifth"
    TWENTYSIXTH = "twentysixth"
    TWENTYSEVENTH = "twentyseventh"
    TWENTYEIGHTH = "twentyeighth"
    TWENTYNINTH = "twentyninth"
    THIRTIETH = "thirtieth"
    THIRTYFIRST = "thirtyfirst"
    THIRTYSECOND = "thirtysecond"
    THIRTYTHIRD = "thirtythird"
    THIRTYFOURTH = "thirtyfourth"
    THIRTYFIFTH = "thirtyfifth"
    THIRTYSIXTH = "thirtysixth"
    THIRTYSEVENTH = "thirtyseventh"


PHRASE_BOOKS = {
    book: PHRASINGS if book is Wording.FIRST else PHRASINGS.with_name(f"phrasings_{book}.yaml")
    for book in Wording
}
MIN_PHRASINGS = 4
QUESTION_SHARE = 0.3  # offers put as a question ("Would $40 back work for you?")
NEGATED_SHARE = 0.5  # offers that turn down the ask put with a negation ("I can't do X, but")
INLINE_RETURN_SHARE = 0.5  # return terms inside the offer's sentence rather than after it
DAYS_SHARE = 0.6
CLOSER_SHARE = 0.85
ANYTHING_ELSE_SHARE = 0.5
REFUND_FACT_SHARE = 0.2  # a sentence about refunds that is not an offer, added to a reply
REFUND_FACT_ACTS = frozenset(
    {Act.GREET, Act.NEED_DETAILS, Act.STALL, Act.OFFER, Act.REPEAT, Act.DECLINE, Act.CONFIRM_YES}
)
REFUNDS = frozenset({OfferType.FULL_REFUND, OfferType.PARTIAL_REFUND})
SHIPMENTS = frozenset({OfferType.REPLACEMENT, OfferType.RESHIP})
OFFER_KINDS = ("full_refund", "partial_refund", "store_credit", "replacement", "reship")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}
WANTED = {
    OfferType.FULL_REFUND: "a full refund",
    OfferType.PARTIAL_REFUND: "a partial refund",
    OfferType.STORE_CREDIT: "store credit",
    OfferType.REPLACEMENT: "a replacement",
    OfferType.RESHIP: "a reshipment",
    OfferType.RETURN_LABEL: "a return label",
    OfferType.NONE: "that",
}


def _kinds(required: Iterable[str], optional: Iterable[str] = ()) -> tuple[frozenset[str], ...]:
    return frozenset(required), frozenset(required) | frozenset(optional)


# Every list the wording uses: (placeholders each phrasing must use, placeholders it may use).
PLACEHOLDERS: dict[str, tuple[frozenset[str], ...]] = {
    "greeting.plain": _kinds({"name", "order_id"}, {"item"}),
    "greeting.busy": _kinds(()),
    "greeting.paperwork": _kinds({"asks"}, {"name"}),
    "details.problem_question": _kinds(()),
    "details.still_need": _kinds({"asks"}),
    **{f"details.{ask}": _kinds(()) for ask in ("order_id", "description", "photos", "problem")},
    **{f"lead.{lead}": _kinds(()) for lead in ("apology", "opening", "granted", "firm", "again")},
    "lead.supervisor": _kinds(()),
    "lead.supervisor_agrees": _kinds(()),
    "lead.citation": _kinds({"policy"}),
    "lead.bad_citation": _kinds({"policy"}),
    "refusal.amount": _kinds({"wanted_amount"}),
    "refusal.type": _kinds({"wanted"}),
    "offer.plain": _kinds({"offer"}),
    "offer.question": _kinds({"offer"}),
    "offer.negated": _kinds({"wanted", "offer"}),
    "offer.negated_generic": _kinds({"offer"}),
    "offer.closer": _kinds(()),
    "offer.repeat": _kinds({"offer"}),
    **{f"thing.{kind}": _kinds({"amount"}) for kind in OFFER_KINDS[:3]},
    **{f"thing.{kind}": _kinds((), {"item"}) for kind in (*OFFER_KINDS[3:], "return_label")},
    **{f"method.{how}": _kinds(()) for how in ("card", "original_payment", "gift_card")},
    "fee": _kinds({"fee"}),
    **{
        f"returns.{way}": _kinds((), {"item"})
        for way in ("required_inline", "required_sentence", "waived_inline", "waived_sentence")
    },
    **{f"days.{kind}": _kinds({"days"}) for kind in ("refund", "credit", "shipment")},
    "decline": _kinds({"reason"}),
    "anything_else": _kinds(()),
    "stall": _kinds(()),
    "hang_up": _kinds(()),
    "nothing_to_accept": _kinds(()),
    "farewell": _kinds(()),
    "wrap_up": _kinds(()),
    "agreed": _kinds({"terms"}),
    **{f"confirm.{way}": _kinds({"terms"}) for way in ("right", "wrong", "recap")},
    "confirm.not_what_i_offered": _kinds({"terms"}),
    "refund_facts": _kinds(()),
}


class PhrasingError(ValueError):
    """The phrasing file is missing a list, is too thin, or uses a placeholder it cannot fill."""


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check(path: str, phrasings: Any) -> tuple[str, ...]:
    if not isinstance(phrasings, list) or not all(isinstance(p, str) for p in phrasings):
        raise PhrasingError(f"{path}: expected a list of phrasings")
    if len(set(phrasings)) < MIN_PHRASINGS:
        raise PhrasingError(f"{path}: needs at least {MIN_PHRASINGS} different phrasings")
    required, allowed = PLACEHOLDERS[path]
    for phrasing in phrasings:
        try:
            used = _fields(phrasing)
        except ValueError as exc:
            raise PhrasingError(f"{path}: {phrasing!r}: {exc}") from exc
        if used - allowed or required - used:
            raise PhrasingError(
                f"{path}: {phrasing!r} must use {sorted(required)} and may use {sorted(allowed)}"
            )
        last = "terms" if "terms" in used else "offer" if path == "offer.repeat" else ""
        if last and not _ends_with(last, phrasing):
            raise PhrasingError(f"{path}: {phrasing!r}: {{{last}}} must end its sentence")
    return tuple(phrasings)


def _ends_with(field: str, template: str) -> bool:
    """Whether `{field}` ends a sentence of the template (the offer's clauses can follow it)."""
    return bool(re.search(r"\{" + field + r"\}[.!?:]", template + "."))


class Phrasebook:
    """The desk's phrasings by kind, checked."""

    def __init__(self, tree: Mapping[str, Any]) -> None:
        flat = _flatten(tree)
        missing = sorted(set(PLACEHOLDERS) - set(flat))
        unknown = sorted(set(flat) - set(PLACEHOLDERS))
        if missing or unknown:
            raise PhrasingError(f"phrasings missing: {missing}; not used by the desk: {unknown}")
        self._phrasings = {path: _check(path, flat[path]) for path in PLACEHOLDERS}

    @classmethod
    def load(cls, path: Path = PHRASINGS) -> Phrasebook:
        """Read and check a phrasing file."""
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PhrasingError(f"cannot read phrasings {path}: {exc}") from exc
        if not isinstance(tree, Mapping):
            raise PhrasingError(f"{path}: expected a mapping of phrasing lists")
        return cls(tree)

    def __getitem__(self, kind: str) -> tuple[str, ...]:
        return self._phrasings[kind]

    def say(self, speech: Speech, scene: Scene, rng: random.Random) -> str:
        """One reply in words."""
        return _Voice(self, scene, rng).say(speech)


@cache
def phrasebook_named(name: Wording = Wording.FIRST) -> Phrasebook:
    """A shipped phrase book (`PHRASE_BOOKS`), read once per process."""
    return Phrasebook.load(PHRASE_BOOKS[name])


def default_phrasebook() -> Phrasebook:
    """The first desk's phrasings."""
    return phrasebook_named(Wording.FIRST)


@dataclass(frozen=True)
class Scene:
    """What an agent's words can refer to."""

    agent_name: str
    order_id: str
    item: str
    currency: str = "USD"
    payment_method: str = "card"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _days(days: int) -> str:
    return f"{days} business day{'s' if days != 1 else ''}"


class _Voice:
    """One reply being phrased: the book, what it may mention, and the contact's generator."""

    def __init__(self, book: Phrasebook, scene: Scene, rng: random.Random) -> None:
        self.book, self.scene, self.rng = book, scene, rng

    def pick(self, kind: str, **values: str) -> str:
        return self.rng.choice(self.book[kind]).format(**values)

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def say(self, speech: Speech) -> str:
        sentences = _ACTS[speech.act](self, speech)
        if speech.act in REFUND_FACT_ACTS and self.chance(REFUND_FACT_SHARE):
            sentences.append(self.pick("refund_facts"))
        if speech.wrap_up:
            sentences.append(self.pick("wrap_up"))
        return " ".join(_sentence(s) for s in sentences if s)

    # ---- offers in words ---------------------------------------------------------------------

    def money(self, amount: float | None) -> str:
        if amount is None:
            return "the full amount"
        symbol = SYMBOLS.get(self.scene.currency)
        whole = abs(amount - round(amount)) < 0.005
        number = f"{amount:,.0f}" if whole and self.chance(0.5) else f"{amount:,.2f}"
        return f"{symbol}{number}" if symbol else f"{number} {self.scene.currency}"

    def method(self, offer: Offer) -> str:
        how = (offer.refund_method or "").lower()
        if "gift" in how or "gift" in self.scene.payment_method.lower():
            return "gift_card"
        if self.scene.payment_method == "card" and how in {"", "original_payment"}:
            return self.rng.choice(("card", "original_payment"))
        return "original_payment"

    def offer(self, offer: Offer, *, with_return: bool) -> str:
        """The offer as a noun phrase: what, how much, where the money goes, fees; maybe return."""
        kind = OfferType(offer.type)
        words = [self.pick(f"thing.{kind}", amount=self.money(offer.amount), item=self.scene.item)]
        if kind in REFUNDS:
            words.append(self.pick(f"method.{self.method(offer)}"))
        if offer.restocking_fee:
            words.append(self.pick("fee", fee=self.money(offer.restocking_fee)))
        text = " ".join(words)
        if with_return and offer.return_required:
            text += ", " + self.pick("returns.required_inline", item=self.scene.item)
        elif with_return and kind in REFUNDS | SHIPMENTS:
            text += ", " + self.pick("returns.waived_inline", item=self.scene.item)
        return text

    def return_sentence(self, offer: Offer) -> str:
        if offer.return_required:
            return self.pick("returns.required_sentence", item=self.scene.item)
        if offer.type in SHIPMENTS | {OfferType.FULL_REFUND}:  # not worth a word on a goodwill sum
            return self.pick("returns.waived_sentence", item=self.scene.item)
        return ""

    def days_sentence(self, offer: Offer) -> str:
        if not offer.days_to_complete or not self.chance(DAYS_SHARE):
            return ""
        kind = OfferType(offer.type)
        which = "refund"
        if kind in SHIPMENTS:
            which = "shipment"
        elif kind == OfferType.STORE_CREDIT:
            which = "credit"
        return self.pick(f"days.{which}", days=_days(offer.days_to_complete))

    def wanted(self, ask: Offer) -> str:
        label = WANTED[OfferType(ask.type)]
        if ask.amount is None or ask.type in SHIPMENTS:
            return label
        if ask.type == OfferType.STORE_CREDIT:
            return f"{self.money(ask.amount)} in store credit"
        return f"{label} of {self.money(ask.amount)}"

    def terms(self, offer: Offer) -> str:
        return self.offer(offer, with_return=True)

    # ---- replies -----------------------------------------------------------------------------

    def lead(self, speech: Speech) -> str:
        lead = speech.lead
        if lead is None:
            return ""
        if lead == Lead.REFUSED_AMOUNT and speech.wanted is not None:
            return self.pick("refusal.amount", wanted_amount=self.money(speech.wanted.amount))
        if lead in {Lead.REFUSED_TYPE, Lead.REFUSED_AMOUNT}:
            wanted = self.wanted(speech.wanted) if speech.wanted else "that"
            return self.pick("refusal.type", wanted=wanted)
        if lead in {Lead.CITATION, Lead.BAD_CITATION}:
            return self.pick(f"lead.{lead}", policy=speech.policy)
        return self.pick(f"lead.{lead}")

    def make_offer(self, speech: Speech) -> list[str]:
        offer = speech.offer
        assert offer is not None
        wanted = speech.wanted if speech.wanted and _differs(speech.wanted, offer) else None
        turning_down = speech.lead in {Lead.OPENING, Lead.REFUSED_AMOUNT, Lead.REFUSED_TYPE}
        inline = self.chance(INLINE_RETURN_SHARE)
        words = self.offer(offer, with_return=inline)
        lead = self.lead(speech)
        if turning_down and wanted is not None and self.chance(NEGATED_SHARE):
            frame = self.pick("offer.negated", wanted=self.wanted(wanted), offer=words)
            lead = "" if speech.lead != Lead.OPENING else lead
        elif (
            speech.lead == Lead.OPENING
            and offer.type != OfferType.FULL_REFUND
            and self.chance(NEGATED_SHARE / 2)
        ):
            frame = self.pick("offer.negated_generic", offer=words)
        elif self.chance(QUESTION_SHARE):
            frame = self.pick("offer.question", offer=words)
        else:
            frame = self.pick("offer.plain", offer=words)
        sentences = [lead, frame]
        if not inline:
            sentences.append(self.return_sentence(offer))
        sentences.append(self.days_sentence(offer))
        if not frame.endswith("?") and self.chance(CLOSER_SHARE):
            sentences.append(self.pick("offer.closer"))
        return sentences

    def repeat_offer(self, speech: Speech) -> list[str]:
        assert speech.offer is not None
        sentences = [self.lead(speech), self.pick("offer.repeat", offer=self.terms(speech.offer))]
        if speech.lead == Lead.AGAIN:
            sentences.append(self.pick("offer.closer"))
        return sentences

    def asks(self, speech: Speech) -> str:
        return _list([self.pick(f"details.{ask}") for ask in speech.asks])

    def greet(self, speech: Speech) -> list[str]:
        scene = self.scene
        return [
            self.pick(
                "greeting.plain", name=scene.agent_name, order_id=scene.order_id, item=scene.item
            )
        ]

    def paperwork(self, speech: Speech) -> list[str]:
        return [self.pick("greeting.paperwork", name=self.scene.agent_name, asks=self.asks(speech))]

    def still_need(self, speech: Speech) -> list[str]:
        return [self.pick("details.still_need", asks=self.asks(speech))]

    @staticmethod
    def simply(kind: str) -> Callable[[_Voice, Speech], list[str]]:
        """A reply of one sentence of `kind`, with nothing to fill in."""
        return lambda voice, speech: [voice.pick(kind)]

    @staticmethod
    def restating(kind: str) -> Callable[[_Voice, Speech], list[str]]:
        """A reply of one sentence of `kind` that restates the offer with all its terms."""

        def restate(voice: _Voice, speech: Speech) -> list[str]:
            assert speech.offer is not None
            return [voice.pick(kind, terms=voice.terms(speech.offer))]

        return restate

    def agreed(self, speech: Speech) -> list[str]:
        assert speech.offer is not None
        sentences = [self.pick("agreed", terms=self.terms(speech.offer))]
        sentences.append(self.days_sentence(speech.offer))
        if self.chance(ANYTHING_ELSE_SHARE):
            sentences.append(self.pick("anything_else"))
        return sentences

    def decline(self, speech: Speech) -> list[str]:
        sentences = [self.pick("decline", reason=speech.reason)]
        if self.chance(ANYTHING_ELSE_SHARE):
            sentences.append(self.pick("anything_else"))
        return sentences


def _differs(wanted: Offer, offer: Offer) -> bool:
    if wanted.type != offer.type:
        return True
    return wanted.amount is not None and abs(wanted.amount - (offer.amount or 0.0)) > 0.005


_ACTS: dict[Act, Callable[[_Voice, Speech], list[str]]] = {
    Act.GREET: _Voice.greet,
    Act.GREET_BUSY: _Voice.simply("greeting.busy"),
    Act.GREET_PAPERWORK: _Voice.paperwork,
    Act.ASK_PROBLEM: _Voice.simply("details.problem_question"),
    Act.NEED_DETAILS: _Voice.still_need,
    Act.DECLINE: _Voice.decline,
    Act.OFFER: _Voice.make_offer,
    Act.REPEAT: _Voice.repeat_offer,
    Act.STALL: _Voice.simply("stall"),
    Act.HANG_UP: _Voice.simply("hang_up"),
    Act.NOTHING_TO_ACCEPT: _Voice.simply("nothing_to_accept"),
    Act.AGREED: _Voice.agreed,
    Act.FAREWELL: _Voice.simply("farewell"),
    Act.CONFIRM_YES: _Voice.restating("confirm.right"),
    Act.CONFIRM_NO: _Voice.restating("confirm.wrong"),
    Act.CONFIRM_RECAP: _Voice.restating("confirm.recap"),
    Act.NOT_WHAT_I_OFFERED: _Voice.restating("confirm.not_what_i_offered"),
}
