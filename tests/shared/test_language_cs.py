"""The reader of CS replies on phrasings it must get right: acts, offer terms, asks.

Expected values are written by hand from the labelling guide (shared/language/data/LABELS.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.language import cs_reply
from shared.language.cs_reply import (
    CSReading,
    OfferTerms,
    _decide_offer,
    live_mentions,
    read_asks,
    read_cs_reply,
    read_offer_by_rules,
)
from shared.language.entities import find_amount_spans, find_amounts, find_days, find_percent
from shared.language.model import features_text
from shared.language.normalize import normalize
from shared.language.reader import Reader, load_reader


@pytest.fixture(scope="module")
def reader() -> Reader:
    return load_reader()


def read(reader: Reader, text: str, total: float | None = 129.99) -> CSReading:
    return read_cs_reply(text, reader, total)


def model_reads(
    text: str, kind: str, sure: float = 0.9, acts: dict[str, float] | None = None
) -> tuple[OfferTerms | None, bool]:
    """`_decide_offer` where the kind model reads `kind` this sure (and the acts model reads an
    offer, unless `acts` says otherwise): the offer and whether the reply is unsure."""
    offer, unsure, _ = _decide_offer(
        normalize(text),
        acts or {"offer": 0.8, "confirmation": 0.1},
        kind,
        0.05,
        129.99,
        model_sure=sure,
    )
    return offer, unsure


def kind_amount_return(reading: CSReading) -> tuple[str, float | None, bool | None]:
    """The terms a test checks: the remedy's kind, its sum and whether the item goes back."""
    assert reading.offer is not None, reading
    return reading.offer.type, reading.offer.amount, reading.offer.return_required


def offered(reader: Reader, text: str, total: float | None = None) -> OfferTerms:
    """The offer the reader finds in a text, which must have one."""
    offer = read(reader, text, total).offer
    assert offer is not None, text
    return offer


def test_instead_of_offers_the_alternative(reader: Reader) -> None:
    reading = read(reader, "Instead of a full refund, we can offer you store credit")
    assert reading.offer is not None and reading.offer.type == "store_credit"
    assert "offer" in reading.acts


@pytest.mark.parametrize(
    "text",
    [
        "We can\u2019t offer a full refund",
        "We can't offer a full refund on this item.",
        "Unfortunately a replacement isn't possible for this order.",
        "Our records show a refund of $129.99 was already issued",
        "We processed your return on 8 June and the refund of $54.30 was issued the same day.",
        "Would you like a full refund or a replacement?",
        "I can offer a refund of $25 or a replacement. Which would you prefer?",
        "If it were still within the 30 days I could refund it, but unfortunately it isn't.",
        "I've asked my manager about a partial refund and will update you as soon as I hear.",
        "We normally offer a replacement, but I need to check stock first.",
        "I understand you'd like a full refund.",
        "Refunds usually take 5-7 business days to post.",
        "Before I can proceed, I'll need photos of the product and the shipping label.",
        "Did the replacement arrive yet?",
        "I could've offered a replacement if you'd contacted us sooner.",
        "We aren't in a position to refund this, sorry.",
        "Should we go with the refund or the exchange?",
    ],
)
def test_no_offer_where_none_is_made(reader: Reader, text: str) -> None:
    assert read(reader, text).offer is None


def test_curly_apostrophe_negation_is_a_refusal(reader: Reader) -> None:
    reading = read(reader, "We can\u2019t offer a full refund")
    assert "refusal" in reading.acts and "offer" not in reading.acts


def test_choice_question_asks_the_preferred_remedy(reader: Reader) -> None:
    reading = read(reader, "Would you like a full refund or a replacement?")
    assert "question" in reading.acts and "offer" not in reading.acts
    assert "preferred_remedy" in reading.asks


def test_past_refund_is_a_fact(reader: Reader) -> None:
    reading = read(reader, "Our records show a refund of $129.99 was already issued")
    assert "fact" in reading.acts and reading.offer is None


def test_credited_to_original_payment(reader: Reader) -> None:
    reading = read(reader, "$40 has been credited to your original payment method")
    offer = reading.offer
    assert offer is not None
    assert (offer.type, offer.amount, offer.refund_method) == (
        "partial_refund",
        40.0,
        "original_payment",
    )


def test_money_back_on_the_card(reader: Reader) -> None:
    offer = read(reader, "I can put $25 back on your card").offer
    assert offer is not None and (offer.type, offer.amount) == ("partial_refund", 25.0)


def test_refund_in_full_is_full(reader: Reader) -> None:
    offer = read(reader, "we'll refund you in full").offer
    assert offer is not None and offer.type == "full_refund"


def test_sent_out_again_is_a_reship(reader: Reader) -> None:
    offer = read(reader, "I'll have the order sent out to you again").offer
    assert offer is not None and offer.type == "reship"


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("I can send you a replacement, but you'll need to send it back first.", True),
        ("We'll refund you in full once we receive the item.", True),
        ("I can refund $30 and you can keep it.", False),
        ("We can send a replacement; no need to return the broken one.", False),
        (
            "I can refund $9.99 for the shipping; it'll go back to the same card within 48 hours.",
            None,
        ),
        ("Refund of $12 done. Keep items.", False),
        ("I'll put $8 back on your card, the mug is yours to keep.", False),
        ("We give you $20 refund, you do not need send the product.", False),
        ("A new kettle is on its way; feel free to dispose of the old one.", False),
        ("Please don't worry about posting it back, I'll refund you in full.", False),
        ("I can do a full refund and nothing has to be sent back.", False),
        ("Mail back the lamp and we'll refund every penny.", True),
        ("As soon as the parcel lands at our warehouse your refund goes out.", True),
    ],
)
def test_return_required(reader: Reader, text: str, required: bool | None) -> None:
    offer = read(reader, text).offer
    assert offer is not None and offer.return_required is required


def test_conditional_offer_asks_for_photos(reader: Reader) -> None:
    reading = read(reader, "If you send photos, I can refund $30")
    assert reading.offer is not None and (reading.offer.type, reading.offer.amount) == (
        "partial_refund",
        30.0,
    )
    assert {"offer", "question"} <= set(reading.acts) and "photos" in reading.asks


def test_proposal_question_is_an_offer(reader: Reader) -> None:
    reading = read(reader, "Would a refund of $30 work?")
    assert reading.offer is not None and (reading.offer.type, reading.offer.amount) == (
        "partial_refund",
        30.0,
    )
    assert "offer" in reading.acts


def test_confirmation_restates_terms(reader: Reader) -> None:
    reading = read(reader, "Yes, that's right: a full refund of $129.99, no return needed")
    offer = reading.offer
    assert reading.confirms and offer is not None
    assert (offer.type, offer.amount, offer.return_required) == ("full_refund", 129.99, False)


def test_contradiction_with_the_terms_offered(reader: Reader) -> None:
    reading = read(reader, "No, that's not what I offered: it was $40 store credit")
    assert reading.contradicts and not reading.confirms
    offer = reading.offer
    assert offer is not None and (offer.type, offer.amount) == ("store_credit", 40.0)


def test_amount_in_words(reader: Reader) -> None:
    offer = read(reader, "I can offer you forty dollars back for the trouble.").offer
    assert offer is not None and (offer.type, offer.amount) == ("partial_refund", 40.0)


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("I can refund half of the price and you keep it.", 50.0),
        ("We can offer 20% of the order back.", 20.0),
        ("As a gesture of goodwill I can offer ten percent of the order back.", 10.0),
        ("The most I can give is 8% of the total back for the wait.", 8.0),
    ],
)
def test_shares(reader: Reader, text: str, percent: float) -> None:
    offer = read(reader, text, total=200.0).offer
    assert offer is not None and (offer.type, offer.percent) == ("partial_refund", percent)


def test_counter_offer_after_a_refusal(reader: Reader) -> None:
    reading = read(
        reader, "I'm afraid we can't refund a gift, but we can offer an exchange of equal value."
    )
    assert reading.offer is not None and reading.offer.type == "replacement"
    assert {"offer", "refusal"} <= set(reading.acts)


def test_restocking_fee_is_not_the_amount(reader: Reader) -> None:
    text = "We can offer a full refund of $1,049.00, less a restocking fee of $104.90, once the carrier collects it."
    offer = read(reader, text, total=1049.0).offer
    assert offer is not None
    assert (offer.type, offer.amount, offer.restocking_fee, offer.return_required) == (
        "full_refund", 1049.0, 104.9, True,
    )  # fmt: skip


def test_stated_net_after_a_fee(reader: Reader) -> None:
    text = "If you return the unit, we will refund $420 minus a $42 restocking fee, so $378 to your card."
    offer = read(reader, text, total=420.0).offer
    assert offer is not None and (offer.type, offer.amount, offer.restocking_fee) == (
        "full_refund",
        378.0,
        42.0,
    )


def test_label_serves_a_refund(reader: Reader) -> None:
    offer = read(
        reader,
        "We'll email you a prepaid label; the full refund goes out as soon as the parcel is scanned.",
    ).offer
    assert offer is not None and (offer.type, offer.return_required) == ("full_refund", True)


def test_duplicate_charge_is_a_partial_refund(reader: Reader) -> None:
    offer = read(
        reader, "We'll refund the duplicate charge of $74.99 to your card.", total=74.99
    ).offer
    assert offer is not None and (offer.type, offer.amount) == ("partial_refund", 74.99)


def test_closing(reader: Reader) -> None:
    reading = read(reader, "Glad I could help. Have a lovely weekend!")
    assert reading.acts == ["closing"] and reading.offer is None


def test_words_and_shares_as_entities() -> None:
    assert find_amounts("forty dollars and twenty-five bucks") == [40.0, 25.0]
    assert find_percent("thirty percent of the order") == 30.0
    assert find_percent("half the price") == 50.0


@pytest.mark.parametrize(
    "text", ["$12.50", "AED 1,299", "150 SAR", "40 dollars", "2,750 dirhams", "R350", "₦12,500"]
)
def test_the_models_see_every_sum_the_entities_read_as_one_placeholder(text: str) -> None:
    """One reading of a sum: what the entities read as money, the models see as money."""
    assert find_amounts(text) and features_text(f"we can do {text} back").split() == [
        "we", "can", "do", "moneyamount", "back",
    ]  # fmt: skip


def test_product_names_are_things_not_remedies(reader: Reader) -> None:
    text = (
        "Great, that's confirmed. I've arranged a brand-new Gift Card in a Greeting Card, $50, "
        "sent out free of charge, after the Gift Card in a Greeting Card, $50 is returned to us."
    )
    named = read_cs_reply(text, reader, 50.0, ["Gift Card in a Greeting Card, $50"])
    assert named.offer is not None and named.offer.type == "replacement"
    assert named.offer.amount is None and named.confirms


@pytest.mark.parametrize(
    "text",
    [
        "How does a new unit to replace the one you received, and you can keep the item sound?",
        "The offer is still a new unit to replace the one you received, no return needed.",
    ],
)
def test_the_item_you_received_does_not_put_the_remedy_in_the_past(
    reader: Reader, text: str
) -> None:
    reading = read_cs_reply(text, reader, 80.0)
    assert reading.offer is not None and reading.offer.type == "replacement"


@pytest.mark.parametrize(
    "text",
    [
        "FYI, refunds over $500 need an extra approval step on our side.",
        "I'll get back to you shortly about your refund.",
        "I'm waiting to hear back from the warehouse about your replacement.",
        "The refund you received was for the wrong amount.",
        # a standing rule, however it is put
        "Baskets over $40 ship free; under that, $3.95 postage is deducted from any refund.",
        "The annual plan of $79 is refundable in full only within the first 30 days.",
        "Heads-up: a delivery fee becomes eligible for a refund if the parcel is 3 days late.",
        "Our goodwill scheme works like this: 2 days late, 5% back; 5 days, 15% back.",
        "Just for context, the standard refund timeline is 3-5 working days after inspection.",
        "We add reward points on every order, one point per pound.",
        "We can only accept unopened items back for a refund.",
        # a remedy said back while CS checks or asks first
        "So you'd prefer a refund rather than a new one. Let me see if that's possible here.",
        "Ok, a voucher for around $15, is that what you're after? I'd have to ask my supervisor.",
        "I see you're asking for credit instead of a refund. I'll find out whether that works.",
        # where a remedy stands, neither given nor offered
        "The refund hasn't been issued yet; the parcel is still on its way back to us.",
        "I'd rather not refund yet, the parcel may still turn up. Can we give it till Friday?",
    ],
)
def test_policy_pending_and_past_remedies_are_no_offer(reader: Reader, text: str) -> None:
    assert read_cs_reply(text, reader, 600.0).offer is None


def test_a_label_serves_the_replacement_it_comes_with(reader: Reader) -> None:
    text = (
        "Yes, that's right: a free replacement, shipped at no cost to you once we receive the "
        "item back (I'll email you a prepaid return label); it's usually completed within 7 "
        "business days. Just let me know if you'd like me to go ahead."
    )
    reading = read_cs_reply(text, reader, 34.5)
    assert reading.offer is not None and reading.offer.type == "replacement"
    assert reading.offer.return_required is True and reading.confirms


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("I'm still missing clear images of the product, and I can't move forward without that.", ["photos"]),
        ("We are still waiting for the serial number.", ["serial_number"]),
    ],
)  # fmt: skip
def test_what_cs_is_still_missing_is_asked_for(text: str, asks: list[str]) -> None:
    assert read_asks(text) == asks


def test_the_overcharged_amount_is_part_of_the_money(reader: Reader) -> None:
    offer = read(reader, "I will refund the overcharged amount to your card today.").offer
    assert offer is not None and offer.type == "partial_refund"


def test_one_texts_features_are_what_the_vectorizers_compute(reader: Reader) -> None:
    """The single-text TF-IDF (no sklearn transform) against sklearn's own, on held-out text."""
    import numpy as np

    from shared.language.model import _tfidf_of_one, features_text
    from shared.language.reader import training_records

    customer, cs = training_records("test")
    texts = [str(r["text"]) for r in (customer + cs)[:300]] + ["", "?!", "0000 ordernumber"]
    union = reader.acts._features._union
    for text in texts:
        seen = features_text(text)
        for _, vectorizer in union.transformer_list:
            expected = vectorizer.transform([seen]).toarray().ravel()
            columns, weights = _tfidf_of_one(vectorizer, seen)
            got = np.zeros_like(expected)
            got[columns] = weights
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        (
            "Thanks, that code would have saved you $11.70, so I'll refund that to your card now.",
            "partial_refund",
            11.7,
        ),
        (
            "I'll refund the $2.95 delivery charge since the free-shipping threshold should have applied.",
            "partial_refund",
            2.95,
        ),
    ],
)
def test_an_unreal_past_beside_the_offer_does_not_govern_it(
    reader: Reader, text: str, kind: str, amount: float
) -> None:
    reading = read(reader, text)
    assert reading.offer is not None
    assert (reading.offer.type, reading.offer.amount) == (kind, amount)
    assert "offer" in reading.acts and "refusal" not in reading.acts


@pytest.mark.parametrize(
    "text",
    [
        "I can re-send the order, or I can refund it. Up to you.",
        "Two options on my side: I can refund the charger, or post it out on its own. Which works better for you?",
        "Would you prefer the same model again, or would you like to look at refunding it instead?",
        "Let me offer you the choice: wait a few more days, or I reship now?",
        "It's $50 in store credit, or $35 back to your card. I'll do whichever you prefer.",
    ],
)
def test_a_choice_left_to_the_customer_is_a_question(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is None
    assert "question" in reading.acts and "offer" not in reading.acts
    assert "preferred_remedy" in reading.asks


@pytest.mark.parametrize(
    "text",
    [
        "sory we cant do more then $10 for this, its the max i can do",
        "No. Outside window.",
        "I'm not able to go as high as $80.",
        "I'm afraid the restocking fee can't be waived.",
        "That's our final position on this, I'm afraid.",
        "Sorry, this one is non-returnable for hygiene reasons.",
        "I'm sorry but I can't skip the return step for an item of this value.",
    ],
)
def test_refusals_in_other_words(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert "refusal" in reading.acts and reading.offer is None


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        (
            "I'm going to need the serial, it's the S/N on the sticker under the battery",
            ["serial_number"],
        ),
        ("Kindly revert with the invoice number and date of purchase.", ["dates"]),
        ("I'd be grateful if you could photograph the dent from two angles.", ["photos"]),
        (
            "We kindly ask that you provide the model number printed inside the door.",
            ["serial_number"],
        ),
        ("Please advise the flight number.", ["other"]),
    ],
)
def test_requests_in_other_words(reader: Reader, text: str, asks: list[str]) -> None:
    reading = read(reader, text)
    assert "question" in reading.acts and reading.asks == asks


@pytest.mark.parametrize(
    ("text", "kind", "amount", "required"),
    [
        (
            "Okay, I can see the price was $79 in your basket. I'll refund the $20 you were"
            " overcharged, and you keep the earbuds of course.",
            "partial_refund",
            20.0,
            False,
        ),
        (
            "Since your order was delivered late I can refund the $5.99 shipping fee back to your card.",
            "partial_refund",
            5.99,
            None,
        ),
        (
            "We can send you the missing hardware kit free of charge, usually within 2 business days.",
            "replacement",
            None,
            None,
        ),
        (
            "Once the unit arrives back at our returns centre we'll issue a full refund, normally within 14 days.",
            "full_refund",
            None,
            True,
        ),
    ],
)
def test_a_past_or_a_timing_beside_the_offer_leaves_it_on_the_table(
    reader: Reader, text: str, kind: str, amount: float | None, required: bool | None
) -> None:
    offer = read(reader, text).offer
    assert offer is not None
    assert (offer.type, offer.amount, offer.return_required) == (kind, amount, required)


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        (
            "Excellent, your order is being re-sent today. Same items, fresh tracking.",
            "reship",
            None,
        ),
        ("I can reverse that charge of $45.00 today.", "partial_refund", 45.0),
        ("Let me send back $12 for it, you keep the set.", "partial_refund", 12.0),
        (
            "We're happy to accept it back. You'll get the full two hundred dollars once we receive it.",
            "full_refund",
            200.0,
        ),
        (
            "The travel credit of USD 276.00 has been issued and sent to your email.",
            "store_credit",
            276.0,
        ),
        (
            "That's right! A new medium goes out tomorrow, and you keep the large.",
            "replacement",
            None,
        ),
        ("You are eligible for a full refund of $58.97.", "full_refund", 58.97),
    ],
)
def test_remedies_in_other_words(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    offer = read(reader, text, total=200.0 if "hundred" in text else 129.99).offer
    assert offer is not None
    assert (offer.type, offer.amount) == (kind, amount)


@pytest.mark.parametrize(
    "text",
    [
        "Have you already tried resetting the router by holding the button for ten seconds?",
        'Could you please provide the serial number? It\'s on a sticker underneath the unit, usually starting with "SN".',
        "Can you let me know the email address the gift card was sent to?",
    ],
)
def test_what_helps_a_question_is_no_fact(reader: Reader, text: str) -> None:
    assert read(reader, text).acts == ["question"]


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("Perfect, $20 credit applied to your account. No return needed.", "store_credit", 20.0),
        ("Refund processed: $45 to your card, 3-5 days to show.", "partial_refund", 45.0),
        ("Got it. A replacement kettle ordered, arriving Friday.", "replacement", None),
        ("A store credit it is: $30 on your account.", "store_credit", 30.0),
        ("That's been actioned. $18 has gone back to your card.", "partial_refund", 18.0),
        ("Lovely, so that's $25 back to your Visa and you keep the lamp.", "partial_refund", 25.0),
    ],
)
def test_a_status_line_or_an_acknowledgement_confirms(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    reading = read(reader, text)
    assert "confirmation" in reading.acts and "offer" not in reading.acts
    assert reading.offer is not None
    assert (reading.offer.type, reading.offer.amount) == (kind, amount)


@pytest.mark.parametrize(
    "text",
    [
        "I've approved $20 back to your card if you'd like it.",
        "I've arranged a $15 voucher for you, just say the word.",
    ],
)
def test_done_but_waiting_for_a_yes_is_an_offer(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert "offer" in reading.acts and "confirmation" not in reading.acts


@pytest.mark.parametrize(
    "text",
    [
        "Your refund was processed on 3 May for $40.",
        "A $10 credit was added to your account in March.",
    ],
)
def test_a_past_remedy_with_an_auxiliary_is_no_status_line(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is None and "confirmation" not in reading.acts


@pytest.mark.parametrize(
    "text",
    [
        "Our engineer confirmed the motor is faulty. We can send you a new unit next week.",
        "Please post the lamp back with the label I've emailed, and once it arrives we'll send a new one.",
        "We'll refund the full $60 once the item has been sent back to us.",
        "Let me see... yes, I can offer you $15 back on your card.",
    ],
)
def test_a_report_about_something_else_leaves_the_offer_an_offer(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert "offer" in reading.acts and "confirmation" not in reading.acts


def test_someone_elses_finding_is_no_confirmation(reader: Reader) -> None:
    reading = read(reader, "The courier has confirmed the parcel left the depot on Monday.")
    assert "confirmation" not in reading.acts


def test_a_short_report_beside_the_terms_confirms(reader: Reader) -> None:
    reading = read(reader, "So: $30 back, keep the item. Processed - it should show in 3 days.")
    assert "confirmation" in reading.acts and "offer" not in reading.acts


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("We can send two new filters to you at no cost.", "replacement", None),
        ("I'd like to fix this by sending you a new kettle today.", "replacement", None),
        ("Please recycle the cracked one and I'll arrange a fresh jar.", "replacement", None),
        ("i can put credit on ur account for the full amount", "store_credit", None),
        ("Once we have the boots back, the $35 lands on your card.", "partial_refund", 35.0),
        (
            "What I can do is add $10 of store credit to your account, if that suits?",
            "store_credit",
            10.0,
        ),
    ],
)
def test_more_remedies_in_other_words(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    offer = read(reader, text).offer
    assert offer is not None
    assert (offer.type, offer.amount) == (kind, amount)


def test_a_new_tracking_number_is_no_replacement(reader: Reader) -> None:
    reading = read(reader, "I'll send you a new tracking number by email shortly.")
    assert reading.offer is None


@pytest.mark.parametrize(
    ("text", "acts"),
    [
        (
            "I can see the lamp was delivered to your neighbour on Friday. I can refund $12 to your card.",
            ["offer", "fact"],
        ),
        (
            "The price went down a day after you ordered. I'll refund the $15 difference.",
            ["offer", "fact"],
        ),
        (
            "The carrier reports a missed delivery on Monday. When would suit you for another attempt?",
            ["question", "fact"],
        ),
        (
            "Exchanges are accepted within 60 days of purchase. Which size would you like?",
            ["question", "fact"],
        ),
        ("Which order do you mean? I can see two on your account.", ["question"]),
    ],
)
def test_a_finding_about_the_case_is_a_fact_beside_the_offer_or_question(
    reader: Reader, text: str, acts: list[str]
) -> None:
    assert set(read(reader, text).acts) == set(acts)


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        (
            "I could do $20 back... actually, let me offer the full $80 refund instead.",
            "full_refund",
            80.0,
        ),
        (
            "I'd like to send a replacement but I can't; what I can do is $25 back.",
            "partial_refund",
            25.0,
        ),
        (
            "Done: I've cancelled the exchange and issued a $64 refund to your card.",
            "partial_refund",
            64.0,
        ),
        (
            "I'll email a prepaid label; once the chair is back, the full amount goes back to your card.",
            "full_refund",
            None,
        ),
    ],
)
def test_a_remedy_taken_back_or_served_by_the_label(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    offer = offered(reader, text)
    assert (offer.type, offer.amount) == (kind, amount)


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("Replacement: same model. Return of the faulty unit: not required.", False),
        ("Refund of $20 issued. Customer retains the item.", False),
        ("$15 back to your card and the lamp is yours.", False),
        ("I'll send a new mug today, and you can bin the chipped one.", False),
        ("We can refund $6 for the bruised apples, the rest is fine to keep.", False),
        ("We won't charge a fee, and you won't need to send it back: a full refund of $40.", False),
        (
            "I can't refund you and let you keep it too; if you return it, we'll refund in full.",
            True,
        ),
        ("I'll book a collection and refund the full $300 once the driver has the sofa.", True),
        ("We'll need the shoes back before we send the right size.", True),
        ("Take the item to any of our stores and they'll refund the full $25.", True),
        ("I can send it back out to you today at no charge.", None),
    ],
)
def test_return_terms_in_other_words(reader: Reader, text: str, required: bool | None) -> None:
    offer = offered(reader, text)
    assert offer.return_required is required


@pytest.mark.parametrize(
    ("text", "acts"),
    [
        ("I can't promise anything, but I've asked my team lead about a refund.", ["fact"]),
        (
            "We don't usually cover return postage, but I'm happy to refund the $6 postage this time.",
            ["offer"],
        ),
        ("I can offer you a 20% refund since the colour isn't as pictured.", ["offer"]),
    ],
)
def test_a_hedge_a_habit_or_a_reason_is_no_refusal(
    reader: Reader, text: str, acts: list[str]
) -> None:
    assert read(reader, text).acts == acts


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("Clearance items can be exchanged but not refunded.", False),
        ("Please note gift cards cannot be exchanged for cash.", False),
        ("For safety reasons opened cosmetics can't be returned.", False),
        ("Unfortunately the item can't be returned now it's been used.", True),
        ("A second refund can't be issued for the same order.", True),
    ],
)
def test_a_rule_said_to_everyone_is_no_refusal(text: str, refusal: bool) -> None:
    """The words' verdict: where they name no act, the act model may still weigh in (it reads
    "opened cosmetics can't be returned" as a refusal since the seventh CS writer joined)."""
    assert cs_reply._is_refusal(normalize(text), offer_made=False, model_says=False) is refusal


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I'd be glad to refund the $25 voucher value that didn't apply at checkout.", 25.0),
        ("I'd happily refund the $8 delivery charge you paid last week.", 8.0),
    ],
)
def test_glad_to_governs_the_remedy_over_a_past_beside_it(
    reader: Reader, text: str, amount: float
) -> None:
    offer = read(reader, text).offer
    assert offer is not None and offer.amount == amount


def test_a_closed_window_or_no_adjustment_is_a_refusal(reader: Reader) -> None:
    assert "refusal" in read(reader, "Your purchase was 30 days ago, so we can't adjust it.").acts
    assert "refusal" in read(reader, "I'm sorry, the window closed on 3 May.").acts


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("a twenty dollar voucher", [20.0]),
        ("a hundred dollars", [100.0]),
        ("twelve dollars and forty cents", [12.4]),
        ("sixty-five dollars and ninety-nine cents", [65.99]),
        ("we refund 89,50 $ today", [89.5]),
        ("refund 40$, you keep it", [40.0]),
    ],
)
def test_amounts_in_words_and_with_the_symbol_after(text: str, amounts: list[float]) -> None:
    assert find_amounts(text) == amounts


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I can refund $5 per broken plate, $20 in total, and you keep the rest.", 20.0),
        ("We can offer 10% of the $300 order back, i.e. $30, and you keep it.", 30.0),
    ],
)
def test_the_sum_on_offer_is_the_total_or_the_worked_out_share(
    reader: Reader, text: str, amount: float
) -> None:
    offer = offered(reader, text)
    assert offer.amount == amount


@pytest.mark.parametrize(
    "text",
    [
        "As it's sold out, we can refund you or suggest a similar model. Which would you prefer?",
        "If you can wait, I can send one on Friday; otherwise I can refund you. Which suits you?",
        "I'm closing this chat now that the refund has gone through.",
        "I've requested approval for a store credit from my manager.",
        "sorry we cant replace the lid on its own",
        "Unworn shoes can be returned within 30 days for a full refund.",
        "I can see the refund went out yesterday, $30.",
    ],
)
def test_no_offer_in_a_choice_a_past_a_pending_approval_or_a_rule(
    reader: Reader, text: str
) -> None:
    assert read(reader, text).offer is None


@pytest.mark.parametrize(
    "text",
    [
        "I can't take the blender back because it's been used, but a $20 refund is something I can do.",
        "Please pack the lamp, use the prepaid label we've emailed you, and we'll send the new one.",
    ],
)
def test_a_reason_or_a_thing_already_sent_leaves_the_offer_an_offer(
    reader: Reader, text: str
) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and not reading.confirms, reading
    # the words report nothing done; only the acts model, where it is sure, may name the act
    # a confirmation, which agrees nothing (`unread_yes`)
    assert ("offer" in reading.acts) != reading.unread_yes, reading


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("ok done, new filter going out today, keep the old one", "replacement", None),
        ("Yes, I've put the reorder through, same items, no charge.", "reship", None),
        ("I can credit you 15 bucks for the missing cable, ok?", "partial_refund", 15.0),
        (
            "The label has been sent to your email. Please post the boots back.",
            "return_label",
            None,
        ),
    ],
)
def test_terse_remedies(reader: Reader, text: str, kind: str, amount: float | None) -> None:
    offer = offered(reader, text)
    assert (offer.type, offer.amount) == (kind, amount)


@pytest.mark.parametrize(
    ("text", "acts"),
    [
        ("I've raised a ticket with our courier about the delay.", ["fact"]),
        ("I've made a note on your account. Have a great evening!", ["fact", "closing"]),
        ("I've escalated this to our billing team; you'll hear from them within 2 days.", ["fact"]),
        ("So I can look into this, could you tell me your order number?", ["question"]),
    ],
)
def test_where_the_case_stands_is_a_fact(reader: Reader, text: str, acts: list[str]) -> None:
    assert set(read(reader, text).acts) == set(acts)


@pytest.mark.parametrize(
    "text",
    [
        "The replacement already went out on Thursday.",
        "Your refund was already credited to your card last week.",
    ],
)
def test_a_remedy_given_before_is_a_fact_not_a_confirmation(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.acts == ["fact"] and reading.offer is None


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("We'll send a new kettle and our courier will collect the faulty one.", True),
        ("Your refund goes out within 3 days of receiving the damaged lamp.", True),
        ("We can take the blender back and refund you in full.", True),
        ("Happy to refund $40 to your card once we have it back.", True),
        ("Swap arranged: new mattress in, old one out, on Friday.", True),
        ("A new charger is on its way; the old one can go in the recycling.", False),
        ("Since it's been worn, a return isn't possible, but I can refund $12.", False),
        ("Please don't send it back; I'll refund $25 to your card.", False),
    ],
)
def test_return_said_through_the_old_item(reader: Reader, text: str, required: bool | None) -> None:
    offer = read(reader, text).offer
    assert offer is not None and offer.return_required is required


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The hinges will be posted tomorrow by tracked mail.", "reship"),
        ("I'll send the spare remote separately.", "replacement"),
        ("We can post the charger today.", "reship"),
        ("Your candles have been resent to the new address, as agreed.", "reship"),
        ("I can have a fresh blender dispatched by Friday.", "replacement"),
        ("The correct lampshade will be delivered on Monday.", "replacement"),
        ("I'll ask the courier to attempt delivery again tomorrow.", "reship"),
    ],
)
def test_goods_put_in_the_post_whatever_they_are_called(
    reader: Reader, text: str, kind: str
) -> None:
    offer = offered(reader, text)
    assert offer.type == kind


@pytest.mark.parametrize(
    "text",
    [
        "The tracking link will be sent by email.",
        "Your order will be shipped once the payment clears.",
        "Your order was dispatched on Monday and should arrive soon.",
        "Please post the jeans back within 14 days.",
    ],
)
def test_a_message_or_the_first_delivery_sent_is_no_reship(reader: Reader, text: str) -> None:
    offer = read(reader, text, total=None).offer
    assert offer is None or offer.type not in ("reship", "replacement")


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("all sorted, the $6.50 delivery fee is back on ur card", "partial_refund", 6.5),
        (
            "I've reversed the second $48 payment; it shows on your card within 3 days.",
            "partial_refund",
            48.0,
        ),
        ("I can give you a $15 code to use on your next order.", "store_credit", 15.0),
    ],
)
def test_money_back_said_plainly(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    offer = offered(reader, text)
    assert (offer.type, offer.amount) == (kind, amount)


def test_a_date_ahead_is_not_a_past_remedy(reader: Reader) -> None:
    offer = read(reader, "Our engineer will come on the 21st to replace the oven.").offer
    assert offer is not None and offer.type == "replacement"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I'm adding $20 to your gift card balance for the trouble.", 20.0),
        ("I can convert the $45 subscription to gift card balance if you like.", 45.0),
        ("I can give you 15% off your next order to make up for it.", None),
    ],
)
def test_credit_for_later_is_store_credit(reader: Reader, text: str, amount: float | None) -> None:
    offer = offered(reader, text)
    assert (offer.type, offer.amount) == ("store_credit", amount)


def test_an_inverted_unreal_past_is_no_offer() -> None:
    text = "Had you written within 2 days we could have replaced it, but the window has closed."
    assert read_offer_by_rules(text)[0] is None


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("I've emailed a return label; tape it to the carton and drop it at any depot.", True),
        ("We'll book a collection and a courier label will follow by email.", True),
        # a label is for sending the item back, whether or not the message says how
        ("I can email you a prepaid return label if you'd like one.", True),
    ],
)
def test_a_return_label_requires_the_item_back(
    reader: Reader, text: str, required: bool | None
) -> None:
    offer = offered(reader, text)
    assert offer.type == "return_label"
    assert offer.return_required is required


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Your order has been resent to the new address.", "reship"),
        ("Okay, redelivery booked for Friday as discussed.", "reship"),
        ("I'll pop the correct 30cm shelf in the post today.", "replacement"),
        ("Our engineer will call round on Monday to swap the washer.", "replacement"),
        ("The new toaster is booked and will leave our warehouse tomorrow.", "replacement"),
    ],
)
def test_goods_sent_are_put_forward(text: str, kind: str) -> None:
    offer, _ = read_offer_by_rules(text)
    assert offer is not None and offer.type == kind
    assert any(m.framed for m in live_mentions(normalize(text))[0])


def test_a_later_bare_cant_takes_back_the_remedy(reader: Reader) -> None:
    text = "I'd really like to offer a refund, but past the 30 days I simply can't."
    reading = read(reader, text)
    assert reading.offer is None and "refusal" in reading.acts


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, and sorry again that it came late!",
        "Happy baking! 🎂",
        "That's all from me for today.",
    ],
)
def test_a_last_line_of_thanks_or_wishes_is_a_closing(reader: Reader, text: str) -> None:
    assert read(reader, text).acts == ["closing"]


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("That's all booked: the new lamp goes out on Friday.", "confirmation"),
        ("The $12 is back on your card now.", "confirmation"),
        ("The $40 has now been restored to your account credit.", "confirmation"),
        ("Agreed: once the return arrives, $80 goes back to your card.", "confirmation"),
        ("We refund the $15 and it's back on your card in about 3 days.", "offer"),
    ],
)
def test_a_remedy_reported_done_is_a_confirmation(reader: Reader, text: str, act: str) -> None:
    reading = read(reader, text, total=None)
    assert reading.offer is not None and act in reading.acts


def test_full_before_the_sum_is_a_full_refund(reader: Reader) -> None:
    offer = read(reader, "No need to return it. Full $64 back to your card.", total=None).offer
    assert offer is not None and (offer.type, offer.amount) == ("full_refund", 64.0)


def test_a_wait_spared_is_no_condition() -> None:
    text = "I can put $30 on your account as store credit rather than waiting for the bank."
    offer, _ = read_offer_by_rules(text)
    assert offer is not None and (offer.type, offer.amount) == ("store_credit", 30.0)


def test_another_size_sent_is_a_replacement() -> None:
    offer, _ = read_offer_by_rules("I can send you the size M instead of the L.")
    assert offer is not None and offer.type == "replacement"


def test_a_new_order_the_customer_places_is_no_offer(reader: Reader) -> None:
    reading = read(reader, "Would you like to place a new order for a different colour?")
    assert reading.offer is None
    offer, _ = read_offer_by_rules("You can place a new order for the right size.")
    assert offer is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Okay, redelivery booked for Monday afternoon as discussed.", "reship"),
        ("Great, the new kettle will be delivered on Friday as agreed.", "replacement"),
        ("Your refund went out on 14 March.", None),
    ],
)
def test_a_remedy_agreed_and_still_to_come_outweighs_a_sure_none(
    text: str, kind: str | None
) -> None:
    # the kind model sure there is no remedy, the act model seeing neither offer nor confirmation
    offer, _, _ = _decide_offer(
        normalize(text), {"offer": 0.1, "confirmation": 0.2}, "none", 0.95, None
    )
    assert (offer.type if offer else None) == kind


# A status line's lead frames the remedy after its colon or dash; a report in any of the
# usual participles is a confirmation (written by hand, from a second desk's kinds of words).
@pytest.mark.parametrize(
    ("text", "kind", "amount", "returned"),
    [
        ("That's booked in for you: a store voucher worth $25.00.", "store_credit", 25.0, None),
        (
            "All sorted: $25 added to your account balance. Was there something else?",
            "store_credit",
            25.0,
            None,
        ),
        (
            "Lovely, that’s gone through — a brand-new lamp sent out to you, and you can hang on "
            "to the old one. Can I help with anything further?",
            "replacement",
            None,
            False,
        ),
        (
            "Sweet, that’s all lodged: a total refund amounting to $129.99 to your card, subject "
            "to the lamp being returned.",
            "full_refund",
            129.99,
            True,
        ),
    ],
)
def test_a_status_line_reports_the_remedy_done(
    reader: Reader, text: str, kind: str, amount: float | None, returned: bool | None
) -> None:
    reading = read(reader, text)
    assert reading.confirms and "refusal" not in reading.acts
    assert reading.offer is not None and reading.offer.type == kind
    assert reading.offer.amount == amount and reading.offer.return_required is returned


@pytest.mark.parametrize(
    "text",
    [
        "Understood. I can still do a $25.00 credit on your account. Let me know if you'd like me to go ahead.",
        "Just to recap where we are. My offer hasn’t changed: $25 in store credit. Pls confirm if ok to proceed.",
        "No change from my last message. Sorry, it’s still a resend of your parcel! Reply yes and I’ll get it done.",
        "Are you OK with $30 of your money back credited to your card?",
    ],
)
def test_an_offer_awaiting_our_yes_is_no_confirmation(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and "offer" in reading.acts and not reading.confirms


def test_keeping_the_packaging_is_no_waived_return(reader: Reader) -> None:
    reading = read(
        reader,
        "I can offer you a new unit. This one does require a return, so please keep the "
        "original packaging handy.",
    )
    assert reading.offer is not None and reading.offer.return_required is True


@pytest.mark.parametrize(
    ("text", "confirms"),
    [
        # terms said back plainly, in answer to our "yes, please go ahead": done
        ("Ticket closed with the following: a full refund of $129.99 to your card.", True),
        ("A full refund of $129.99 to your card, no return needed. Anything else?", True),
        # still asking, awaiting a yes, or refusing: not done, whatever it answers
        ("A full refund of $129.99 to your card. Shall I go ahead?", False),
        ("I can do a full refund of $129.99 once you send photos. Could you send them?", False),
        ("I can't process a full refund of $129.99 today, sorry.", False),
    ],
)
def test_terms_said_back_after_our_acceptance(reader: Reader, text: str, confirms: bool) -> None:
    answered = read_cs_reply(text, reader, 129.99, answering_acceptance=True)
    assert answered.confirms is confirms
    assert not (read_cs_reply(text, reader, 129.99).confirms and not confirms)


@pytest.mark.parametrize(
    ("text", "sure", "kind", "unsure"),
    [
        # words we know name no remedy: the sure kind model names it, the words give the sum
        ("All good, 40 dollars is in your e-purse now.", 0.8, "store_credit", False),
        ("All good, 40 dollars is in your e-purse now.", 0.5, None, True),  # not sure
        # a condition leaves it an offer (LABELS.md: "once you send photos I can refund you")
        ("40 dollars goes in your e-purse if the photos show damage.", 0.8, "store_credit", False),
        ("We can't do 40 dollars in your e-purse.", 0.8, None, True),
        ("All good, your e-purse is done.", 0.8, None, True),  # credit without a sum
    ],
)
def test_the_sure_kind_model_names_a_remedy_the_words_do_not(
    text: str, sure: float, kind: str | None, unsure: bool
) -> None:
    offer, is_unsure = model_reads(text, "store_credit", sure=sure)
    assert (offer.type if offer else None) == kind and is_unsure is unsure
    if offer is not None:
        assert offer.amount == 40.0


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # goods named in words we do not know, beside a "not" that refuses nothing
        ("The right charger goes out today, sorry it wasn't in the box.", "replacement"),
        ("Sorry it wasn't in the box! Once I hear back from the depot it goes out.", "replacement"),
        # a refusal beside them: the model's remedy is not taken
        ("Sun damage isn't something we can cover. Happy to send care tips though.", None),
    ],
)
def test_the_sure_kind_model_names_goods_beside_a_negation_that_refuses_nothing(
    text: str, kind: str | None
) -> None:
    offer, _ = model_reads(text, "replacement")
    assert (offer.type if offer else None) == kind


EARLIER = "Yes, that's right: a full refund of $129.99 to your card, once the lamp is back with us."


@pytest.mark.parametrize(
    ("text", "amount", "back"),
    [
        (
            "Consider it finished — $129.99 to your card once the lamp is back with us.",
            129.99,
            True,
        ),
        ("Consider it finished — $129.99 to your card. Anything more on your side?", 129.99, True),
        ("Consider it finished — $129.99 as a wallet top-up instead.", 129.99, False),
        ("Consider it finished — $129.99, but only after our inspection.", 129.99, False),
        ("Consider it finished — $99.00 to your card.", 129.99, False),
        ("$129.99 to your card if the photos check out.", 129.99, False),
        ("We'll check with our team about the $129.99.", 129.99, False),
        (
            "Consider it finished — $129.99 to your card. Could you send a photo first?",
            129.99,
            False,
        ),
        # no sum in the terms: the words CS confirmed them with
        ("Consider it finished: the lamp is back with us, full refund to your card.", None, True),
        ("Consider it finished.", None, False),
    ],
)
def test_terms_said_back_in_words_we_cannot_read(
    text: str, amount: float | None, back: bool
) -> None:
    assert cs_reply.says_back(text, EARLIER, amount) is back


# ---------------------------------------------------------------- remedies in other common words


@pytest.mark.parametrize(
    ("text", "kind", "amount", "back"),
    [
        ("$129.99 returned to your credit card, no return needed.", "full_refund", 129.99, False),
        (
            "$30 paid back to the card on file, and you keep the item.",
            "partial_refund",
            30.0,
            False,
        ),
        (
            "A refund for $129.99 to your card, once you've dropped it off at any branch.",
            "full_refund",
            129.99,
            True,
        ),
        ("We can do $25 as points on your member account.", "store_credit", 25.0, None),
        ("I can offer a credit slip for $25.", "store_credit", 25.0, None),
        ("We can give you a wallet top-up of $25.", "store_credit", 25.0, None),
        ("We'll arrange the consignment sent again at no cost.", "reship", None, None),
        ("I can offer a renewed dispatch of your order.", "reship", None, None),
        ("We can send a new piece with our compliments.", "replacement", None, None),
    ],
)
def test_remedies_in_other_common_words(
    reader: Reader, text: str, kind: str, amount: float | None, back: bool | None
) -> None:
    """Money "returned to your credit card" is a refund, not store credit; "dropped it off"
    is a return, not a part of the money."""
    offer = offered(reader, text, 129.99)
    assert (offer.type, offer.amount, offer.return_required) == (kind, amount, back)


def test_a_yes_in_other_words_confirms_the_terms_it_restates(reader: Reader) -> None:
    reading = read(reader, "That is quite correct: a full refund of $129.99 to your card.", 129.99)
    assert reading.confirms and reading.offer is not None
    assert not read(reader, "No worries, a full refund of $129.99 is done.", 129.99).contradicts
    assert read(reader, "Incorrect: it is $129.99 in store credit.", 129.99).contradicts


RESTATED = "To confirm: a full refund of $129.99 to your card, no return needed. Is that right?"


@pytest.mark.parametrize(
    ("text", "back", "yes"),
    [
        # a yes we have no rule for, the terms said back, an invitation to go ahead
        (
            "Correct lah: $129.99 returned the same way you paid. Tell me if you want to go ahead.",
            False,
            True,
        ),
        # the return CS names is a term: it must be the one we restated
        ("Correct lah: $129.99 to your card, once it's back at any of our branches.", False, False),
        ("Correct lah: $129.99 to your card, once it's back at any of our branches.", True, True),
        ("Correct lah: $129.99 to your card, no need to send anything back.", True, False),
        # no yes in it: the offer said again, or a no in words of its own
        ("$129.99 returned the same way you paid.", False, False),
        (
            "Mismatch. Valid offer: $129.99 back to the card, no need to return anything. Accept?",
            True,
            False,
        ),
        ("Incorrect: $129.99 to your card.", False, False),
        # yes words of the fourteenth and fifteenth desks
        (
            "Aye, that's the offer, though nothing's done yet, mind: $129.99 to the card on "
            "file, on return of the item, with a free label from us.",
            True,
            True,
        ),
        (
            "Ja, that's right: $129.99 back to the card you paid with, once it's returned.",
            True,
            True,
        ),
        (
            "This is correct. The offer reads: $129.99 back onto your card, once it's returned. "
            "Please confirm if you accept.",
            True,
            True,
        ),
        # "nothing's done yet" is no hedge of terms not yet accepted, but a no is still a no
        ("No, nothing's done yet: $129.99 to your card, once it's returned.", True, False),
        # the nineteenth desk's: a ticket's "Verified", the return coming in at the warehouse
        (
            "Verified: offer = a total refund for $129.99 to the original form of payment, once "
            "our warehouse has received it back. Not yet processed. Reply YES to proceed.",
            True,
            True,
        ),
        (
            "Yep, that's it: a total refund for $129.99 back to your card, once our warehouse "
            "has received it back. Want me to lock it in?",
            True,
            True,
        ),
        # an approval still to come is a hedge
        (
            "Yes: a total refund for $129.99 back to your card once our manager approves it.",
            False,
            False,
        ),
        ("Yes: $129.99 to your card, once our warehouse signs it off.", False, False),
        # a messaging desk's, a support bot's and a hedging desk's yes
        ("Sí, exacto: $129.99 to card, quédatelo, keep it. avísame if u want it.", False, True),
        (
            "Opo tama: $129.99 to the original payment, keep the item, no wahala. reply lang po if ok. Na bank dey delay refund sometimes, no be us.",
            False,
            True,
        ),
        (
            "Yep thats it: $129.99 to card, dont need to ship it back. lmk if u want it.",
            False,
            True,
        ),
        ("Sí, exacto: $129.99 to card, must return item first. avísame if u want it.", True, True),
        ("Sí, exacto: $129.99 to card, must return item first.", False, False),
        (
            "Exactly — the full $129.99 back to the account you paid from, nothing to send back. Nothing's been actioned yet. Good to know: co-op member dividends aren't affected by refunds.",
            False,
            True,
        ),
        (
            "Matches my offer: a $129.99 refund in full to the card you paid with, and the item stays with you. Ready when you are.",
            False,
            True,
        ),
        (
            "I can confirm that is the offer: a complete refund of $129.99 by way of a credit to your card, once a return authorisation has been issued and the item received back. Say the word if you'd like it put through.",
            True,
            True,
        ),
    ],
)
def test_a_yes_to_our_restatement_says_back_its_terms(text: str, back: bool, yes: bool) -> None:
    assert cs_reply.says_back(text, RESTATED, 129.99, (), back, invited=True) is yes


@pytest.mark.parametrize(
    ("text", "back", "done"),
    [
        ("Consider it done: $129.99 back to your card, after you send the item back.", True, True),
        (
            "Consider it done: $129.99 back to your card, after you send the item back.",
            False,
            False,
        ),
        ("Consider it done: $129.99 back to your card, no return needed.", True, False),
        ("No worries, that's in the system: $129.99 back to your card.", None, True),
    ],
)
def test_done_at_acceptance_names_the_return_the_terms_name(
    text: str, back: bool | None, done: bool
) -> None:
    assert cs_reply.says_back(text, EARLIER, 129.99, (), back) is done


def test_days_said_of_other_remedies_in_general_are_not_the_offers(reader: Reader) -> None:
    beside_a_reship = (
        "Yes, that's right: the order sent again, nothing to post back. "
        "Refunds to a card usually show on your statement about a week after processing."
    )
    assert offered(reader, beside_a_reship).days_to_complete is None
    refund = "I can refund $40 to your card. Refunds usually show within 5 days."
    assert offered(reader, refund, 129.99).days_to_complete == 5


@pytest.mark.parametrize(
    ("text", "kind", "back"),
    [
        # an offer awaiting our yes, however the yes is quoted, is no confirmation
        (
            "The option I have for you is $25.00 in store credit. Reply 'yes' to confirm.",
            "store_credit",
            None,
        ),
        ("How do you feel about a replacement lamp, no return needed?", "replacement", False),
        (
            "Proposed resolution — a swap for a fresh lamp. Should I put that through for you?",
            "replacement",
            None,
        ),
        (
            "Offer: a replacement unit, shipped free, without any need to return the item.",
            "replacement",
            False,
        ),
    ],
)
def test_offers_awaiting_our_yes_in_other_words(
    reader: Reader, text: str, kind: str, back: bool | None
) -> None:
    reading = read(reader, text, 129.99)
    assert reading.offer is not None and not reading.confirms, text
    assert (reading.offer.type, reading.offer.return_required) == (kind, back)


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        # the reader found our very terms; a yes in words of its own confirms them
        (
            "Check: correct ✔ Terms: a free replacement, nothing to send back. Reply YES to proceed.",
            True,
        ),
        # a yes word said no to, a correction, or only a request to confirm: no yes
        ("That isn't quite right: a free replacement, nothing to send back.", False),
        ("Actually, a free replacement, nothing to send back, is right.", False),
        (
            "Our offer is a free replacement, nothing to send back. Please confirm you want it.",
            False,
        ),
    ],
)
def test_a_yes_to_terms_the_reader_found(text: str, yes: bool) -> None:
    restated = "To confirm: a replacement, with no return needed. Is that right?"
    assert cs_reply.says_back(text, restated, None, (), False, invited=True, named=True) is yes


@pytest.mark.parametrize(
    "text",
    [
        "All set! I've processed $25 of shop credit on your account. Is there any other matter I can help with?",
        "Done, I've put through a money-back payment of $25.00 to your card. Can I assist with anything further?",
        "Brilliant, I've set the wheels in motion for $25 e-credit. Need a hand with anything else while you're here?",
    ],
)
def test_done_at_acceptance_with_a_courtesy_question(reader: Reader, text: str) -> None:
    """ "Is there any other matter I can help with?" asks nothing of the case."""
    assert read_cs_reply(text, reader, 129.99, answering_acceptance=True).confirms


@pytest.mark.parametrize(
    ("text", "total", "terms"),
    [
        # an offer's lead of its own, and a return waived in other words
        (
            "Best I've got is a like-for-like replacement. We won't be needing the old one back.",
            129.99,
            ("replacement", None, False, None),
        ),
        (
            "The most we can do is $20 off, no send-back required.",
            129.99,
            ("partial_refund", 20.0, False, None),
        ),
        # the sum "in full", by the way the customer paid
        (
            "My offer remains $79.99 in full through the same payment channel you used.",
            79.99,
            ("full_refund", 79.99, None, "original_payment"),
        ),
        (
            "What we can do: the whole $79.99 refunded via the way you paid, and you keep it.",
            79.99,
            ("full_refund", 79.99, False, "original_payment"),
        ),
        # the order sent again, in other words
        (
            "I can arrange another delivery slot for the whole order.",
            129.99,
            ("reship", None, None, None),
        ),
        ("How about a resend of your order on us?", 129.99, ("reship", None, None, None)),
    ],
)
def test_offers_in_the_words_of_other_desks(
    reader: Reader, text: str, total: float, terms: tuple[Any, ...]
) -> None:
    offer = offered(reader, text, total)
    assert (offer.type, offer.amount, offer.return_required, offer.refund_method) == terms


def test_yes_or_no_is_an_offer_awaiting_an_answer(reader: Reader) -> None:
    """ "Yes or no?" after an offer asks nothing of the case and confirms nothing."""
    reading = read(reader, "We can propose a complete refund of $129.99 to your card. Yes or no?")
    assert reading.acts == ["offer"] and reading.asks == [] and not reading.confirms


@pytest.mark.parametrize(
    "text",
    [
        "Let me correct that, the terms are a goodwill refund of $74.95 on your bank card.",
        "Kindly note that's not quite the offer: a refund of $74.95 to your card.",
    ],
)
def test_a_correction_of_our_terms_is_no_yes(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.contradicts and not reading.confirms
    restated = "To confirm: a full refund of $74.95 to the original payment method. Is that right?"
    assert not cs_reply.says_back(text, restated, 74.95, (), None, invited=True, named=True)


@pytest.mark.parametrize(
    "text",
    [
        "GG, it's locked in: a free replacement, once the item is returned. The product will be dispatched within 7 business days.",
        "Squared away: a swap for a brand-new one. The new parcel will be delivered within 5 business days.",
    ],
)
def test_a_replacement_done_and_its_parcel_is_no_reship(reader: Reader, text: str) -> None:
    """The parcel or dispatch that carries a named replacement is not the order sent again."""
    reading = read_cs_reply(text, reader, 129.99, answering_acceptance=True)
    assert reading.confirms and reading.offer is not None
    assert reading.offer.type == "replacement"


@pytest.mark.parametrize(
    ("text", "amount", "percent"),
    [
        # a counter-offer as a bare share or sum, after turning the ask down
        ("I can't go to 50%, I'm sorry, but I can do 35%.", None, 35.0),
        ("A full refund isn't something I can approve. I could do half, though.", None, 50.0),
        ("I've spoken to my team lead and we can go up to £35.", 35.0, None),
        # sums in words and slang
        ("Is ten pounds off okay with you?", 10.0, None),
        ("Would a tenner off help?", 10.0, None),
    ],
)
def test_a_counter_as_a_bare_sum_or_share(
    reader: Reader, text: str, amount: float | None, percent: float | None
) -> None:
    offer = offered(reader, text, 129.99)
    assert (offer.type, offer.amount, offer.percent) == ("partial_refund", amount, percent)


@pytest.mark.parametrize(
    "text",
    ["I can't go to $50 on this one.", "We can't do half.", "Refunds can take up to $5 in fees."],
)
def test_a_limit_turned_down_is_no_counter(reader: Reader, text: str) -> None:
    assert read(reader, text).offer is None


@pytest.mark.parametrize(
    ("text", "fee"),
    [
        ("The refund will be processed after deducting the restocking charges of USD 12.", 12.0),
        ("The refund minus the fee of restocking of 10 euro will be made on your card.", 10.0),
        ("The refund will be processed after the deduction of 5 USD for the return shipping.", 5.0),
    ],
)
def test_a_sum_held_back_is_the_fee_not_the_offer(reader: Reader, text: str, fee: float) -> None:
    """A fee deducted in other words is never read as the sum on offer."""
    offer = offered(reader, text, 129.99)
    assert (offer.type, offer.amount, offer.restocking_fee) == ("full_refund", None, fee)


@pytest.mark.parametrize(
    ("text", "kind", "amount", "back"),
    [
        (
            "Lovely, you're sorted with $89.50 repaid to ur card, and there's nothing to ship back. Is there something else you need from me?",
            "full_refund",
            89.5,
            False,
        ),
        (
            "Great, that's gone through: $89.50 repaid to whatever you used to pay. Need a hand with anything else while you're here?",
            "full_refund",
            89.5,
            None,
        ),
        (
            "Lovely, you're sorted with a like-for-like swap, subject to the item being sent back. Can I assist with anything further?",
            "replacement",
            None,
            True,
        ),
    ],
)
def test_done_at_acceptance_in_a_desks_own_words(
    reader: Reader, text: str, kind: str, amount: float | None, back: bool | None
) -> None:
    """Money "repaid", "you're sorted with", and a courtesy question that asks nothing."""
    reading = read_cs_reply(text, reader, 89.5, answering_acceptance=True)
    assert reading.confirms and reading.asks == [] and reading.offer is not None
    assert kind_amount_return(reading) == (kind, amount, back)


@pytest.mark.parametrize(
    "text",
    [
        "Offer: $129.99 refunded to whatever you paid with, on receipt of the item at our depot.",
        "Can give you a fresh replacement sent at our cost. Return of item required before processing.",
        "I can do a refund of $129.99 to your card. We would require the article to be returned.",
        "We can arrange a swap unit, after you send the item and 1 more item back. Okay or not?",
    ],
)
def test_a_return_required_in_other_words(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.return_required is True
    assert reading.acts == ["offer"] and reading.asks == []


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        # the way the customer paid is no past remedy
        (
            "What I'd like to offer is a refund for $34.50 onto the card you paid with.",
            "partial_refund",
            34.5,
        ),
        (
            "Can give you a refund for $9.99 to the card used at checkout, no return needed.",
            "partial_refund",
            9.99,
        ),
        # the most on offer, put as a limit, is offered
        (
            "I can't go beyond a credit note of $231.00. It is emailed within 1 business day.",
            "store_credit",
            231.0,
        ),
        ("I can't go beyond $20 off.", "partial_refund", 20.0),
    ],
)
def test_offers_with_a_past_word_or_a_ceiling(
    reader: Reader, text: str, kind: str, amount: float
) -> None:
    offer = offered(reader, text, 129.99)
    assert (offer.type, offer.amount) == (kind, amount)


def test_a_refund_already_made_to_the_card_stays_a_fact(reader: Reader) -> None:
    reading = read(reader, "We already refunded $20 to the card you paid with last week.")
    assert reading.offer is None and reading.acts == ["fact"]


@pytest.mark.parametrize(
    ("text", "kind", "amount", "back"),
    [
        (
            "Final answer from the team: full refund, keep the shorts. Can you confirm that works?",
            "full_refund",
            None,
            False,
        ),
        (
            "We won't ask you to return the damaged chair. We'll send the replacement in 7-14 days.",
            "replacement",
            None,
            False,
        ),
        (
            "Would £15 in store credit be okay? The watch itself doesn't need to come back.",
            "store_credit",
            15.0,
            False,
        ),
        (
            "The most I can authorise without a return is $15. Does that work for you?",
            "partial_refund",
            15.0,
            False,
        ),
    ],
)
def test_offers_and_waived_returns_in_other_words(
    reader: Reader, text: str, kind: str, amount: float | None, back: bool | None
) -> None:
    reading = read(reader, text)
    assert reading.acts == ["offer"] and reading.offer is not None
    assert kind_amount_return(reading) == (kind, amount, back)


def test_how_requests_are_processed_is_policy_not_an_offer(reader: Reader) -> None:
    text = "Kindly be informed that replacement requests are processed only after the pickup."
    assert read(reader, text).offer is None


@pytest.mark.parametrize(
    ("text", "kind", "back"),
    [
        (
            "Pronto! I already did it: a full refund of $129.99 to your card, with no obligation to return the item.",
            "full_refund",
            False,
        ),
        (
            "We have processed a full refund of $129.99 to your card. It normally takes 5 business days to arrive, ok?",
            "full_refund",
            None,
        ),
        (
            "All set! We've arranged a like-for-like replacement, with no obligation to return the item.",
            "replacement",
            False,
        ),
    ],
)
def test_done_with_a_tag_question_or_no_obligation(
    reader: Reader, text: str, kind: str, back: bool | None
) -> None:
    """ "..., ok?" asks nothing; "no obligation to return" waives the return."""
    reading = read_cs_reply(text, reader, 129.99, answering_acceptance=True)
    assert reading.confirms and reading.asks == [] and reading.offer is not None
    assert (reading.offer.type, reading.offer.return_required) == (kind, back)


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        (
            "Isso mesmo! It's a full refund of $129.99 to your card. Do you want me to go ahead?",
            True,
        ),
        ("Genau. A full refund of $129.99 to your card.", True),
        (
            "Hmm, not exactly. What I offered is a full refund of $129.99 after we get it back.",
            False,
        ),
    ],
)
def test_a_yes_in_another_language(text: str, yes: bool) -> None:
    restated = "To confirm: a full refund of $129.99 to the original payment method. Is that right?"
    assert cs_reply.says_back(text, restated, 129.99, (), None, invited=True, named=True) is yes


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("a refund of €49,95 to your card", [49.95]),
        ("Rs. 1,499 back to your account", [1499.0]),
        ("320 rand in store credit", [320.0]),
        ("my R15 earbuds stopped working", []),  # a model name, not rand
        ("a ₱150 voucher", [150.0]),
        ("CAD 64.00 to your card", [64.0]),
        ("refunding 120.00 AUD today", [120.0]),
        ("we'll send 25 quid back", [25.0]),
        ("a 15-dollar credit, or a ten-dollar refund", [15.0, 10.0]),
        ("from 10,50 to 12", []),  # a comma between numbers that name no money
        ("AED 1,299 to your card", [1299.0]),
        ("a refund of 150 SAR", [150.0]),
        ("2,750 dirhams back", [2750.0]),
        ("a voucher worth one hundred riyals", [100.0]),
        ("I try 20 times", []),  # no code of a currency in a word
        ("R350 back into your account", [350.0]),
        ("the full R8,999 into your account", [8999.0]),
        ("the EOS R100 arrived cracked", []),  # a model name, not rand
        ("₦12,500 refunded to your bank", [12500.0]),
        ("RM35 back to your eWallet", [35.0]),
        ("KSh 500 off your next order", [500.0]),
    ],
)
def test_amounts_in_other_currencies_and_with_a_decimal_comma(
    text: str, amounts: list[float]
) -> None:
    assert find_amounts(text) == amounts


@pytest.mark.parametrize(
    ("text", "kind", "amount", "back"),
    [
        ("OK, last word: I can go up to thirty bucks, that's it.", "partial_refund", 30.0, None),
        ("Sure, sixty dollars straight to your card, sorted.", "partial_refund", 60.0, None),
        (
            "I can't do the full amount, but I can do a partial one of $25.",
            "partial_refund",
            25.0,
            None,
        ),
        (
            # (the whole order's $129.99: a sum below it refunded "in full" is that part)
            "We'll take care of the postage as well, so the full $129.99 back.",
            "full_refund",
            129.99,
            None,
        ),
        (
            "A full refund, and the prepaid return label is attached here.",
            "full_refund",
            None,
            True,
        ),
        ("The new pair ships as soon as yours is scanned at the depot.", "replacement", None, True),
        ("I'll refund $88 within 5 days of us receiving the return.", "full_refund", 88.0, True),
        ("I can give you 15% off your next order for the trouble.", "store_credit", None, None),
        ("I can add $12 to your store account right now.", "store_credit", 12.0, None),
        (
            "We can refund the $9 difference as a credit to your original card.",
            "partial_refund",
            9.0,
            None,
        ),
        ("Sure, I'll do a refund of 14.50 for the cracked lid.", "partial_refund", 14.5, None),
        ("I can put a 10 euro credit on your account for the bother.", "store_credit", 10.0, None),
        ("Full refund without the return, $60 back to your card.", "full_refund", 60.0, False),
        ("Would $15 back instead of returning it work for you?", "partial_refund", 15.0, False),
        (
            "Refund of $40 agreed, no need to send pictures or anything.",
            "partial_refund",
            40.0,
            None,
        ),
        (
            "A new one ships today; keep the broken one aside for the courier.",
            "replacement",
            None,
            None,
        ),
        ("I can refund the full $90 as long as it is returned unused.", "full_refund", 90.0, True),
        (
            "I'll email a free label to send the kettle in, then we replace it.",
            "replacement",
            None,
            True,
        ),
    ],
)
def test_offers_in_the_words_of_more_desks(
    reader: Reader, text: str, kind: str, amount: float | None, back: bool | None
) -> None:
    reading = read(reader, text, 88.0 if "$88" in text else 129.99)
    assert reading.offer is not None, reading
    assert kind_amount_return(reading) == (kind, amount, back)


@pytest.mark.parametrize(
    "text",
    [
        "Just so I've got it: you'd like a full refund of $89 and to keep the item. Correct?",
        "I see you've asked for a full refund of $140. When did the crack appear?",
        "I can't put those terms in writing. The refund team will email you when it's final.",
        "I can do a refund of ten dollars or send a new one. Which suits you better?",
    ],
)
def test_a_wish_said_back_a_team_or_a_choice_is_no_offer(reader: Reader, text: str) -> None:
    assert read(reader, text).offer is None


@pytest.mark.parametrize(
    "text",
    [
        "I can offer a replacement, or a refund for the set. Just let me know which.",
        "We can add $40 store credit today. Alternatively you can send it back for a refund. "
        "Let me know which you'd prefer.",
    ],
)
def test_remedies_side_by_side_for_the_customer_to_pick_are_a_question(
    reader: Reader, text: str
) -> None:
    reading = read(reader, text)
    assert reading.offer is None and "question" in reading.acts


@pytest.mark.parametrize(
    "text",
    [
        "The courier seems to have lost it, so I'll send a new one out to you today.",
        "Tracking hasn't moved in a week; we'll pop a second one in the post tomorrow.",
        "We're sending the whole order again, no charge.",
        "If you can confirm the address, I'll get the order sent out again tomorrow.",
    ],
)
def test_a_new_one_for_a_parcel_that_never_came_is_a_reship(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.type == "reship", reading


def test_a_new_one_for_a_broken_item_stays_a_replacement(reader: Reader) -> None:
    text = "Sorry it came cracked after a week stuck at the depot. I'll send a new one out today."
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.type == "replacement"


@pytest.mark.parametrize(
    ("text", "contradicts"),
    [
        ("Nearly — it's $40, not $45. The rest is as you said.", True),
        ("Correct, except the item has to come back to us first.", True),
        ("Mostly right, one small tweak: it goes to store credit.", True),
        ("Almost done! The refund of $45 is going through now.", False),
        ("Yes, that's right. Other than that, anything else I can do?", False),
    ],
)
def test_a_yes_with_a_correction_is_no_yes(reader: Reader, text: str, contradicts: bool) -> None:
    assert read(reader, text).contradicts is contradicts


@pytest.mark.parametrize(
    ("text", "kind", "amount", "back"),
    [
        (
            "That's it booked for you: $60 back on your card, and you can hang onto the lamp. "
            "¿Algo más?",
            "full_refund",
            60.0,
            False,
        ),
        (
            "¡Listo! I've arranged a full refund of $60 to your card, no return needed. "
            "It lands within 5 days 💸 Is there something more I can help with?",
            "full_refund",
            60.0,
            False,
        ),
        (
            "Done. In the system is now registered a reembolso total to your card, once the "
            "lamp is back with us.",
            "full_refund",
            None,
            True,
        ),
        ("All done: we're sending the order once more, free of charge.", "reship", None, None),
        (
            "All done: a reembolso total of $60 to your card, once the lamp is back with us.",
            "full_refund",
            60.0,
            True,
        ),
    ],
)
def test_done_at_acceptance_in_a_twelfth_desks_words(
    reader: Reader, text: str, kind: str, amount: float | None, back: bool | None
) -> None:
    reading = read_cs_reply(text, reader, 60.0, answering_acceptance=True)
    assert reading.confirms and reading.offer is not None, reading
    assert kind_amount_return(reading) == (kind, amount, back)


@pytest.mark.parametrize(
    "text",
    [
        "All sorted \u2014 I've put through a full MoneyBack refund \u2014 every cent of $60 "
        "\u2014 to your card, subject to return of the lamp (prepaid label provided).",
        "That's locked in: a full cash-back refund \u2014 all $60 \u2014 to your card, after "
        "you send the lamp back with the free label we'll email.",
    ],
)
def test_a_full_refund_by_a_schemes_name_beside_its_return_label(reader: Reader, text: str) -> None:
    # the fourteenth desk's misread at its first read: the label was reported as the remedy
    reading = read_cs_reply(text, reader, 60.0, answering_acceptance=True)
    assert reading.confirms and reading.offer is not None, reading
    assert kind_amount_return(reading) == ("full_refund", 60.0, True)


@pytest.mark.parametrize(
    "text",
    [
        "I have proceeded with the full refund of $60 to your card.",
        "Successfully processed: a full refund of $60 to your card.",
        "It's all done, the full refund of $60 is heading to your card.",
        "Consider it sorted: $60 back to your card in full.",
        "The full refund of $60 will reach your card in 5 days 🙂 Anything more I can help with?",
    ],
)
def test_done_in_more_words_at_acceptance(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 60.0, answering_acceptance=True)
    assert reading.confirms and reading.offer is not None and reading.offer.amount == 60.0


def test_done_once_it_is_done_is_still_to_come(reader: Reader) -> None:
    text = "Your return is being inspected. You'll get an email once this is done."
    assert "confirmation" not in read(reader, text).acts


@pytest.mark.parametrize(
    ("text", "done"),
    [
        ("Okay, €12 refunded. It can take 3 to 5 working days to reach your account.", True),
        ("Case 5512 — status: RESOLVED. Store credit of $30 issued.", True),
        ("Confirmation: full refund ($60.00), no return required.", True),
        ("Finished! The $60 is back on your card, like we said.", True),
        ("Okay, refund of $60 is processed to your PayPal.", True),
        ("Once it's back you'll get the full $60 refunded.", False),
        ("Send it back first, then the $60 is refunded to your card.", False),
        ("Refunds are processed within 5 days of the return arriving.", False),
        ("Ticket status: Closed. Thank you for contacting us.", False),
    ],
)
def test_a_grant_reported_in_deed(reader: Reader, text: str, done: bool) -> None:
    assert ("confirmation" in read(reader, text, 60.0).acts) is done


# --- the fourteenth and fifteenth desks, opened after their first reads -----------------


@pytest.mark.parametrize(
    "text",
    [
        "Okay, nothing's done yet: a refund of $95.00 to your card.",
        "Nothing has been processed yet. A refund of $95.00 to your card.",
        "I haven't processed it yet: a refund of $95.00 to your card.",
        "It's not processed yet: a refund of $95.00 to your card.",
        # passed on, put up for review, waiting on the customer, under way
        "I've passed your request for a $95 refund to the billing team.",
        "Refund of $95 submitted for review.",
        "Your refund of $95 has been requested; a colleague will approve it.",
        "I'll process the $95 refund once you confirm your address.",
        "Sure, one moment while I set up the $95 refund.",
        "Let me set up the $95 refund for you now.",
        # "not yet processed", "yet to be processed"
        "Refund of $95.00 to your card: not yet processed.",
        "Your $95 refund is yet to be processed.",
    ],
)
def test_not_done_yet_is_never_done_at_acceptance(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 95.0, answering_acceptance=True)
    assert not reading.confirms, reading
    assert not cs_reply.says_back(text, "a full refund of $95.00 to your card", 95.0)


@pytest.mark.parametrize(
    ("text", "kind", "amount", "back"),
    [
        (
            "Here's what I can sort out for you: a house credit of $49.34. Shall I arrange that?",
            "store_credit",
            49.34,
            None,
        ),
        (
            "I'm not in a position to give a partial refund of $15, but I'd be glad to offer "
            "a house credit of $8.40.",
            "store_credit",
            8.4,
            None,
        ),
        (
            "What would you say to a complete reimbursement of the purchase price of $79.99 back "
            "to the card on file? We'll just need the earbuds back first.",
            "full_refund",
            79.99,
            True,
        ),
        (
            "My manager concurs. How would it be if I offered you a replacement unit sent out "
            "free of charge, with no return required? FYI, you'll get an email from us the "
            "moment any refund is issued.",
            "replacement",
            None,
            False,
        ),
        (
            "No, that's not quite right. What I offered is your money back in full ($79.99) onto "
            "the card you paid with, once the earbuds have made it back to us.",
            "full_refund",
            79.99,
            True,
        ),
    ],
)
def test_offers_in_a_fourteenth_desks_words(
    reader: Reader, text: str, kind: str, amount: float | None, back: bool | None
) -> None:
    reading = read(reader, text, 79.99)
    assert not reading.confirms and not reading.unsure, reading
    assert kind_amount_return(reading) == (kind, amount, back)


def test_a_statement_credit_goes_on_the_card(reader: Reader) -> None:
    assert offered(reader, "We can add a statement credit of $20 to your card.", 80.0).type == (
        "partial_refund"
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # a replacement's parcel carries the replacement; for a parcel that never came it is
        # the order sent again
        (
            "I can see the replacement shipment on this order. It is still being processed.",
            "replacement",
        ),
        ("Sorry it arrived broken; a replacement parcel ships tomorrow.", "replacement"),
        ("Your parcel was lost, so a replacement parcel is on its way.", "reship"),
        ("We can dispatch a replacement parcel for the undelivered order within 2 days.", "reship"),
    ],
)
def test_a_replacement_parcel_is_the_kind_its_case_makes_it(
    reader: Reader, text: str, kind: str
) -> None:
    reading = read_cs_reply(text, reader, 95.0, answering_acceptance=True)
    assert reading.offer is not None and reading.offer.type == kind, reading


# --- the sixteenth desk, opened after its first read ------------------------------------


@pytest.mark.parametrize(
    ("text", "back"),
    [
        # the customer told to post it, with the label
        (
            "The best I can do is a full refund of $899 to the card you paid with. Pop the "
            "item, Charcoal in the post with the label we send you, please.",
            True,
        ),
        ("Full refund of $899. Please put it in the mail within 14 days.", True),
        ("A full refund of $899, and you'll need to pack the sofa into the post first.", True),
        ("A full refund of $899; send it back with the prepaid label.", True),
        # the replacement going out is no return
        ("We'll pop the new one in the post today, no need to send anything back.", False),
        ("A replacement: we will put the new sofa in the post tomorrow.", None),
    ],
)
def test_the_item_posted_back_is_a_return(reader: Reader, text: str, back: bool | None) -> None:
    reading = read(reader, text, 899.0)
    assert reading.offer is not None, reading
    assert reading.offer.return_required is back, reading


def test_product_titles_are_the_item_in_a_done_and_a_yes(reader: Reader) -> None:
    """CS names the product by its catalogue title ("SoundWave Wireless Earbuds Pro, White"),
    the customer by their own words: with the order's titles among the names, a replacement
    said as "a new <title> in place of the old one" is read, in a yes and in a done."""
    names = ["Wireless Earbuds Pro", "SoundWave Wireless Earbuds Pro, White"]
    done = (
        "Registered: a new SoundWave Wireless Earbuds Pro, White in place of the old one, "
        "without cost, and you can keep the item. Ships within 4 business days. Other questions?"
    )
    reading = read_cs_reply(done, reader, 51.99, names, answering_acceptance=True)
    assert reading.confirms and reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.return_required) == ("replacement", False)
    yes = (
        "Yes, is correct, is a new SoundWave Wireless Earbuds Pro, White in place of the old "
        "one, without cost, and you keep the SoundWave Wireless Earbuds Pro, White, no need to "
        "return. You want that I proceed? For what it's worth, refunds always go back the way "
        "you paid."
    )
    reading = read_cs_reply(yes, reader, 51.99, names)
    assert reading.confirms and not reading.unsure and reading.offer is not None, reading
    assert reading.offer.type == "replacement"


# --- the nineteenth desk, opened after its first read -----------------------------------


@pytest.mark.parametrize(
    ("text", "closing"),
    [
        ("Registered: no return needed. Other questions?", True),
        ("All sorted. Additional issues? Y/N", True),
        ("Any further queries?", True),
        ("Done: a refund of $40 to your card. Noch etwas?", True),
        ("Done: a refund of $40 to your card. Mais alguma coisa?", True),
        ("Other questions about your order number? Please send it.", False),
    ],
)
def test_a_last_line_asking_for_other_questions_closes(
    reader: Reader, text: str, closing: bool
) -> None:
    assert ("closing" in read(reader, text).acts) is closing


def test_credit_to_the_customer_account_is_store_credit(reader: Reader) -> None:
    text = "Sorry, a replacement is not possible, but instead we can offer CREDIT ($36.00) to customer account."
    reading = read(reader, text)
    assert reading.offer is not None and (reading.offer.type, reading.offer.amount) == (
        "store_credit",
        36.0,
    )


# --- the twenty-first desk (a messaging desk), opened after its first read ---------------


def test_we_take_everything_back_is_the_return_not_the_refund(reader: Reader) -> None:
    reading = read(reader, "We'll take everything back and refund $40.")
    assert reading.offer is not None and reading.offer.type == "partial_refund"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("Yep thats it, dont need it back", "Yep that's it, don't need it back"),
        (
            "cant do more, isnt ready, it wont turn on",
            "can't do more, isn't ready, it won't turn on",
        ),
        (
            "youre right, im sorry, ive sent it, weve sent it",
            "you're right, i'm sorry, i've sent it, we've sent it",
        ),
        ("its done", "it's done"),
        # words that are words without an apostrophe stay as they are
        (
            "we were well, order id 12, its return label, ill",
            "we were well, order id 12, its return label, ill",
        ),
    ],
)
def test_contractions_typed_without_apostrophes(typed: str, read: str) -> None:
    assert normalize(typed) == read


# --- the twentieth desk (an e-mail desk), opened after its first read --------------------


def test_a_replacement_parcel_names_either_way_of_shipping() -> None:
    done = "Done! I've set up a replacement parcel sent out with express postage."
    assert cs_reply.names_remedy(done, "reship") and cs_reply.names_remedy(done, "replacement")
    assert not cs_reply.names_remedy("Done! A like-for-like replacement is on its way.", "reship")


# --- the twenty-fourth (a support bot's) and twenty-fifth (a hedging desk's) words --------


@pytest.mark.parametrize(
    "text",
    [
        "That's not quite accurate. What I've put forward is a complete refund of $149.99 to the "
        "original method of payment, subject to collection of the goods.",
        "With respect, those aren't the terms. The actual offer is a total reimbursement of "
        "$149.99 credited back to your card, conditional on the keyboard being returned to us.",
        "That differs from my offer, so nothing has been booked yet. For clarity, I offered a "
        "complete refund of $149.99, subject to collection of the goods.",
    ],
)
def test_a_correction_in_a_hedging_desks_words(reader: Reader, text: str) -> None:
    """Our restatement left out the return: CS says no and names it. The no is read, and so is
    the return, so the case never goes on to report a refund without one."""
    reading = read_cs_reply(text, reader, 149.99)
    assert reading.contradicts and not reading.confirms, reading
    assert reading.offer is None or reading.offer.return_required is True


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("Done: a refund of $89.00 to your card, against the return of the item.", True),
        (
            "Before I take any action: the offer on file is a whole-order refund of $89.00, "
            "against the return of the item. Let me know if you'd like to proceed with it.",
            True,
        ),
    ],
)
def test_against_the_return_of_the_item_is_a_return(reader: Reader, text: str, back: bool) -> None:
    reading = read_cs_reply(text, reader, 89.0, answering_acceptance=True)
    assert reading.offer is not None and reading.offer.return_required is back
    assert reading.confirms is text.startswith("Done")  # an invitation to go ahead is no done


# --- the newer desks (sixteenth to twenty-fifth), opened after their first reads ---------


@pytest.mark.parametrize(
    ("text", "total", "kind", "amount", "back", "closing"),
    [
        (
            "Your request is completed. We have processed every cent back ($95) via card on file,"
            " and you keep the item, no return. Should hit your account in 5 business days. "
            "Additional issues? Y/N",
            95.0,
            "full_refund",
            95.0,
            False,
            True,
        ),
        (
            "Done and dusted! I've set up a new dispatch of the complete order, free of charge, "
            "and you can keep the item. You'll get a confirmation email shortly.",
            95.0,
            "reship",
            None,
            False,
            False,
        ),
        (
            "No wahala, e don enter system: 100% refund, $74.95 to card, u keep the item.",
            74.95,
            "full_refund",
            74.95,
            False,
            False,
        ),
        (
            "Ok already done liao: un reemplazo, no charge, keep it. Got anything else ah?",
            74.95,
            "replacement",
            None,
            False,
            True,
        ),
        (
            "Done po! processed na: reenvío gratis of the order, no return needed.",
            74.95,
            "reship",
            None,
            False,
            False,
        ),
        (
            "Thank you. A request has now been raised for a refund for the whole order, $89.00, "
            "to the card you paid with, once the item has come back to our returns centre. The "
            "timing of the credit to your account is determined by your payment provider.",
            89.0,
            "full_refund",
            89.0,
            True,
            False,
        ),
        (
            "I have today arranged a refund of the entire purchase price, $89.00, to your "
            "tarjeta, without any return of the product being required.",
            89.0,
            "full_refund",
            89.0,
            False,
            False,
        ),
        (
            "¡Perfecto! Ya está hecho: we have arranged un nuevo envío of your pedido at no cost."
            " If you have any further questions, please reply to this email and quote your case "
            "reference.",
            89.0,
            "reship",
            None,
            None,
            True,
        ),
        (
            "Registered under your order: a full reimbursement ($95.00) through the payment you "
            "used, and it stays with you. Refund lands within 5 business days. Autre chose?",
            95.0,
            "full_refund",
            95.0,
            False,
            True,
        ),
        (
            "Booked, alhamdulillah: whole money back, $95, onto your payment card, keep it, "
            "gardez-le. Autre chose?",
            95.0,
            "full_refund",
            95.0,
            False,
            True,
        ),
        (
            "Registered under your order: replacement piece, no charge, and it stays with you. "
            "Autre chose?",
            95.0,
            "replacement",
            None,
            False,
            True,
        ),
        (
            "All set. I've arranged a no-cost exchange for the item, with the item remaining "
            "yours to keep. You'll receive written confirmation shortly.",
            95.0,
            "replacement",
            None,
            False,
            False,
        ),
    ],
)
def test_dones_in_the_newer_desks_words(
    reader: Reader,
    text: str,
    total: float,
    kind: str,
    amount: float | None,
    back: bool | None,
    closing: bool,
) -> None:
    """Done in an e-mail's, a messaging desk's, a hedging desk's words, closed in French."""
    reading = read_cs_reply(text, reader, total, answering_acceptance=True)
    assert reading.confirms and not reading.contradicts, reading
    assert not reading.asks and "question" not in reading.acts
    assert reading.offer is not None
    assert (reading.offer.type, reading.offer.amount) == (kind, amount)
    assert reading.offer.return_required is back
    assert ("closing" in reading.acts) is closing


@pytest.mark.parametrize(
    ("text", "total", "kind", "amount", "back"),
    [
        (
            "Ok checked ur order. On this one, cant do more than store credit $24.22. Want it?",
            420.0,
            "store_credit",
            24.22,
            None,
        ),
        (
            "Crédito de tienda, $5.40, ok ah? Credit hits ur acct in like 1 business day.",
            420.0,
            "store_credit",
            5.4,
            None,
        ),
        (
            "Sorry po for the hassle. U good w crédito de tienda, $85.00?",
            420.0,
            "store_credit",
            85.0,
            None,
        ),
        (
            "Pasensya na po. Credit of $329.99 on ur account. ok lang po ba?",
            420.0,
            "store_credit",
            329.99,
            None,
        ),
        (
            "My manager signed off on something better: everything back, $420 to card. Ok or not?"
            " tell me ah.",
            420.0,
            "full_refund",
            420.0,
            None,
        ),
        (
            "Sí, exacto: a swap for a new one, must return item first.",
            420.0,
            "replacement",
            None,
            True,
        ),
        (
            "Based on the information available, this case is eligible for a full refund ($420) "
            "returned to the card on file.",
            420.0,
            "full_refund",
            420.0,
            None,
        ),
        (
            "This case does not qualify for a replacement; the remedy available under our policy "
            "is $59.80 in marketplace credit for your buyer account.",
            420.0,
            "store_credit",
            59.8,
            None,
        ),
        (
            "Please find below the resolution proposed for your case: a replacement (un cambio "
            "por uno nuevo) at no cost. A return is not required for this case.",
            420.0,
            "replacement",
            None,
            False,
        ),
        (
            "This decision is final. Nuestra oferta sigue siendo la misma: store credit (saldo) "
            "worth $7.50.",
            420.0,
            "store_credit",
            7.5,
            None,
        ),
        (
            "How would you feel about a refund of everything you paid ($420) back to the card the"
            " order was charged to, on receipt of the returned item at our warehouse?",
            420.0,
            "full_refund",
            420.0,
            True,
        ),
        (
            "On this occasion, the desk can extend a total reimbursement of $95 to the bank card "
            "you paid with, with no requirement to return anything.",
            95.0,
            "full_refund",
            95.0,
            False,
        ),
        (
            "How would you feel about a remittance covering everything paid, $95.00 returned to "
            "the payment card on file, and the item need not be returned?",
            95.0,
            "full_refund",
            95.0,
            False,
        ),
        (
            "We can offer you 45 € back instead of taking the sofa back.",
            420.0,
            "partial_refund",
            45.0,
            False,
        ),
        (
            "Rather than you boxing up the whole bed, could we refund a quarter of the order?",
            420.0,
            "partial_refund",
            None,
            False,
        ),
        (
            "Would it help if we added twenty dollars in credits to your account?",
            420.0,
            "store_credit",
            20.0,
            None,
        ),
        (
            "I can send a prepaid Canada Post label so you can post it back for free. Would that help?",
            420.0,
            "return_label",
            None,
            True,
        ),
        (
            "Could KWD 30 cashback to your original payment mode work for you?",
            420.0,
            "partial_refund",
            30.0,
            None,
        ),
        (
            "Once the pickup is done, the full refund of INR 4,250 goes to the bank account you "
            "paid from.",
            4250.0,
            "full_refund",
            4250.0,
            True,
        ),
        (
            "We can send a replacement chair on the next delivery run, usually 5-7 business days,"
            " and you can chuck the broken one.",
            420.0,
            "replacement",
            None,
            False,
        ),
        (
            "The replacement ships once the old one is back with us; hand it in at any branch.",
            420.0,
            "replacement",
            None,
            True,
        ),
        (
            "The new lamp ships Monday and you can toss the cracked one.",
            420.0,
            "replacement",
            None,
            False,
        ),
        (
            "On this one we can do a full refund of $420 back to your card. We'll need the item "
            "sent back to us first.",
            420.0,
            "full_refund",
            420.0,
            True,
        ),
        (
            "I can put $40 in store credit on your account for when they're back in stock.",
            420.0,
            "store_credit",
            40.0,
            None,
        ),
    ],
)
def test_offers_in_the_newer_desks_words(
    reader: Reader, text: str, total: float, kind: str, amount: float | None, back: bool | None
) -> None:
    """Offers framed by a ceiling, a short ask for a yes, an e-mail's or a hedging desk's words;
    asking for a yes to the offer asks nothing of the case."""
    reading = read_cs_reply(text, reader, total)
    # "Once the pickup is done, the full refund ... goes to the bank account" may read as the
    # arrangement reported set up: a confirmation only the model reads, which agrees nothing
    assert "offer" in reading.acts or reading.unread_yes, reading
    assert not (reading.contradicts or reading.confirms)
    assert "question" not in reading.acts
    assert reading.offer is not None
    assert (reading.offer.type, reading.offer.amount) == (kind, amount)
    assert reading.offer.return_required is back


@pytest.mark.parametrize(
    "text",
    [
        "Your refund request has been submitted and is pending review.",
        "Your refund for the returned lamp went back to your card on March 3, $45.00.",
    ],
)
def test_pending_review_or_a_refund_dated_in_words_is_no_offer(reader: Reader, text: str) -> None:
    assert read(reader, text).offer is None


def test_a_share_of_a_sum_names_the_share_not_the_sum(reader: Reader) -> None:
    """ "half of the $480": $480 is what the half is taken of, not the money offered."""
    offer = read_cs_reply("Correct, half of the $480 comes back to your card.", reader, 480.0).offer
    assert offer is not None
    assert (offer.type, offer.amount, offer.percent) == ("partial_refund", None, 50.0)


def test_a_bare_sum_of_credit_is_store_credit(reader: Reader) -> None:
    offer = read(reader, "could do 30 credit instead of the refund?").offer
    assert offer is not None and offer.type == "store_credit"


@pytest.mark.parametrize(
    "text",
    [
        "That's the one: a full refund of $79.99 to your card, once we have the item back. Shall I go ahead?",
        "Exactly right — a full refund of $79.99 to your card, and you keep the item. How does that sound?",
        "You quoted it right. The offer: a full refund ($79.99) to your card, no return needed. Want me to book it?",
        "Oui, that's it: a full refund for $79.99 to your card, no return needed. Just tell me if you want it.",
        "That's exactly it: $79.99 back to your card in full, nothing to post back. Nothing's booked yet; say the word and I'll set it up.",
        "Aye, you've got it right: a full refund of $79.99 to your card. Want me to go ahead?",
    ],
)
def test_a_yes_to_our_restatement_beside_an_invitation(reader: Reader, text: str) -> None:
    """A yes opening the reply confirms the terms we restated, though CS asks whether to go
    ahead; in answer to our acceptance the same words are no booking."""
    assert read_cs_reply(text, reader, 79.99).confirms
    assert not read_cs_reply(text, reader, 79.99, answering_acceptance=True).confirms


def test_the_one_thing_cs_cannot_do_is_no_yes(reader: Reader) -> None:
    assert not read_cs_reply("That's the one thing I can't do, I'm afraid.", reader, 79.99).confirms


@pytest.mark.parametrize(
    "text",
    [
        "What we'd normally do here is store credit of $25.48, applied within 1 business day.",
        "Sorry about that. What I would usually offer is $4.50 back to your card, no return needed.",
    ],
)
def test_what_the_desk_would_normally_do_here_is_an_offer(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 79.99)
    assert "offer" in reading.acts and reading.offer is not None, reading


@pytest.mark.parametrize(
    "text",
    [
        "I wasn't able to get approval for a full refund, but my supervisor has okayed $60 back, keeping the item.",
        "My manager wasn’t able to approve the full refund. She has, though, okayed $60 back to you.",
        "A full refund was never on the table, but $60 back to your card is.",
        "A full refund is beyond what I can authorise; $60 back to your card is what I can do.",
        "I'd love to do a full refund but my hands are tied. How about $60 back to your card?",
    ],
)
def test_a_full_refund_turned_down_beside_a_sum_offers_the_sum(reader: Reader, text: str) -> None:
    """The full refund is what the desk will not do; the sum said apart from it is the offer,
    never "a full refund of $60" on a $219 order."""
    offer = read_cs_reply(text, reader, 219.0).offer
    assert offer is not None and (offer.type, offer.amount) == ("partial_refund", 60.0), offer


@pytest.mark.parametrize(
    ("text", "total", "kind"),
    [
        (
            "Your refund of Rs. 2,499 has been initiated to the UPI ID you paid from.",
            2499.0,
            "full_refund",
        ),
        ("Dear Mr. Andersson, the order no. 771204 has been re-sent to you today.", 99.0, "reship"),
        ("ok sent you a new one!! tracking should come thru in a bit", 99.0, "replacement"),
        (
            "Right then, I've knocked €12 off and sent it back to your PayPal.",
            99.0,
            "partial_refund",
        ),
        (
            "I've just pushed the refund through: $212.40 to your Discover card.",
            212.40,
            "full_refund",
        ),
        ("Good news — your replacement headphones shipped this morning.", 99.0, "replacement"),
        ("Your gift card balance now shows $45.00 from the refund.", 99.0, "partial_refund"),
    ],
)
def test_a_remedy_reported_done_in_other_words_confirms(
    reader: Reader, text: str, total: float, kind: str
) -> None:
    """A report that the remedy is done is a confirmation, not an offer; a full stop after
    "Rs", "Mr" or "no" before a number ends no sentence."""
    reading = read_cs_reply(text, reader, total)
    assert "confirmation" in reading.acts and "offer" not in reading.acts, reading
    assert reading.offer is not None and reading.offer.type == kind, reading.offer


@pytest.mark.parametrize(
    "text",
    [
        "Tracking now shows it was delivered on Tuesday.",
        "Sent you an email with the details.",
        "Your new password was sent to your email.",
        "Your code is ready.",
    ],
)
def test_a_report_of_something_else_is_no_yes(reader: Reader, text: str) -> None:
    """Words that report a remedy done ("now shows", "sent you a new one", "is ready") report
    nothing agreed when they are about tracking, e-mails or passwords."""
    assert not read_cs_reply(text, reader, 79.99).confirms


@pytest.mark.parametrize(
    "text",
    [
        "Accepted and processed, refund of $12.90 on its way.",
        "Confirming: $200 refund approved and processed to the original payment method.",
        "Resolution code: GW-CRED\nAmount: $5.00\nStatus: Applied\n\nSorry for the trouble!",
        "Sure, that's settled then. $9.99 refund for the missing sauce pot, card, keep the rest.",
    ],
)
def test_a_ticket_status_or_an_approval_processed_confirms(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 219.0)
    assert "confirmation" in reading.acts and "offer" not in reading.acts, reading


def test_a_yes_from_the_desk_to_the_terms_we_listed(reader: Reader) -> None:
    text = "That's a yes from me. The terms you listed are right: full refund, $96.00, to the Visa."
    assert read_cs_reply(text, reader, 96.0).confirms


def test_nothing_more_for_the_customer_to_do_is_no_refusal(reader: Reader) -> None:
    reading = read_cs_reply("That's right, yes — nothing more you need to do on your side.", reader)
    assert reading.confirms and "refusal" not in reading.acts, reading


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("As it's outside the 30-day window, I can refund $20 to your card.", None),
        ("A refund isn't possible after 60 days, but I can offer $30 in store credit.", None),
        ("I can see your parcel arrived four days late, so I'll refund the $9.99 delivery.", None),
        ("I'll email you a return label now; drop it at any post office within 14 days.", None),
        ("Voucher code SORRY20 is set up: $20 off, valid for 90 days.", None),
        ("The refund goes back to your card within 3-5 business days.", 5),
        ("Your refund of $23.50 will be returned to your card within 5 business days.", 5),
        ("Please send it back within 14 days and we'll refund you within 5 days of receipt.", 5),
        ("We are making refund to your card of 40 dollar, please wait 7 days for bank.", 7),
    ],
)
def test_only_the_time_the_remedy_takes_is_its_days(
    reader: Reader, text: str, days: int | None
) -> None:
    """A window, an age, a delay, the customer's deadline to send something back and how long
    a voucher or label stays valid are not the time the remedy takes."""
    assert offered(reader, text, 60.0).days_to_complete == days


@pytest.mark.parametrize(
    "text",
    [
        "Yes — and a quick clarification: the $10 restocking fee comes off the refund.",
        "Yes, that's correct, except it'll be two working days rather than one.",
        "Correct, apart from the amount: it's $45, not $50.",
    ],
)
def test_a_yes_with_a_correction_is_no_plain_yes(reader: Reader, text: str) -> None:
    """A yes that changes one of the terms we restated does not confirm them as they stand."""
    reading = read(reader, text, 60.0)
    assert reading.contradicts and not reading.confirms


@pytest.mark.parametrize(
    "text",
    [
        "Honestly, I'd love to sort you out with a refund here, but the box was collected "
        "from the locker and we have the scan showing it.",
        "I wish I could send a replacement, but that model is discontinued.",
        "I would happily refund you, but the item was bought over a year ago.",
        "I'd really like to offer a refund here, however our policy doesn't allow it.",
    ],
)
def test_a_remedy_wished_for_and_turned_down_is_no_offer(reader: Reader, text: str) -> None:
    assert read(reader, text, 60.0).offer is None


def test_a_remedy_glad_to_give_on_a_condition_is_an_offer(reader: Reader) -> None:
    text = "I'd be happy to send a replacement, but I'll need a photo of the damage first."
    assert offered(reader, text, 60.0).type == "replacement"


@pytest.mark.parametrize(
    ("text", "returned"),
    [
        ("$75 refund, original payment, 5 business days. The customer keeps the item.", False),
        (
            "I can go up to $25 back to the original card, and the customer keeps the blender.",
            False,
        ),
        ("The $42.50 refund goes to your card. You need not send the product back.", False),
        ("The refund of $19.00 goes back to the card. Nothing needs returning.", False),
        ("Completed: full refund of $89.90 to original payment method after return.", True),
        (
            "I'm going to authorise a full refund of $129.99 with no restocking fee, once the "
            "item is returned.",
            True,
        ),
    ],
)
def test_return_terms_said_of_the_customer_or_beside_no_fee(
    reader: Reader, text: str, returned: bool
) -> None:
    """A desk talking to the customer's assistant says "the customer keeps it"; "no
    restocking fee" negates nothing that follows it."""
    assert offered(reader, text, 129.99).return_required is returned


def test_a_sum_set_aside_is_not_the_sum_booked(reader: Reader) -> None:
    text = (
        "I've processed it. Just to be transparent, I was only able to refund $40 rather than "
        "the $45 — the system caps goodwill credits. So: $40 store credit, no return."
    )
    reading = read_cs_reply(text, reader, 60.0, answering_acceptance=True)
    assert reading.offer is not None and reading.offer.amount == 40.0


@pytest.mark.parametrize(
    ("text", "returned"),
    [
        (
            "Yes: a full refund of $249, back on your Visa within 7 days of the courier collecting it.",
            True,
        ),
        (
            "Right, $15's gone back on your card for the snag in the throw, which you're keeping.",
            False,
        ),
        ("We'll send a new kettle this week; no point posting the old one back.", False),
        ("A fresh set of towels ships Monday. Use the wet ones as rags if you like.", False),
        ("A new garden chair is on its way to you. The broken one can go in the skip.", False),
    ],
)
def test_return_terms_in_more_words(reader: Reader, text: str, returned: bool) -> None:
    assert offered(reader, text, 249.0).return_required is returned


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Would sixty bucks work? That's about what a local repair would cost.", 60.0),
        ("Could we settle on $65, roughly what the repair shop quoted you?", 65.0),
        ("I started at $10; we're now at $18. I can push to $22 if that closes this out.", 22.0),
        ("How about $30 toward the $120 set, kept on your card?", 30.0),
        # haggling: the agent's number, said as its limit or its last word
        ("Fine, £35. That's my final number.", 35.0),
        ("I can bump it up to $28 if that helps.", 28.0),
        ("I can't do $40 for a scratch, sorry. Could we meet at €20?", 20.0),
        ("My team lead said yes to $70.", 70.0),
        ("I can't approve $90, but $60 I can do today.", 60.0),
        ("I could offer eight pounds fifty back for the missing strap.", 8.5),
        ("I'm able to go up to one hundred and ten dollars, and you keep the table.", 110.0),
        ("Before it was $15; I can take that to $25. Can't promise more.", 25.0),
    ],
)
def test_a_bare_sum_put_forward_is_money_back(reader: Reader, text: str, amount: float) -> None:
    offer = offered(reader, text, 120.0)
    assert offer.type == "partial_refund" and offer.amount == amount


def test_markdown_emphasis_and_quoted_lines_are_not_the_desks_words(reader: Reader) -> None:
    """A support tool's "**Return:** Not required"; an email's "> ..." quotes the message it
    answers, not what the desk offers."""
    text = "**Resolution:** Partial refund | **Amount:** $23.00 | **Return:** Not required"
    assert kind_amount_return(read(reader, text, 60.0)) == ("partial_refund", 23.0, False)
    quoted = "> I'd like a full refund and to keep it.\n\nI can offer a replacement instead."
    assert offered(reader, quoted, 60.0).type == "replacement"


@pytest.mark.parametrize(
    ("text", "total", "amount"),
    [
        ("I can do a 15% partial refund on the $460 order - $69 - for the scratch.", 460.0, 69.0),
        (
            "The chairs are $85.70 each, so I can refund $171.40 for the two that split.",
            342.8,
            171.4,
        ),
        (
            "I've reviewed the order (placed 2 March, $342.80 total). I can refund $85.70 for "
            "the chair with the split leg.",
            342.8,
            85.7,
        ),
        ("I'll refund you the difference: you paid $58, it's now $44, so $14 back.", 58.0, 14.0),
        ("I can refund the $40 item in full.", 40.0, 40.0),
        # the remedy's own sum in brackets, beside a threshold
        (
            "I'm able to set up a complete refund ($85.00) to your card. FYI, refunds over "
            "$500 need an extra approval step.",
            85.0,
            85.0,
        ),
        ("A complete refund ($85.00) to your card; the item cost $85.00 on 2 May.", 85.0, 85.0),
    ],
)
def test_a_sum_that_describes_the_order_is_not_the_sum_offered(
    reader: Reader, text: str, total: float, amount: float
) -> None:
    assert offered(reader, text, total).amount == amount


def test_money_got_back_in_days_is_the_remedys_time() -> None:
    assert find_days("You'll get your money back within 5 business days.") == 5
    assert find_days("If you can get it back to us within the next 14 days, we'll refund.") is None


@pytest.mark.parametrize(
    "text",
    [
        # a dated event in a timeline, a sum the remedy came to, an arrival
        "Refund of £42.00 issued 3 June, to the card ending 1188.",
        "The refund for the second mug was $9.50 rather than $12.",
        "Great to hear the replacement turned up in one piece. Have a good weekend!",
        "Thanks for letting me know the refund showed up, $31.20. I'll close the ticket.",
        # what someone else does, or what everyone affected gets
        "Replacement batteries are being sent to all affected customers by the manufacturer.",
        # a name in quotes, a recap of what happened, a fee of a foreign exchange
        "Your statement will show it as 'Refund - Order 5521'.",
        "Here's what happened: my colleague promised a replacement and a refund of the $6 postage.",
        "That charge is a foreign exchange fee from your bank, so we can't refund it.",
        # a remedy thought of and dropped, or one that would have been given
        "I was going to offer you a voucher, but this account has had one this year already.",
        "I did think about a replacement, but the whole batch has the same fault.",
        "I tried to send out a new one but the system won't let me while it's in transit.",
        "We'd have been glad to refund the difference had you asked within the week.",
        "In a perfect world I'd refund you today, but this one has to go to the manufacturer.",
        # the customer's wish or topic said back
        "So you're after a new lid rather than money back, have I got that right?",
        "I've asked finance why the £25 refund you were promised in April hasn't reached you.",
        # what others got, what goods in general get, what an earlier agent said
        "Other customers from that batch were sent replacements; your serial isn't one of them.",
        "We do offer free replacements for items damaged in transit if reported within 2 days.",
        "We can only exchange items bought in one of our shops.",
        "The earlier agent offered 20% off, but that was for the order you cancelled.",
        # a sum after "OK" or "Fine" that is no number put forward
        "Okay, $20 is the return shipping charge if you send it back.",
        "OK, $45 is what you paid for the lamp, right?",
        "Fine, $12.99 was the delivery fee on that order.",
        "$45 is the best price we had that week.",
        # "get back" as coming home or replying, "pay the full price" as the customer's cost
        "Let me know when you get back from holiday and we'll sort the return.",
        "Once you get back to us with the photos I can look at options.",
        "You'd need to pay the full price for the upgraded model.",
    ],
)
def test_money_talk_that_offers_nothing(reader: Reader, text: str) -> None:
    assert read(reader, text).offer is None, text


def test_a_status_quoted_still_reports_it() -> None:
    """A quote names a thing, except the status a case or a ticket reads now."""
    assert cs_reply._QUOTED.search("the 'refund issued' email")
    assert not cs_reply._QUOTED.search("Your case now reads 'Resolved - replacement shipped'.")


@pytest.mark.parametrize(
    ("text", "kind", "amount", "percent"),
    [
        # the whole cost or every penny coming back is a full refund
        (
            "Once it's back at the warehouse, the full cost comes back to you.",
            "full_refund",
            None,
            None,
        ),
        ("Every penny of your money will be back with you by Friday.", "full_refund", None, None),
        ("I'll put the whole amount back on your card today.", "full_refund", None, None),
        # money back said as a share given back, a debt, a line of a breakdown
        ("We'll give you back 20% of the order on your card.", "partial_refund", None, 20.0),
        (
            "So we owe you $19.99 for the case, going back on your card now.",
            "partial_refund",
            19.99,
            None,
        ),
        # a sum put on the customer's account is credit
        ("I can put a tenner on your account for the trouble.", "store_credit", 10.0, None),
        # "a fresh batch" is a replacement; the order "going back out" is a reship
        (
            "Would a fresh batch of the cookies suit you? Baked and posted within 3 days.",
            "replacement",
            None,
            None,
        ),
        ("Sorted: your order's going back out with tracking.", "reship", None, None),
    ],
)
def test_remedies_said_in_other_words(
    reader: Reader, text: str, kind: str, amount: float | None, percent: float | None
) -> None:
    offer = offered(reader, text, 80.0)
    assert (offer.type, offer.amount, offer.percent) == (kind, amount, percent)


def test_the_second_item_of_an_order_is_no_replacement(reader: Reader) -> None:
    offer = offered(reader, "I'll refund half of the order, as the second item was so late.", 80.0)
    assert (offer.type, offer.percent) == ("partial_refund", 50.0)


def test_a_complaint_considered_still_offers_what_follows(reader: Reader) -> None:
    """ "We've considered ..., but" drops only a remedy considered, not the case considered."""
    text = "We've considered the evidence and can offer a full refund, but only if you return it first."
    assert offered(reader, text, 80.0).type == "full_refund"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I'll refund you in full for items 2 and 3.", "full_refund"),
        ("We'll replace all items in the order free of charge.", "replacement"),
    ],
)
def test_remedies_for_this_orders_items_are_no_rule_for_goods(
    reader: Reader, text: str, kind: str
) -> None:
    assert offered(reader, text, 80.0).type == kind


# ---------------------------------------------------------------- writers bj and bk


@pytest.mark.parametrize(
    "text",
    [
        # the rule said of goods in general: "our policy is that ...", plural remedies
        "For large appliances, our policy is that the old unit has to be collected before a "
        "replacement is delivered.",
        "We offer free exchanges on colours, but refunds for change of mind cost £4.95.",
        "We generally only give store credit after 60 days — cash refunds stop after that.",
        # sums explained are no sum offered, even where the kind model sees a refund
        "Your order total was $64, but your statement shows $71 because of the express "
        "shipping you chose.",
        # an earlier offer told, then taken back
        "Earlier today I suggested a 15% discount, but sale items are excluded, so I have to "
        "take that back.",
    ],
)
def test_rules_sums_explained_and_offers_taken_back_are_no_offer(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 80.0)
    assert reading.offer is None, reading
    assert "offer" not in reading.acts


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        # a charge refunded in full is that charge, not the order
        ("I'll refund the delivery charge in full since it arrived late.", "partial_refund", None),
        ("I'll refund the $4.99 delivery charge in full.", "partial_refund", 4.99),
        ("I'll refund the order in full, shipping included.", "full_refund", None),
        (
            "Returns for a refund cost £3.95, but I can waive that and refund you in full.",
            "full_refund",
            None,
        ),
        # kronor and złoty written as words after the sum
        ("Okay, I've got approval for 250 kr back on your card.", "partial_refund", 250.0),
        ("We can refund 120 zł to your card today.", "partial_refund", 120.0),
        # a reason before the offer put as a question is not the offer's tense
        (
            "Given the delay has already cost you the weekend, would $20 back on your card help?",
            "partial_refund",
            20.0,
        ),
        # "as I mentioned" is an aside; of several sums, the one put forward
        ("As I mentioned, we can do the $50 partial refund to your card.", "partial_refund", 50.0),
        (
            "I hear that $10 seems low. I can make it $18 and that's my limit.",
            "partial_refund",
            18.0,
        ),
    ],
)
def test_terms_of_charges_local_sums_and_asides(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    offer = offered(reader, text, 300.0)
    assert (offer.type, offer.amount) == (kind, amount)


def test_what_the_desk_needs_before_a_refund_is_a_question_not_a_booking(reader: Reader) -> None:
    text = "Before I can put the refund through, I'll need the last four digits of the card you paid with."
    reading = read_cs_reply(text, reader, 80.0, answering_acceptance=True)
    assert "question" in reading.acts and "confirmation" not in reading.acts, reading
    assert not cs_reply.says_back(text, "a full refund of $80", None)


# ---------------------------------------------------------------- writers bl, bm and bn


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        # a whole sum with no sign, where a chat desk's words make it money
        ("can do 35 in store credit if thats ok", [35.0]),
        ("credit of 40 to ur acct, instant", [40.0]),
        ("ok ill refund u 12.50 to ur card", [12.5]),
        ("i can add 15 credit for the wait", [15.0]),
        ("done, 20 on ur gift card balance", [20.0]),
        # and never a count, a time, an id or a share
        ("i can refund 3 mugs out of the 6", []),
        ("refund in 5 days once its back", []),
        ("refund 2 of the items only", []),
        ("order 4471 on your account shows delivered", []),
        ("I added 2 to the basket by mistake", []),
        ("i can refund 15% of it", []),
        # a sum with its cents is money in a chat about an order; a time, a date, a size or a
        # version is not
        ("we'll put the whole order, 58.20, back on ur card", [58.2]),
        ("all 37.45 is on its way back", [37.45]),
        ("the 16.99 postage is refunded", [16.99]),
        ("courier comes at 10.30 tomorrow", []),
        ("it measures 1.25m and weighs 3.40kg", []),
        ("firmware version 2.10 fixes it", []),
        ("dispatched on 14.06, order no 12.50", []),
        # a whole sum named as a voucher's or a refund's worth, or the one already on the table
        ("here's a 15 voucher for the bother", [15.0]),
        ("ur 60 refund follows once it's back", [60.0]),
        ("best I can do is still the 12 we discussed", [12.0]),
        ("refunding the 27 now", [27.0]),
        ("go ahead with the 30 back then", [30.0]),
        ("popped 8 in ur wallet", [8.0]),
        # never the goods sent or taken back, or things counted
        ("we'll take the 2 back with the courier", []),
        ("the 3 gift cards you ordered", []),
        # beside sums written with a sign, a bare number is a sum only where it repeats one
        ("Refund of $95.00 approved; drop it off by 11 back at our depot", [95.0]),
        ("you paid 25 dollars for it, so the 25 back is only fair", [25.0, 25.0]),
    ],
)
def test_sums_without_a_sign_in_a_chat_desks_words(text: str, amounts: list[float]) -> None:
    assert find_amounts(text) == amounts


@pytest.mark.parametrize(
    "text",
    [
        # a question after a lead asks about a remedy given before
        "Quick follow-up: did the replacement kettle reach you safely?",
        # what exists already: a label that expires, a refund pending
        "Just a heads-up that your prepaid return label expires on Friday.",
        "I can see a pending refund of $24.00 for the returned jeans; it should clear by Monday.",
    ],
)
def test_remedies_already_given_are_no_offer(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 80.0)
    assert reading.offer is None, reading


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("Would a full refund of the $12 postage be acceptable?", "partial_refund", 12.0),
        ("sry cant refund but can offer 35 in store credit", "store_credit", 35.0),
        ("cant send another but can refund u 19.99 to ur card", "partial_refund", 19.99),
        ("sorry cant refund a used item but heres 15 credit", "store_credit", 15.0),
        ("no exchanges on clearance. can give credit of 25", "store_credit", 25.0),
        # "the €15 I mentioned would be a voucher": still the offer, said again
        ("To clarify: the €15 I mentioned would be a voucher, not cash.", "store_credit", 15.0),
    ],
)
def test_terms_of_fees_signless_sums_and_offers_said_again(
    reader: Reader, text: str, kind: str, amount: float
) -> None:
    offer = offered(reader, text, 80.0)
    assert (offer.type, offer.amount) == (kind, amount)


def test_a_remedy_given_before_beside_one_offered_books_nothing(reader: Reader) -> None:
    """ "the refund already went out on the 3rd, but I can add $10 credit": the credit is
    offered; what went out is the refund of long ago."""
    text = "The refund already went out on the 3rd, but I can add $10 credit for the hassle."
    reading = read_cs_reply(text, reader, 80.0)
    assert "offer" in reading.acts and "confirmation" not in reading.acts, reading
    assert (reading.offer.type, reading.offer.amount) == ("store_credit", 10.0)


# ---------------------------------------------------------------- writers bp, bq, br and bs


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        # a haggle's bare numbers are money
        ("can do 25 back, thats the most for a scuffed lamp", [25.0]),
        ("meet u in the middle at 40", [40.0]),
        ("u asked for 80, i can do 55. thats already over", [55.0]),
        ("55 is the ceiling. take it or leave it", [55.0]),
        ("manager says 120 max. thats it", [120.0]),
        ("12 too low? fine, 18. not going higher", [18.0]),
        ("sry no, 18 stands", [18.0]),
        ("no can do on 60 sorry. 45 and we call it even?", [45.0]),
        ("can do credit for a future show tho, the full 80", [80.0]),
        ("25% = 22, gone back to ur card", [22.0]),
        ("kibble bag came 2kg light? we'll refund 9 for that", [9.0]),
        ("ok 40 refunded + pedals shipped", [40.0]),
        ("42 to the amex, 5-10 days", [42.0]),
        # and never the goods sent back, a count, a size or a time
        ("send 2 back and we refund", []),
        ("we can take 3 back to the warehouse", []),
        ("can do 2 more days", []),
        ("i can do 3 of them", []),
        ("ill send the 10 out today", []),
        ("i can do 10 on tuesday", []),
        ("we shipped 2. the rest follows", []),
    ],
)
def test_a_haggles_bare_numbers_are_sums(text: str, amounts: list[float]) -> None:
    assert find_amounts(text) == amounts


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("can do 25 back, thats the most for a scuffed lamp", "partial_refund", 25.0),
        ("meet u in the middle at 40", "partial_refund", 40.0),
        ("credit only: 35 on ur acct", "store_credit", 35.0),
        ("u asked for 80, i can do 55. thats already over what im allowed", "partial_refund", 55.0),
        ("60 not enough? i can go 70, cant go past that w/o my manager", "partial_refund", 70.0),
        ("sry no, 25 is nearly half the order lol. 18 stands", "partial_refund", 18.0),
    ],
)
def test_a_terse_haggle_is_an_offer_with_its_sum(
    reader: Reader, text: str, kind: str, amount: float
) -> None:
    offer = offered(reader, text, 90.0)
    assert (offer.type, offer.amount) == (kind, amount)


def test_thats_it_after_a_limit_ends_the_offer_it_is_no_yes(reader: Reader) -> None:
    reading = read_cs_reply("manager says 60 max. thats it", reader, 90.0)
    assert "offer" in reading.acts and "confirmation" not in reading.acts, reading
    assert reading.offer is not None and reading.offer.amount == 60.0


def test_a_sum_or_a_new_thing_put_as_a_question_is_a_choice(reader: Reader) -> None:
    reading = read_cs_reply("yeah pump's dead. 52 back or new bottle?", reader, 90.0)
    assert reading.offer is None and "preferred_remedy" in reading.asks, reading


@pytest.mark.parametrize(
    "text",
    [
        "9 back, processed",
        "8 back to paypal, done",
        "18 refunded to card.",
        "Refund initiated ✔ 50% of the item price back to your card.",
    ],
)
def test_a_terse_status_after_a_sum_books_it(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 90.0)
    assert "confirmation" in reading.acts, reading


def test_yes_or_no_asked_is_no_yes(reader: Reader) -> None:
    reading = read_cs_reply("20 back, ok? yes/no", reader, 90.0)
    assert "confirmation" not in reading.acts and reading.offer is not None, reading


@pytest.mark.parametrize(
    "text",
    [
        "Kindly take note that the refund has been initiated from our end on 14-Mar-2024.",
        "We confirm that the refund of 59,99 € has been issued on 02.05.2024 to your PayPal account.",
        "The replacement was dispatched on 2024-06-17.",
    ],
)
def test_a_remedy_dated_in_numbers_is_a_past_fact(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 90.0)
    assert reading.offer is None and reading.acts == ["fact"], reading


@pytest.mark.parametrize("text", ["Thanks again, sorry for the back-and-forth. Closing now ✅"])
def test_a_tick_with_no_terms_books_nothing(reader: Reader, text: str) -> None:
    assert "confirmation" not in read_cs_reply(text, reader, 90.0).acts


def test_one_sum_or_another_then_which_is_a_choice(reader: Reader) -> None:
    text = (
        "I can't refund the full 120, but I can do 80 if you keep the item, or the full 120 if "
        "you send it back. Let me know which."
    )
    reading = read_cs_reply(text, reader, 120.0)
    assert reading.offer is None and "question" in reading.acts, reading


@pytest.mark.parametrize(
    "text",
    [
        "Yes, I can do the $25 off, but only as a credit for your next order. Is that alright?",
        "Yep, the replacement is fine. However, we'll have to charge the $6 shipping this time. "
        "Happy for me to go ahead?",
    ],
)
def test_a_yes_with_a_string_attached_and_a_question_is_an_offer(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 90.0)
    assert "offer" in reading.acts and "confirmation" not in reading.acts, reading


@pytest.mark.parametrize(
    "text",
    [
        "Yes, the delivery slot has been moved to Saturday between 8am and 12pm.",
        "That's correct, your subscription will now renew on the 15th instead of the 1st.",
        "Just to confirm, I've changed the payment card on your account to the one ending 7712.",
    ],
)
def test_a_yes_about_another_thing_is_no_agreement(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 90.0)
    assert "confirmation" not in reading.acts and reading.offer is None, reading


def test_a_sum_processed_today_is_booked_and_one_processed_on_monday_was(reader: Reader) -> None:
    assert "confirmation" in read_cs_reply("Thanks. $18 processed today.", reader, 90.0).acts
    past = read_cs_reply("The full refund of $212.40 was processed on Monday.", reader, 212.4)
    assert past.acts == ["fact"] and past.offer is None, past


@pytest.mark.parametrize(
    "text",
    [
        "The book was lost by the courier. I can send another copy, but it'll take a week. "
        "Or I can refund you in full. Which would you prefer?",
        "I'll happily send you a replacement, but I'm out of the 8-inch ones at the moment. "
        "Would you be happy to wait, or would you prefer a refund?",
    ],
)
def test_a_remedy_then_another_as_the_alternative_is_a_choice(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 90.0)
    assert reading.offer is None and "preferred_remedy" in reading.asks, reading


def test_a_remedy_then_a_question_of_another_course_stays_an_offer(reader: Reader) -> None:
    reading = read_cs_reply(
        "I can send a replacement today. Or would you rather wait?", reader, 90.0
    )
    assert reading.offer is not None and reading.offer.type == "replacement", reading


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("can send u a new charger if the old one's truly dead", "replacement", None),
        ("if still nothing after that we'll replace it", "replacement", None),
        (
            "we'll refund the full 44.00 right away, no need to wait for the claim",
            "full_refund",
            44.0,
        ),
        (
            "we'd rather not send another, they keep going missing. refund of 44.00 instead?",
            "full_refund",
            44.0,
        ),
        (
            "we can't split the bundle, sorry. full return and refund is possible tho",
            "full_refund",
            None,
        ),
        ("If you'd rather not send it back, keep it and we'll refund $20.", "partial_refund", 20.0),
    ],
)
def test_chat_shorthand_and_benign_negations_leave_the_offer(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    reading = read_cs_reply(text, reader, 44.0)
    assert reading.offer is not None and reading.offer.type == kind, reading
    assert reading.offer.amount == amount, reading


def test_terms_set_out_as_follows_at_acceptance_are_booked(reader: Reader) -> None:
    reading = read_cs_reply(
        "All done. The details are as follows: the order is sent again today, no return "
        "needed. Anything else?",
        reader,
        60.0,
        answering_acceptance=True,
    )
    assert "confirmation" in reading.acts and reading.offer is not None, reading
    assert reading.offer.type == "reship", reading


@pytest.mark.parametrize(
    "text",
    [
        "The lamp was packed without its shade at our warehouse. I'll send the shade out today.",
        "Tracking hasn't moved since Monday. I'll treat it as lost and send the order again.",
        "Our return window is 30 days. As a one-off I can offer $15 credit.",
    ],
)
def test_what_happened_told_beside_the_offer_is_a_fact(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 60.0)
    assert reading.offer is not None and "fact" in reading.acts, reading


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("If you pop the lamp in the post to us, I'll refund the full $40.", True),
        ("Take the faulty toaster back to any of our stores and they'll refund it there.", True),
        ("A new mixer goes out today; the faulty one goes back in the same box.", True),
        ("We'll bring a new sofa and take the scratched one away on the same visit.", True),
        ("We'll send a new battery. Please give the old one to the courier when it arrives.", True),
        ("A replacement ships today; keep the faulty one until we send a collection label.", True),
        (
            "New filter going out today. Return the cracked one in the bag; don't send it by post.",
            True,
        ),
        ("We'd rather not ask you to return it, so I'll refund the $30 in full.", False),
        ("There isn't any need to send us the wrong mugs. We'll send the right ones today.", False),
    ],
)
def test_the_items_return_said_yet_other_ways(reader: Reader, text: str, required: bool) -> None:
    reading = read_cs_reply(text, reader, 40.0)
    assert reading.offer is not None and reading.offer.return_required is required, reading


@pytest.mark.parametrize(
    "text",
    [
        "We've tried to call you twice about the delivery. Could you reply with a good time?",
        "We've no record of a return on this order. Do you have proof of postage?",
        "The mechanism is covered under the maker's 2-year warranty. What's the serial number?",
    ],
)
def test_what_happened_told_beside_a_question_is_a_fact(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 60.0)
    assert reading.acts == ["question", "fact"] and reading.offer is None, reading


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (
            "can send u a new one, shd be w u tmrw",
            "can send you a new one, should be with you tomorrow",
        ),
        # a desk's own shorthand
        (
            "no rfnd w/o return, but a repl is ok",
            "no refund without return, but a replacement is ok",
        ),
        (
            "full amt to ur og card, drop it w the label",
            "full amount to your original card, drop it with the label",
        ),
        (
            "u'll get ur money back pls allow 3 days",
            "you'll get your money back please allow 3 days",
        ),
        ("25 n thats final", "25 and thats final"),
        ("late cos the van broke", "late because the van broke"),
        # letters and words that are names, sizes, codes or places stay
        ("the U-bend and the size S", "the U-bend and the size S"),
        ("Model R ships from COS to BC", "Model R ships from COS to BC"),
        ("order N/A, ref u.s.", "order N/A, ref u.s."),
        ("size W32, OG edition, a w", "size W32, OG edition, a w"),
    ],
)
def test_chat_shorthand_is_spelled_out(text: str, read: str) -> None:
    assert normalize(text) == read


@pytest.mark.parametrize(
    "text",
    [
        "There isn't any need to send us the wrong mugs. We'll send the right ones today.",
        "No need to send us anything back; a new one goes out today.",
    ],
)
def test_a_request_said_not_to_be_needed_asks_nothing(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 40.0)
    assert reading.asks == [] and "question" not in reading.acts, reading


def test_terms_the_model_is_sure_are_put_forward_are_no_confirmation(reader: Reader) -> None:
    """ "we'll refund" after "Let's do it this way" reads as done to the words alone; the model,
    sure it is an offer, takes the yes away (it may never give one)."""
    text = (
        "Understood. Let's do it this way: post it back with our prepaid label and we'll refund "
        "all $120 to your card."
    )
    reading = read(reader, text, 120.0)
    assert reading.acts == ["offer"] and not reading.confirms


def test_acts_the_agent_does_nothing_on_where_the_model_is_nearly_certain(
    reader: Reader,
) -> None:
    """A closing and a fact the words do not name, said by a model nearly certain of them."""
    done = read(
        reader,
        "All done, the $30 is on its way to your card. Thanks so much for your patience, and "
        "sorry again for the bother.",
        120.0,
    )
    assert "closing" in done.acts
    asking = read(
        reader,
        "I can see two charges from the 3rd; one of them is a hold that drops off by itself. "
        "Could you tell me the amounts you see?",
    )
    assert asking.acts == ["question", "fact"]


def test_a_sum_the_kind_model_reads_as_a_refund_is_full_only_when_it_is_the_total(
    reader: Reader,
) -> None:
    text = (
        "All done, the ${} is on its way to your card. Thanks so much for your patience, and sorry"
        " again for the bother."
    )
    part, whole = (
        read(reader, text.format(30), 120.0).offer,
        read(reader, text.format(120), 120.0).offer,
    )
    assert part is not None and (part.type, part.amount) == ("partial_refund", 30.0)
    assert whole is not None and (whole.type, whole.amount) == ("full_refund", 120.0)


@pytest.mark.parametrize(
    "text",
    [
        "Once your return reaches us it's checked and refunded automatically within 10 days.",
        "How it works is, you drop it off, and we refund you within two days of getting it.",
        "When it arrives you'll have 30 days to send it back for a refund if you don't want it.",
        "Your warranty covers replacement parts for two years, but not the engineer's labour.",
        "Good news: the courier found your parcel and the driver will redeliver it tomorrow.",
    ],
)
def test_a_process_a_right_a_cover_or_another_errand_is_no_offer(reader: Reader, text: str) -> None:
    assert read(reader, text).offer is None, text


def test_a_credit_that_applies_automatically_at_checkout_is_still_granted(reader: Reader) -> None:
    reading = read(
        reader,
        "All sorted! $12 credit is on your account now; it'll apply automatically at checkout.",
    )
    assert reading.offer is not None and reading.offer.type == "store_credit"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I've processed the refund of R1 299 back to your card.", 1299.0),
        ("We'll refund the full R2 499 once the courier has collected it.", 2499.0),
        ("A refund of €2 499,00 goes back to your card today.", 2499.0),
        ("USD 1 299.50 back to your card, processed.", 1299.5),
    ],
)
def test_thousands_set_apart_by_a_space(text: str, amount: float) -> None:
    assert [a.value for a in find_amount_spans(text)] == [amount]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        # the sum read whole where a chat desk's bare numbers get their sign ("... to your")
        ("I can arrange a full refund of R4 999 to your original payment method.", 4999.0),
        ("I've processed the refund of R1 299 back to your card.", 1299.0),
        # thousands after a point: no sum of money has three digits after its point
        ("We'll refund €1.299,00 to your card within 5 days.", 1299.0),
        ("We'd like to offer you a voucher of 50.000 COP for your next purchase.", 50000.0),
        ("We can put a store credit of 300 TL on your account.", 300.0),
        # the sign after the sum, its thousands set apart; Swiss and Czech sums
        ("Keep it, and we'll refund you 40% of what you paid, which is 1 960 ₽.", 1960.0),
        ("We'll refund the 1.299,00 € to your bank account within 14 days.", 1299.0),
        ("We'll refund the full CHF 1'299.50 to your original card within 10 days.", 1299.5),
        ("We'll send the Kč 12 990 back to your bank account within 5 days.", 12990.0),
    ],
)
def test_sums_read_whole_in_an_offer(reader: Reader, text: str, amount: float) -> None:
    reading = read(reader, text, None)
    assert reading.offer is not None and reading.offer.amount == amount, reading


def test_a_fault_owned_is_no_refusal(reader: Reader) -> None:
    """ "should have knocked 25% off" owns a mistake; it turns no remedy down."""
    text = "You're right, the code should have knocked 25% off. I'll refund the difference, $11.25, to your card."
    reading = read(reader, text, 45.0)
    assert reading.acts == ["offer"] and reading.offer is not None


def test_a_new_return_label_is_a_label_not_a_replacement(reader: Reader) -> None:
    text = "We'll send you a new return label, the last one expired. It'll be in your inbox within the hour."
    assert kind_amount_return(read(reader, text))[0] == "return_label"


@pytest.mark.parametrize(
    "text",
    [
        "Right, so to sum up: we're sending the whole order again at no cost, with you in 3 days.",
        "You've summarised it perfectly: $30 back to your Amex for the price difference.",
        "Your summary is accurate: $40 refunded to your card, and you keep the lamp.",
        "That's the arrangement: we knock $60 off, refunded to your card, and the sofa stays.",
        "Fine as you've written it: 15% of the price refunded, £12, and nothing else changes.",
        "All correct. Twenty pounds of store credit goes on your account and you keep the order.",
        "Sure is. A full refund of $310 to your card, less a $25 restocking fee, once it's back.",
    ],
)
def test_our_restatement_said_to_be_right_in_more_words(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.confirms and reading.offer is not None, reading


@pytest.mark.parametrize(
    "text",
    [
        "Nothing I can offer on this one, I'm afraid.",
        "Sending an engineer isn't an option for this model.",
        "It was reviewed twice; no further credit can be given on this order.",
        "Sorry, that's all I'm authorised to offer. Have a good evening.",
        "I have to withdraw that; my manager hasn't approved it.",
        "The decision is final on this complaint.",
    ],
)
def test_a_no_in_more_words(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert "refusal" in reading.acts and reading.offer is None, reading


def test_a_yes_to_our_terms_while_nothing_is_booked_yet(reader: Reader) -> None:
    """Terms said back before we accept are booked by nobody yet: still a yes to them; in
    answer to our acceptance the same words are no done, and an approval awaited no yes."""
    text = (
        "Yes, that's right: a full refund of $40 to your card. I haven't processed the refund yet."
    )
    assert read(reader, text, 40.0).confirms
    assert not read_cs_reply(text, reader, 40.0, answering_acceptance=True).confirms
    waiting = "Yes, that's right: $40 to your card, but I haven't processed it yet: my manager must approve it."
    assert not read(reader, waiting, 40.0).confirms


@pytest.mark.parametrize(
    "text",
    [
        "So how it works is, once you drop it off, it takes three days to reach us, and then we "
        "process refunds within 48 hours.",
        "Good news: the carrier found your parcel; the driver has collected it and will redeliver "
        "it to you tomorrow morning.",
    ],
)
def test_a_process_told_or_another_redelivering_earlier_in_the_sentence(
    reader: Reader, text: str
) -> None:
    assert read(reader, text).offer is None, text


@pytest.mark.parametrize(
    "text",
    [
        "Full refund of $60 minus the $6 restock, released once it's in our hands.",
        "We'll swap it for a new one; our courier will do a reverse pickup of the faulty unit on Monday.",
        "Your refund of $45 is approved and will go out once the item's with us.",
    ],
)
def test_a_return_no_rule_reads_is_read_by_the_returns_model(reader: Reader, text: str) -> None:
    reading = read_cs_reply(text, reader, 129.99)
    assert reading.offer is not None and reading.offer.return_required is True, reading
    assert "return read by the model: True" in reading.notes


@pytest.mark.parametrize(
    "text",
    [
        "Refund of $40 agreed, no need to send pictures or anything.",
        "We can refund the full $35 to your card.",
        "I've issued a $20 credit to your account for the trouble.",
    ],
)
def test_the_returns_model_never_says_alone_the_item_stays(reader: Reader, text: str) -> None:
    """Sure or not that nothing goes back, the model leaves an unsaid return unsaid."""
    reading = read_cs_reply(text, reader, 129.99)
    assert reading.offer is not None and reading.offer.return_required is None, reading


@pytest.mark.parametrize(
    "text",
    [
        "I'm afraid a refund on a custom-made item isn't possible, but we can remake it in the correct dimensions.",
        "The shade you ordered is discontinued, so we'd like to upgrade you to the next tier of the same range instead, free of charge.",
        "Your bed will be remade by our workshop and delivered in 3 weeks.",
    ],
)
def test_made_again_or_upgraded_is_a_replacement(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.type == "replacement", reading


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "I'll email you a return label now. Once we've got the lamp back we'll refund you.",
            "full_refund",
        ),
        (
            "Here's a prepaid label; as soon as the parcel is scanned we'll refund the lot.",
            "full_refund",
        ),
        ("We'll email you a prepaid return label today.", "return_label"),
        (
            "I've sent you a return label. Refunds are usually processed within 5 days of receipt.",
            "return_label",
        ),
    ],
)
def test_a_label_with_a_refund_of_what_goes_back_is_that_refund(
    reader: Reader, text: str, kind: str
) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.type == kind, reading
    assert reading.offer.return_required is True


@pytest.mark.parametrize(
    ("text", "kind", "method"),
    [
        # a gift card named as where the refund goes: a refund, to the gift card's balance
        (
            "Since you paid with a gift card, I can refund the $38.50 straight back onto your gift card balance.",
            "partial_refund",
            "gift_card_balance",
        ),
        (
            "I've put the refund through, the full $70, but it's gone to the gift card balance because the order was paid with a gift card.",
            "full_refund",
            "gift_card_balance",
        ),
        # a voucher named as what is refunded
        ("I'll refund the $15 coupon value that didn't come off.", "partial_refund", None),
        # a gift card instead of a refund is store credit
        ("Instead of a refund, we can offer you a $20 gift card.", "store_credit", None),
        ("We can't refund it, but we can put $20 on a gift card for you.", "store_credit", None),
    ],
)
def test_a_gift_card_a_refund_goes_to_is_no_store_credit(
    reader: Reader, text: str, kind: str, method: str | None
) -> None:
    reading = read(reader, text, 70.0)
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.refund_method) == (kind, method), reading


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("meet you halfway - $35?", ("partial_refund", 35.0, None)),
        ("How about 30% and you keep the jacket?", ("partial_refund", None, 30.0)),
        # a question naming a choice, or asking for something, puts nothing forward
        ("Would you like a refund or a new one?", None),
        ("Could you send a photo of the damage?", None),
    ],
)
def test_an_offer_put_only_as_a_question_is_read_by_the_models(
    reader: Reader, text: str, terms: tuple[str, float | None, float | None] | None
) -> None:
    offer = read(reader, text, 100.0).offer
    assert (offer and (offer.type, offer.amount, offer.percent)) == terms


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "ok got it, switching it from refund to exchange. the blue one ships monday.",
            "replacement",
        ),
        (
            "I've changed your case from a refund to store credit: $40 is on your account now.",
            "store_credit",
        ),
        ("We can switch you from the replacement to a full refund if you prefer.", "full_refund"),
    ],
)
def test_a_remedy_switched_from_is_set_aside(reader: Reader, text: str, kind: str) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.type == kind, reading


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Your $45 refund is heading back to your Visa, give it 3 days.", "partial_refund"),
        ("Replacement blender dispatched this morning, tracking to follow.", "replacement"),
    ],
)
def test_a_remedy_the_model_reads_as_done_is_a_confirmation_that_agrees_nothing(
    reader: Reader, text: str, kind: str
) -> None:
    """Terms reported set up in words no rule reads as a yes: a person calls it a
    confirmation, and so does the reader; only a yes in words makes an agreement."""
    reading = read(reader, text)
    assert reading.acts == ["confirmation"] and reading.unread_yes, reading
    assert reading.offer is not None and reading.offer.type == kind
    assert not reading.confirms
    # in answer to our acceptance the words alone decide, as before
    answered = read_cs_reply(text, reader, 129.99, answering_acceptance=True)
    assert not answered.unread_yes


@pytest.mark.parametrize(
    "text",
    [
        "Nearly: the refund is $45, not $50.",
        "We can offer a $20 credit if you'd like it.",
        "A full refund of $60 to your card, no return needed. Shall I go ahead?",
    ],
)
def test_terms_corrected_or_waiting_for_a_yes_stay_an_offer(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert "offer" in reading.acts and not reading.unread_yes, reading


def test_a_yes_asked_for_beside_an_offer_asks_nothing_of_the_case(reader: Reader) -> None:
    """ "Please reply YES to accept": words asking something we cannot name, which the model
    is sure ask nothing, ask only for a yes to the offer."""
    reading = read(reader, "We can put a $15 credit on your account. Please reply YES to accept.")
    assert reading.acts == ["offer"] and reading.asks == [], reading


def test_what_sometimes_happens_to_a_refund_offers_none(reader: Reader) -> None:
    """A refund named in what happens to refunds now and then is no refund put forward by an
    offer framed elsewhere in the message."""
    text = (
        "Happy to sort it: say the word and I'll get it started. Just so you know, a refund "
        "can sometimes show as pending for a day or two."
    )
    assert read(reader, text).offer is None


def test_a_closing_asks_nothing_and_leaves_the_remedy_plain(reader: Reader) -> None:
    reading = read(reader, "Can I still help you with something else?")
    assert reading.acts == ["closing"] and reading.asks == [], reading
    # the sure kind model's remedy stands beside a closing's question mark
    text = "Your spare charger is on its way. Can we also help you with anything else?"
    offer, unsure = model_reads(text, "replacement", acts={"offer": 0.2, "confirmation": 0.8})
    assert offer is not None and offer.type == "replacement" and not unsure


def test_i_can_confirm_that_is_correct_says_yes_to_terms_not_yet_booked(reader: Reader) -> None:
    """ "I can confirm that's correct" opens a yes to our restatement; "I haven't actioned
    anything yet" is true of terms said back before we accept, and at acceptance it is no
    report of the remedy done. "back 1st" is "back first"."""
    text = (
        "I can confirm that's correct. To recap, the offer is a complete refund of $95 to your "
        "card, needs item back 1st. I haven't actioned anything yet."
    )
    reading = read(reader, text)
    assert reading.confirms and reading.yes_in_words, reading
    assert kind_amount_return(reading) == ("full_refund", 95.0, True)
    assert not read_cs_reply(text, reader, 129.99, answering_acceptance=True).confirms


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "Is the customer agreeable to a new one as an exchange? The old one comes back first.",
            "replacement",
        ),
        ("Would you be amenable to a $20 partial refund, keeping the item?", "partial_refund"),
        ("Is the customer happy with a $20 refund, keeping the item?", "partial_refund"),
    ],
)
def test_an_offer_asked_as_agreeable_or_amenable_is_an_offer(
    reader: Reader, text: str, kind: str
) -> None:
    reading = read(reader, text)
    assert reading.acts == ["offer"] and reading.offer is not None, reading
    assert reading.offer.type == kind


@pytest.mark.parametrize(
    "text",
    [
        "Instead of a refund for the missing lid, I can pop one of our spare lids in the post.",
        "A refund isn't possible on opened cartridges, but a pack of the right ones can go out "
        "to you free this week.",
    ],
)
def test_goods_the_model_reads_in_place_of_a_refund_set_aside_are_the_offer(text: str) -> None:
    """ "Instead of X, Y" and "can't do X, but Y" where only X is in words we know: the sure
    kind model's remedy of another sort is what is put forward."""
    offer, unsure = model_reads(text, "replacement")
    assert offer is not None and offer.type == "replacement" and not unsure
    # a refund the model reads where the words set a refund aside stays no offer
    offer, unsure = model_reads(text, "full_refund")
    assert offer is None and unsure


@pytest.mark.parametrize(
    ("text", "required"),
    [
        # what must come first is not the item: no return ("when you get a sec")
        (
            "Happy to do that. I'll process the replacement once we receive the photos you "
            "mentioned. Could you attach them here when you get a sec?",
            None,
        ),
        ("Once you send me the order number I can reship it today.", None),
        ("We can refund the $30 once we get your bank details.", None),
        ("I'll send a replacement as soon as we receive the serial number from you.", None),
        ("A refund of $25 is fine, I'll put it through when I get a chance.", None),
        (
            "Upon receipt of the police report number, we will reimburse the full value of the "
            "stolen parcel (C$212.75).",
            None,
        ),
        # the item itself first: still a return
        ("I'll process the replacement once we receive the faulty one.", True),
        ("Once you send the kettle back I can refund the $30.", True),
        ("We can refund the $30 once we get it back.", True),
        # the item kept in yet other words
        (
            "Go ahead and throw the damaged box away, we'll ship a fresh one in the next 2 days.",
            False,
        ),
        ("Tossing it is fine, it's only a phone case. I'll refund the 9 dollars now.", False),
        ("We will send a new shade right away; the lamp base you can of course keep.", False),
        (
            "We will send a new shade right away. The damaged shade can go in your paper recycling.",
            False,
        ),
        (
            "Hi! No need to bring it in, we trust you. Store credit of $45 is on your account now.",
            False,
        ),
    ],
)
def test_what_comes_first_and_the_item_kept_in_yet_other_words(
    reader: Reader, text: str, required: bool | None
) -> None:
    """ "Once we receive the photos" asks for no return; "once we receive the faulty one" does."""
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.return_required is required, reading


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for writing in. Before we can look at a refund for the vacuum, we'll need your "
        "order number and a short description of the fault.",
        "Thanks so much, I'll keep this case open until the replacement arrives. Have a good "
        "evening!",
        "Just a heads-up: once the refund has been issued, it's up to your bank how quickly it "
        "shows. Most take 3-5 working days.",
        "We're unable to process your refund until we receive the return. We'll email you as "
        "soon as the refund goes through.",
    ],
)
def test_a_remedy_to_be_looked_at_or_already_under_way_is_no_offer(
    reader: Reader, text: str
) -> None:
    """What CS will consider first, and a remedy named as the time something else happens."""
    assert read(reader, text).offer is None, text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # a coupon that was not applied is the fault, the refund is the remedy
        (
            "I can see the coupon WELCOME15 wasn't applied to your first order. I've refunded "
            "15% of the order, which comes to $11.25, back to your PayPal.",
            "partial_refund",
        ),
        # the parcel sent again before is told, not offered
        (
            "I'm sorry to say that the order we resent to you has also gone missing. I've issued "
            "a refund of £72.80 to your original card.",
            "full_refund",
        ),
        # "rather than ...?": set aside though a question mark ends it
        (
            "Would it be okay if we refunded the $9.99 for the missing phone case rather than "
            "sending another one? We're currently out of stock.",
            "partial_refund",
        ),
        # none in stock: the goods are not on offer
        (
            "We're currently out of stock on the replacement lids and don't expect more for a "
            "while. Instead of the lid, I can refund you $8 for it. Would that be OK?",
            "partial_refund",
        ),
    ],
)
def test_a_remedy_named_in_passing_gives_way_to_the_one_put_forward(
    reader: Reader, text: str, kind: str
) -> None:
    reading = read_cs_reply(text, reader, 72.80)
    assert reading.offer is not None and reading.offer.type == kind, reading


@pytest.mark.parametrize(
    "text",
    [
        "Approval pending. I've put the request in for a full refund of A$219 with no return. "
        "Our approvals team works Monday to Friday, so expect a reply after the weekend.",
        "Waiting on a sign-off from our warehouse lead for the reship. It's not confirmed yet, "
        "but nothing suggests a problem.",
        "Not yet confirmed - the replacement needs stock to be allocated and the system won't "
        "let me book it until it's approved by inventory.",
        # an attempt that failed, and the customer asked to send something
        "The reship didn't go through - it needs a confirmed delivery address and the one on the "
        "order came back as invalid from the courier. Can you send the correct one?",
    ],
)
def test_a_remedy_not_yet_approved_or_failed_is_neither_offered_nor_agreed(
    reader: Reader, text: str
) -> None:
    for answering in (False, True):
        reading = read_cs_reply(text, reader, 219.0, answering_acceptance=answering)
        assert reading.offer is None and not reading.confirms, reading


def test_what_comes_first_named_as_no_item_leaves_the_return_to_no_model(reader: Reader) -> None:
    reading = read(
        reader, "Please see the above - the replacement will be sent once we receive the photos."
    )
    assert reading.offer is not None and reading.offer.type == "replacement", reading
    assert reading.offer.return_required is None, reading


@pytest.mark.parametrize(
    "text",
    [
        "We could refund the entire order, €78.30, if you return all three books. Alternatively, "
        "keep them and we'll refund €8.00 for the bent cover. Let me know.",
        "I can offer you half the price of the pillow back, so 22.50 of the 45.00, and you keep "
        "it. Or a full refund if you return it.",
        "I can refund the $40 today. Or, if you'd prefer, a replacement can go out tomorrow.",
    ],
)
def test_remedies_in_sentences_side_by_side_are_a_choice(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is None and "question" in reading.acts, reading
    assert "preferred_remedy" in reading.asks, reading


@pytest.mark.parametrize(
    "text",
    [
        "I'm not able to swap the size now, sorry. The dress was a final-sale item at 70% off "
        "(was $140, paid $42).",
        "To process your return we need it back within 14 days; after that, a refund of up to "
        "50% may apply depending on condition.",
    ],
)
def test_a_price_paid_or_a_refund_the_rules_may_allow_is_no_offer(
    reader: Reader, text: str
) -> None:
    assert read(reader, text).offer is None, text


@pytest.mark.parametrize(
    "text",
    [
        "The coupon took $10 off your subtotal before tax, which is why the total went down by "
        "$10 and not by $10.80.",
        "I can see a refund of CA$48.00 pending on our side since 12 March. Did you pay with a "
        "prepaid card?",
    ],
)
def test_what_a_remedy_did_before_or_what_cs_sees_is_no_offer(reader: Reader, text: str) -> None:
    assert read(reader, text).offer is None, text


def test_a_sum_taken_off_if_we_did_is_still_put_forward(reader: Reader) -> None:
    reading = read(reader, "Would it help if I took $10 off? Then you can keep using it.")
    assert reading.offer is not None and reading.offer.amount == 10.0, reading


@pytest.mark.parametrize(
    "text",
    [
        "Your refund was processed on Monday: $129.99 to your Mastercard.",
        "I looked into it and the refund went through on the 4th: $45 back to your Visa.",
        "We issued the refund already: the full amount, back to your card.",
    ],
)
def test_a_sum_said_after_a_refund_given_before_is_no_offer(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is None and "fact" in reading.acts, reading


def test_a_sum_added_to_a_refund_given_before_is_still_put_forward(reader: Reader) -> None:
    reading = read(
        reader, "We refunded the shipping last week: $40 back to your card now for the item too?"
    )
    assert reading.offer is not None and reading.offer.amount == 40.0, reading


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        (
            "The $25 store credit my colleague offered is still available if you want it.",
            "store_credit",
            25.0,
        ),
        ("We did offer a replacement, and that offer still stands.", "replacement", None),
        (
            "As I said yesterday, the £10 off for the scratch is still there for you.",
            "partial_refund",
            10.0,
        ),
        (
            "Just a reminder that the refund we offered remains open until Friday.",
            "full_refund",
            None,
        ),
    ],
)
def test_an_offer_made_before_and_said_to_stand_is_on_the_table(
    reader: Reader, text: str, kind: str, amount: float | None
) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.type == kind, reading
    assert reading.offer.amount == amount, reading


@pytest.mark.parametrize(
    "text",
    [
        # given, not offered: it stands as a fact
        "The $35 credit we gave you is still valid until September.",
        # an earlier remedy, taken back or gone wrong
        "My colleague did offer a full refund, but the photos show it was used, so I can't go "
        "ahead with that refund.",
        "I asked finance about the earlier refund of $32; your bank sent it back. Can you give "
        "me other details?",
        "I can see my colleague mentioned a refund, but nothing was approved. What did she say?",
        "The refund you received in March was for the shipping only.",
        "Good news: you can still use your $20 voucher on anything in store.",
    ],
)
def test_a_remedy_given_or_offered_at_an_earlier_time_is_no_offer(
    reader: Reader, text: str
) -> None:
    assert read(reader, text).offer is None, text


@pytest.mark.parametrize(
    "text",
    [
        "We can either send an engineer out or email you a prepaid label to send it in.",
        "Would your customer accept credit on her account, or does it have to go to her card?",
        "I can send the strap again in 3 days or, if you want, a whole new watch. What do you "
        "like better?",
        "We can refund 30% if you keep the lamp, or you can return it for a full refund. Please "
        "pick one in your account.",
    ],
)
def test_a_choice_said_with_either_or_a_prompt_to_pick_is_no_offer(
    reader: Reader, text: str
) -> None:
    reading = read(reader, text)
    assert reading.offer is None and "question" in reading.acts, reading


def test_a_question_after_a_lead_whether_a_remedy_came_is_no_offer(reader: Reader) -> None:
    reading = read(reader, "Quick question, did your neighbour get the replacement parcel OK?")
    assert reading.offer is None and "question" in reading.acts, reading


def test_a_date_written_with_a_dot_is_no_sum(reader: Reader) -> None:
    reading = read(reader, "Your parcel is on time: the delivery date is 14.09, today is 12.09.")
    assert reading.offer is None, reading


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I've refunded both mugs: 2 x $9.50 = $19.00, back to your card.", 19.0),
        ("For the three missing jars I can refund 3 x 4,50 €, so 13,50 €, to your card.", 13.5),
    ],
)
def test_a_sum_worked_out_by_multiplying_is_its_result(
    reader: Reader, text: str, amount: float
) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.amount == amount, reading


@pytest.mark.parametrize(
    "text",
    [
        "We'll refund the full $60, without return of the goods.",
        "Your refund of $45 is approved. You're not obliged to return the item.",
        "I've refunded the $18 to your card - please don't bother sending the broken one back.",
    ],
)
def test_a_return_waived_in_still_more_words(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is not None and reading.offer.return_required is False, reading


def test_a_date_after_we_can_looks_ahead(reader: Reader) -> None:
    reading = read(
        reader, "We can pick up the sofa on 3 June and refund the full £499 once it's back."
    )
    assert reading.offer is not None and reading.offer.type == "full_refund", reading


@pytest.mark.parametrize(
    "text",
    [
        "All done on my side, it has been processed and you will get an email shortly. "
        "Anything additional?",
        "Processed just now, you will see it within five days. All clear?",
    ],
)
def test_a_courtesy_question_after_our_acceptance_leaves_the_yes(reader: Reader, text: str) -> None:
    """A question we cannot name, which the acts model is sure asks nothing, in answer to our
    acceptance; elsewhere the same question is still answered."""
    reading = read_cs_reply(text, reader, 129.99, answering_acceptance=True)
    assert reading.confirms and "question" not in reading.acts, reading
    assert read(reader, text).asks == ["other"]


def test_a_real_question_after_our_acceptance_is_still_asked(reader: Reader) -> None:
    reading = read_cs_reply(
        "Done. Which card would you like it on?", reader, 129.99, answering_acceptance=True
    )
    assert not reading.confirms and reading.asks, reading


def test_not_sending_another_is_a_refusal_and_a_third_one_no_share(reader: Reader) -> None:
    reading = read(
        reader,
        "Two new lamps have gone out already, so we won't be sending a third. What I can do "
        "is refund the order in full.",
    )
    assert "refusal" in reading.acts, reading
    assert reading.offer is not None and reading.offer.type == "full_refund", reading
    assert reading.offer.percent is None, reading


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        (
            "You were charged twice. I'll refund the second one, $38.10, to your card.",
            "partial_refund",
            38.1,
        ),
        (
            "I can improve on that. Previous offer: $20. New offer: $26, and you keep the item.",
            "partial_refund",
            26.0,
        ),
    ],
)
def test_a_charge_refunded_or_a_sum_said_before_is_not_the_offer(
    reader: Reader, text: str, kind: str, amount: float
) -> None:
    reading = read(reader, text)
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.amount) == (kind, amount), reading


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("pop a photo over n ill refund 30 straight away", 30.0),
        ("cant resend it, its fresh food, but can refund the 27.40 in full", 27.4),
        ("not the whole 90 sorry but 40 i can do as credit", 40.0),
        ("can't do the 80 you wanted, 45 is what i can approve", 45.0),
        ("would a gift card for 35 instead be ok?", 35.0),
        ("best i can do is 12 in points on ur account", 12.0),
        ("all sorted, u'll get 18 as a voucher code by email", 18.0),
        ("so i refunded the full 64 instead, 3-5 days", 64.0),
    ],
)
def test_a_chat_desk_s_bare_sums_beside_a_remedy(text: str, amount: float) -> None:
    assert find_amounts(text) == [amount]


@pytest.mark.parametrize(
    "text",
    [
        "refund in 5 days",
        "we can refund 3 mugs",
        "a voucher for 2 items",
        "the refund is 3-5 days",
        "Please ship the size 10 back with the label; the size 12 goes out when it arrives.",
        "I've added 450 points to your loyalty account.",
    ],
)
def test_numbers_that_are_no_sum_beside_a_remedy(text: str) -> None:
    assert find_amounts(text) == []


def test_an_emoji_ends_a_sentence_before_lower_case_too(reader: Reader) -> None:
    reading = read(reader, "sorry my typo, its 2-4 days not 2-4 weeks 😅 resend is booked")
    assert "refusal" not in reading.acts, reading
    assert reading.offer is not None and reading.offer.type == "reship", reading


def test_a_part_refunded_in_full_is_a_partial_refund(reader: Reader) -> None:
    reading = read(
        reader, "Given the state of the room we'll refund the second night in full, $180.", 540.0
    )
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.amount) == ("partial_refund", 180.0), reading
    # a restocking fee kept back leaves it a full refund
    reading = read(
        reader,
        "You'd get the $300 in full less a $30 restocking fee, so $270, once it's back.",
        300.0,
    )
    assert reading.offer is not None and reading.offer.type == "full_refund", reading


def test_a_done_remedy_with_a_past_reason_is_done_now(reader: Reader) -> None:
    reading = read(
        reader, "I've put a $15 credit on your account for the wrong plan being charged last month."
    )
    assert "confirmation" in reading.acts, reading
    assert reading.offer is not None and reading.offer.type == "store_credit", reading


def test_an_offer_to_send_governs_a_past_said_of_the_item(reader: Reader) -> None:
    reading = read(
        reader,
        "I'd be happy to send you a return label for the spare charger you were sent in error.",
    )
    assert reading.offer is not None and reading.offer.type == "return_label", reading


def test_a_code_that_should_have_worked_is_no_credit_offered(reader: Reader) -> None:
    reading = read(
        reader,
        "You're right that the code SAVE20 should have taken 20% off. I've refunded the $18"
        " difference to your card.",
    )
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.amount) == ("partial_refund", 18.0), reading


def test_what_the_customer_did_not_do_negates_no_remedy(reader: Reader) -> None:
    reading = read(
        reader,
        "OK, I've removed the insurance you didn't ask for and refunded the $9 to your card.",
    )
    assert "refusal" not in reading.acts, reading
    assert reading.offer is not None and reading.offer.amount == 9.0, reading


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("we can put 25,000 won back on your card", 25000.0),
        ("a goodwill credit of 300 lira", 300.0),
        ("we'll refund 1200 roubles", 1200.0),
    ],
)
def test_currencies_named_in_words(text: str, amount: float) -> None:
    assert find_amounts(text) == [amount]
    assert find_amounts("the other 2 won't arrive until Monday") == []


def test_the_full_price_refunded_is_the_offer_s_sum(reader: Reader) -> None:
    reading = read(reader, "We could refund you the entire price of $58 once it's back.", 58.0)
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.amount) == ("full_refund", 58.0), reading


def test_an_offer_proposed_as_would_it_be_fine_with_you_if(reader: Reader) -> None:
    reading = read(reader, "Would it be fine with you if we refunded $12 and you kept the kettle?")
    assert "offer" in reading.acts, reading
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.amount) == ("partial_refund", 12.0), reading
    assert reading.offer.return_required is False, reading
    reading = read(reader, "Would it be agreeable to you if we sent the parcel again by courier?")
    assert reading.offer is not None and reading.offer.type == "reship", reading


def test_asked_not_to_return_it(reader: Reader) -> None:
    reading = read(
        reader,
        "As it's perishable we ask you not to return it. We'll refund the full $22 to your card.",
        22.0,
    )
    assert reading.offer is not None and reading.offer.type == "full_refund", reading
    assert reading.offer.return_required is False, reading


@pytest.mark.parametrize(
    "text",
    [
        "Your gift card balance of $18.20 is still there to use.",
        "Just a reminder that your store credit balance is still $9.",
        "We can only refund to the card used at checkout.",
        "Gift card orders can only be refunded as gift card balance.",
    ],
)
def test_a_balance_held_or_the_one_way_refunds_go_is_no_offer(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is None, reading
    assert "offer" not in reading.acts, reading


@pytest.mark.parametrize(
    "text",
    [
        "Refund of $20 issued to your card. Ticket closed.",
        "Your replacement has been dispatched and this case is now closed.",
        "No reply received, so this chat will now close automatically.",
        "Status changed to CLOSED.",
    ],
)
def test_a_case_said_closed_is_a_closing(reader: Reader, text: str) -> None:
    assert "closing" in read(reader, text).acts


@pytest.mark.parametrize(
    "text",
    [
        "The case was closed by mistake last week; I've reopened it for you.",
        "The voucher expired when the case closed in May, I'm afraid.",
    ],
)
def test_a_case_closed_before_is_no_closing(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert "closing" not in reading.acts, reading


def test_say_less_is_a_yes_and_takes_nothing_off(reader: Reader) -> None:
    reading = read_cs_reply(
        "Say less, it's locked in: a store credit of $25.48. Anything else?",
        reader,
        25.48,
        answering_acceptance=True,
    )
    assert reading.acts[0] == "confirmation", reading
    assert reading.offer is not None, reading
    assert (reading.offer.amount, reading.offer.restocking_fee) == (25.48, None), reading


def test_an_alternative_we_have_no_name_for_then_which_is_a_choice(reader: Reader) -> None:
    reading = read(
        reader,
        "I can put $15 back on your card for the missing strap. Alternatively, if you'd rather "
        "have the strap itself, I can ask the supplier for one. Which would you prefer?",
    )
    assert reading.offer is None, reading
    assert "preferred_remedy" in reading.asks, reading
    # an alternative course with no question about which leaves the offer standing
    reading = read(
        reader, "I can put $15 back on your card today. Alternatively, wait until Monday's stock."
    )
    assert reading.offer is not None and reading.offer.amount == 15.0, reading


@pytest.mark.parametrize(
    "text",
    [
        "Just checking in, did the replacement kettle arrive safely?",
        "Quick one: has your refund come through yet?",
    ],
)
def test_asked_whether_a_remedy_arrived_is_no_offer(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is None, reading
    assert "question" in reading.acts, reading


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I've knocked the 79p off your bill.", 0.79),
        ("I can refund it, 45 cents back on your card.", 0.45),
    ],
)
def test_pence_and_cents_alone_are_sums(text: str, amount: float) -> None:
    assert find_amounts(text) == [amount]
    assert find_amounts("The driver comes at 3pm, or at 4 p.m. at the latest.") == []


def test_an_offer_s_verb_put_through_or_arranged(reader: Reader) -> None:
    reading = read(
        reader,
        "I'm happy to put through a refund for the whole order, $36.20, since it was left at "
        "the wrong house.",
        36.2,
    )
    assert "offer" in reading.acts, reading
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.amount) == ("full_refund", 36.2), reading


@pytest.mark.parametrize(
    "text",
    [
        "we'd need the item back before any rfnd can happen",
        "Any replacement goes through the manufacturer, so it takes two weeks.",
    ],
)
def test_any_remedy_is_of_no_case_in_particular(reader: Reader, text: str) -> None:
    reading = read(reader, text)
    assert reading.offer is None, reading
    assert "offer" not in reading.acts, reading


def test_a_desk_s_shorthand_names_the_remedy(reader: Reader) -> None:
    reading = read(reader, "sry about that. i can do a repl on the house, no return needed")
    assert reading.offer is not None, reading
    assert (reading.offer.type, reading.offer.return_required) == ("replacement", False), reading


def test_remedies_put_side_by_side_with_your_preferred_option_are_a_choice(
    reader: Reader,
) -> None:
    reading = read(
        reader,
        "We can give you a $12 voucher, or refund the delivery charge of $7.99. "
        "Please reply with your preferred option.",
    )
    assert reading.offer is None, reading
    assert "preferred_remedy" in reading.asks, reading
