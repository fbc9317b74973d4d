"""The wish cues: remedies asked for and turned down, read by rules (hand-labelled cases)."""

from __future__ import annotations

import pytest

from shared.language.model import Features
from shared.language.wishes import wish_cues


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("parcel missing, app says delivered. refund", ["cuefull"]),
        ("wrong flavour of cat food. just put it back on my card", ["cuefull"]),
        ("I want my money back", ["cuefull"]),
        ("the driver marked it delivered, nobody got it. reship it", ["cuereplace"]),
        ("bed frame missing the slats. can you ship the missing ones?", ["cuereplace"]),
        ("the jar has a crack and leaks. can i get a new jar", ["cuereplace"]),
        ("the screws bag was empty. need new screws for the cabinet", ["cuereplace"]),
        ("the wardrobe's door handles aren't in the box. please post the handles", ["cuereplace"]),
        ("the download code was not in the box. pls email it", ["cuereplace"]),
        ("It's usable so if you knock something off the price I'll keep it", ["cuepartial"]),
        ("listed at $99, charged $129. please refund the difference", ["cuepartial"]),
        ("the lamp has no dimmer. works fine otherwise. bit of money back?", ["cuepartial"]),
        ("Would prefer a voucher over replacement.", ["cuecredit", "cuereplacerefused"]),
        ("refund to my card please, not store credit.", ["cuefull", "cuecreditrefused"]),
        ("I'd rather have credit on my account than a refund.", ["cuecredit", "cuefullrefused"]),
        ("no refund needed, just stop the subscription", ["cuefullrefused"]),
        (
            "Broken ear on the owl. No need to send a new one, a voucher is fine",
            ["cuecredit", "cuereplacerefused"],
        ),
        ("my exam calculator came the day AFTER my exam. give me a refund fr", ["cuefull"]),
        ("Plant pot is painted plastic, not ceramic. Can I get half back?", ["cuepartial"]),
        ("Whole order was a week late. I'd appreciate a few quid off.", ["cuepartial"]),
        (
            "Got charged a restocking fee on an order I never returned?? Can you reverse it",
            ["cuepartial"],
        ),
        ("Crack across the phone screen straight out of the box. New phone pls", ["cuereplace"]),
        ("The app says my code was already used. I need a code that works.", ["cuereplace"]),
        (
            "The laptop was sold as 16GB RAM, it has 8GB. I want the model I paid for.",
            ["cuereplace"],
        ),
        (
            "I'm not after a voucher or anything, please just pass on my thanks.",
            ["cuecreditrefused"],
        ),
        # the second choice is no wish beside the first
        ("the scooter has a bent stem. Send a new one or failing that a refund", ["cuereplace"]),
        (
            "the kettle leaks. if you can't get another one out by friday then i want my money back",
            ["cuereplace"],
        ),
        ("lamp base chipped. a new one if you have them, otherwise my money back", ["cuereplace"]),
        ("Is the strap in stock? If not, store credit is fine.", ["cuecredit"]),
        # a remedy someone else had, or the policy names, is no wish
        ("my neighbour got a refund when hers came late. mine came late too.", []),
        ("the returns policy says you refund lost parcels. mine is lost.", []),
        (
            "My sister had a replacement sent for the same fault. Please send me a new one.",
            ["cuereplace"],
        ),
        # the right thing wished for, or a code or ticket issued again
        ("the licence key is for the wrong edition. I need the right key", ["cuereplace"]),
        ("e-tickets show 'invalid'. Please reissue them before Friday", ["cuereplace"]),
        # the wish said by what the customer will not pay, or what they will not take
        ("the vase came in bits. I shouldn't have to pay for that", ["cuefull"]),
        ("lost in the post, and I won't be left out of pocket over it", ["cuefull"]),
        ("I'd like the whole amount returned to my card", ["cuefull"]),
        ("Not credit, not a voucher. The actual money, please.", ["cuefull", "cuecreditrefused"]),
        (
            "I'm not after my money back, I need a kettle that works",
            ["cuereplace", "cuefullrefused"],
        ),
        ("it sparks when plugged in. do not send me another one", ["cuereplacerefused"]),
        ("the fabric is paper thin. fine as a spare, but not at that price", ["cuepartial"]),
        (
            "arrived after the party, I hired one for $30 meanwhile. will you cover that?",
            ["cuepartial"],
        ),
        ("twenty percent back and we're square", ["cuepartial"]),
        ("never opened it, can I swap it into store points?", ["cuereplace", "cuecredit"]),
        ("I'd like the colour I ordered", ["cuereplace"]),
        # of two remedies offered as choices, the first is the wish
        ("Either send working ones or take the whole thing back and refund me.", ["cuereplace"]),
        ("Watched the van drive past. Please redeliver or give my money back.", ["cuereplace"]),
        ("Could you knock something off or send a lid? Either's fine.", ["cuepartial"]),
        # unless the first turns a remedy down
        ("I don't want a replacement or credit, just refund me", ["cuefull", "cuereplacerefused"]),
        # wishes in plain words
        ("Gazebo came with no pegs. Want money off, frankly.", ["cuepartial"]),
        ("I don't want to return it but I should get something back.", ["cuepartial"]),
        ("this is decaf. i did not order decaf. money back", ["cuefull"]),
        ("Would take a discount code for next time as an apology.", ["cuecredit"]),
        ("I'd rather you refunded me for it.", ["cuefull"]),
        ("Payment went through twice. I just want the extra money back.", ["cuepartial"]),
        ("pretty sure these are fake. want real ones", ["cuereplace"]),
        ("the sofa came with 2 of 3 pieces. Please deliver the last piece.", ["cuereplace"]),
        # what is no wish: reordering after credit, sending something back
        ("Never got my order. I'd take store credit so I can reorder.", ["cuecredit"]),
        ("Bought two sizes, keeping one. How do I send the other back?", []),
        ("Can I send something back if I've opened the box?", []),
    ],
)
def test_a_wish_said_in_words_is_a_cue(text: str, expected: list[str]) -> None:
    assert wish_cues(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "returned the shoes 3 weeks ago, still no refund yet",  # a complaint, not a refusal
        "Does the $50 gift card expire?",  # a product, not a wish for credit
        "the order says $64 but $86.40 was taken, can someone explain the difference",
        "The drill came without the charger. Please advise.",
        "described as like new but has highlighting on a third of the pages",
        "my new phone restarts every hour",
        "the lady on the phone said just email us a picture and we'll sort it",
    ],
)
def test_no_wish_no_cue(text: str) -> None:
    assert wish_cues(text) == []


def test_cue_words_join_the_word_features_only() -> None:
    texts = ["refund please", "send a new one", "it is broken", "the box was crushed"]
    features = Features(texts, cues=wish_cues)
    words, chars = features.of("refund please")
    vocabulary = features._union.transformer_list[0][1].vocabulary_
    char_vocabulary = features._union.transformer_list[1][1].vocabulary_
    assert "cuefull" in vocabulary
    assert vocabulary["cuefull"] in words[0]
    assert not any("cue" in gram for gram in char_vocabulary)
    # one text's row equals the batch transform's row (the fast path and the union agree)
    row = features.matrix(["refund please"]).toarray()[0]
    assert row[vocabulary["cuefull"]] > 0


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("I am requesting a full chargeback of $86.50.", ["cuefull"]),
        ("I returned the goods and am disputing the full charge of $187.00.", ["cuefull"]),
        ("just put the money in my wallet balance and I'll buy it again later", ["cuecredit"]),
        # a partial refund turned down: the whole sum is the wish
        (
            "Parcel lost. A partial refund isn't fair, I want all of it back.",
            ["cuefull", "cuepartialrefused"],
        ),
        # (not part of the money: the whole of it)
        ("I don't want a partial refund.", ["cuefull", "cuepartialrefused"]),
    ],
)
def test_wishes_said_as_a_dispute_a_wallet_or_a_partial_refund_turned_down(
    text: str, cues: list[str]
) -> None:
    assert wish_cues(text) == cues


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("Send the mouse. And no, I'm not accepting store credit for it.", ["cuecreditrefused"]),
        (
            "I don't want a voucher, I don't want points. Refund my shipping, that's all.",
            ["cuepartial", "cuecreditrefused"],
        ),
        ("I want it on my card, not as a voucher.", ["cuefull", "cuecreditrefused"]),
        ("Don't put it as store credit - refund to my Visa.", ["cuefull", "cuecreditrefused"]),
        ("I'm done. Refund. No more replacements.", ["cuefull", "cuereplacerefused"]),
        (
            "I want my money back. I don't want you to send another one.",
            ["cuefull", "cuereplacerefused"],
        ),
        (
            "I want the £18 I paid back - I'm not bothering with another set.",
            ["cuefull", "cuereplacerefused"],
        ),
    ],
)
def test_remedies_turned_down_in_more_words(text: str, cues: list[str]) -> None:
    assert wish_cues(text) == cues


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("The jumper is fine but too big. Can change to medium? Same colour.", ["cuereplace"]),
        ("Could I switch it for the lighter model please?", ["cuereplace"]),
        ("The van brought a green chair. When can you bring the right chair?", ["cuereplace"]),
        ("Tell me how to post it back and get the one I ordered.", ["cuereplace"]),
        ("It was never used. Could it be refunded to my card please?", ["cuefull"]),
        ("It was the wrong size. I want the refund to my card.", ["cuefull"]),
        # an address changed is no exchange
        ("Can I change my delivery address to my office?", []),
    ],
)
def test_an_exchange_or_a_refund_to_the_card_asked_for_in_other_words(
    text: str, cues: list[str]
) -> None:
    assert wish_cues(text) == cues


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("Might we have the value of the lid put on our account, please?", ["cuecredit"]),
        ("If you credit the £7 to my account I'll use it next time.", ["cuecredit"]),
        ("I should very much like another teapot, if you have one.", ["cuereplace"]),
        ("Could you send another box to the same address?", ["cuereplace"]),
        # another one bought elsewhere, or not wanted, is no exchange
        ("Please refund it, I'll get another set elsewhere.", ["cuefull"]),
        ("I'd rather not have another of the same model.", []),
        ("I would like another chance to explain.", []),
    ],
)
def test_a_credit_or_another_one_asked_for_politely(text: str, cues: list[str]) -> None:
    assert wish_cues(text) == cues


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("Broken on arrival. Refund, or I'm leaving a review.", ["cuefull"]),
        ("I'll call my bank unless somebody refunds me by Friday.", ["cuefull"]),
        ("Money back please. Don't offer me store credit.", ["cuefull", "cuecreditrefused"]),
        ("Three days late. Refunding the delivery is the least you can do.", ["cuepartial"]),
        # a charge refunded before is no wish
        ("You refunded the postage last time, thanks, but the lamp still flickers.", []),
    ],
)
def test_a_wish_said_curtly_or_beside_a_threat(text: str, cues: list[str]) -> None:
    assert wish_cues(text) == cues


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("The jug leaks from the handle. Please refund.", ["cuefull"]),
        ("Wrong flavour again, kindly refund, we can't eat it", ["cuefull"]),
        # a remedy set aside by what is said of it
        ("A voucher is no use to me, I'm moving abroad.", ["cuecreditrefused"]),
        ("A replacement wouldn't help, the party is tomorrow.", ["cuereplacerefused"]),
        (
            "A partial refund won't cut it. Send one that works.",
            ["cuereplace", "cuepartialrefused"],
        ),
        # money owed, not a thing to send
        ("You refunded 20 of the 50. Please send the other 30.", []),
    ],
)
def test_a_remedy_set_aside_by_what_is_said_of_it(text: str, cues: list[str]) -> None:
    assert wish_cues(text) == cues


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("the mug came chipped. can you send one that isn't chipped", ["cuereplace"]),
        ("parcel vanished off my step, reorder it for me?", ["cuereplace"]),
        ("charger died in a day, total junk, money back", ["cuefull"]),
        # a thing described, not asked for
        ("The lamp that is not broken works fine, the other one flickers.", []),
    ],
)
def test_a_wish_said_offhand(text: str, cues: list[str]) -> None:
    assert wish_cues(text) == cues
