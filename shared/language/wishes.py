"""A customer's wish said in so many words: cues the learned models see beside the words.

The remedy a customer asks for is often one short phrase ("reship it", "put it back on my
card", "knock something off the price") buried in a long complaint, and the n-gram models
weigh it no more than the complaint's words. These rules find such phrases, and a remedy
turned down ("not store credit", "no refund needed"), and name each with a cue word that
the models learn to weigh. They decide nothing by themselves.
"""

from __future__ import annotations

import re

from shared.language.normalize import normalize

# "no refund" alone is a complaint ("still no refund"), not a refusal: it is not listed.
_NOT = (
    r"(?:not|not (?:after|looking for|asking for|interested in|accepting|bothering with|as)"
    r"|(?:don'?t|do not|won'?t) (?:want|need|bother with|accept)|(?:don'?t|do not) (?:offer|give|send) (?:me|us)"
    r"|no need for|no more|rather than|than"
    r"|instead of|over)"
)
_A = r"(?:(?:a|an|the|any|my|our|some)\s+)?"

# (cue, pattern): a remedy asked for. Patterns see normalized, lower-case text.
_ASKED: tuple[tuple[str, str], ...] = (
    (
        "full",
        r"\bfull refund\b|\brefund (?:me|it|them|the (?:lot|whole|full|order|item)|my money"
        r"|everything|in full)\b|\b(?:all (?:of )?)?(?:my|the|our) money back\b"
        r"|\brefund(?:ed)? (?:please|pls|plz|asap|now)\b|\brefund\s*[.!]*\s*$|\brefunds (?:me|us)\b"
        r"|\b(?:back|refund(?: it)?) (?:on|to) my (?:card|visa|mastercard|paypal|bank)\b"
        r"|\b(?:want|like|get|need|have) (?:a |my )?refund\b|\breturn (?:it|them) for a refund\b"
        # "Could it be refunded to my card please?", "I want the refund to my card"
        r"|\brefunded (?:back )?(?:on|to|onto) my (?:card|visa|mastercard|paypal|bank|account)\b"
        r"|\b(?:want|like|need) the refund (?:back )?(?:on|to|onto) my (?:card|visa|mastercard|paypal|bank)\b"
        r"|\b(?:send|give|pay) (?:me |us )?(?:back )?(?:my|our) money\b|\bgive (?:me )?money back\b"
        r"|\bgive (?:me |us )?(?:a |my |our )?refund\b|\bpaise? wapas\b|\bpakibalik\b[^.!?]{0,30}\bpera\b"
        # the same wish in the customer's other language: French, Spanish, Portuguese, German, Italian
        r"|\bremboursement\b|\brembourse[rz]?\b|\breembols|\b(?:mi|mon|meu) (?:dinero|argent|dinheiro)\b"
        r"|\bgeld zur[uü]ck\b|\br[uü]ckerstattung|\brimbors"
        # "this is decaf. money back", "Refund thanks", "I'd rather you refunded me"
        r"|(?:^|[.!?,]\s*)money back\b(?! guarantee| for the)|\brefund (?:thanks|thank you|ty|thx|cheers)\b"
        r"|\b(?:rather|prefer|like|want) (?:you (?:to )?|it )?refund(?:ed)? (?:me|it)\b"
        # "I'd rather not be paying for it", "pay me back", "I'd like what I paid back", "the full
        # purchase price returned to my card", "the actual money"
        r"|\b(?:rather not|don'?t want to|do not want to|shouldn'?t have to|not) (?:have to )?(?:be |end up )?pay(?:ing)? for\b"
        r"|\bout of pocket\b|\bpay (?:me|us) back\b|\bthe actual money\b"
        r"|\b(?:what (?:i|we) paid|the (?:full )?(?:purchase )?price|the lot|the whole (?:amount|lot|order)) (?:\w+ ){0,2}(?:back|returned|refunded)\b"
        # "I am requesting a full chargeback", "disputing the full charge", "I want all of it back"
        r"|\bchargeback\b|\bdisput(?:e|ing) the (?:full |whole |entire )?(?:charge|payment|transaction)\b|\ball of it back\b"
        # "I want it on my card", "Refund. No more replacements.", "the £18 I paid back"
        r"|\b(?:want|put|get) (?:it|them|the money) (?:back )?(?:on|to|onto) my (?:card|credit card|debit card|visa|mastercard|paypal|bank)\b"
        r"|(?:^|[.!?]\s+)refund\s*[.!,]|\b(?:i|we) paid back\b"
        # "Please refund, I can't use them."
        r"|\b(?:please|pls|plz|kindly) refund\s*(?:[.!,]|$)",
    ),
    (
        "partial",
        r"\bpartial(?:ly)? refund|(?<!pay )(?<!explain )\bthe difference\b|\bdiscount\b(?! code for (?:next|my next|future|another))|\bcompensat"
        r"|\b(?:knock|take) (?:\w+ ){0,3}off\b|\brefund (?:the|for the) (?:extra|shipping|"
        r"delivery|overcharge|duplicate|second|double)|\bprice adjustment\b"
        r"|(?<!all )(?<!full )(?:\$\s?[\d.,]+|\b\d+\s?%|\b\d+ (?:dollars|bucks)) (?:off|back)\b"
        r"|\b(?:some|a bit of|bit of|a little|half|half (?:of )?(?:my|the)|part of (?:my|the)"
        r"|a portion of (?:my|the)) money\b"
        r"|\b(?:i'?ll|i will|i'?d|i'?m|happy to|willing to|can) (?:just |still )?keep(?:ing)?\b"
        # "can I get half back?", "a few quid off", "refund me what the shelf is worth", "30%
        # refund", "can you reverse it" (a fee charged)
        r"|\bhalf back\b|\b(?:a few|some|a couple of) (?:quid|bucks|dollars|pounds|euros)\b"
        r"|\brefund (?:me )?what (?:the|it|that|they)\b|\brefund (?:me )?(?:for )?the \w+ (?:part|bit|piece)\b"
        r"|\b\d+\s?% refund\b|\breverse (?:it|that|the (?:charge|fee|fees))\b"
        # "want money off", "a bit knocked off", "I should get something back", "just the extra
        # money back", "refund the VAT overcharged"
        r"|\b(?:money|something|a bit|a little) (?:knocked |taken )?off\b"
        r"(?! (?:the|my|a|your|that|this) (?!price|bill|total|order|cost|invoice)[a-z]+)|\bknocked off\b"
        r"|\b(?:get|have|give me|deserve|owe me) something back\b|\b(?:extra|overcharged|duplicate|double) (?:money|amount|charge|payment)s? (?:back|refunded)\b"
        r"|\brefund (?:the|for the) \w+ (?:overcharged|overcharge|extra)\b|\brefund(?:ing)? (?:me )?(?:my |the )?(?:shipping|delivery|postage)\b"
        # "thirty percent back", "would you cover that?", "not at that price"
        r"|\b[a-z]+(?:-[a-z]+)? per ?cent (?:off|back|refund)\b|\b(?:would|could|can|will) (?:you|u) (?:cover|reimburse)\b"
        r"|\bnot (?:at|for) (?:that|this|the full) price\b",
    ),
    (
        "replace",
        r"\breplace(?:ment|d)?\b|\bswap\b"
        r"|\bexchange\b(?! (?:it |them )?for (?:a |some )?(?:store credit|credit|gift|voucher))|\bre-?ship|\bre-?send|\bre-?deliver"
        r"|\bsen[dt] (?:it |them |me |us )?(?:again|another|a new|new|the right|the correct"
        r"|what i ordered|the one i ordered|a working|working ones?|new ones|ones that work|a proper|out)\b"
        r"|\b(?:a|another) (?:new|fresh|working) (?:one|pair|set|unit)\b|\banother one\b"
        # "I should very much like another planter", "could you send another box?"
        r"|(?<!not )(?<!never )\b(?:like|want|need|send(?: me| us)?|have|get) another"
        r" (?!(?:day|week|time|month|go|try|chance|look|option|reply|email|call|order|one of)\b)[a-z]+\b"
        r"(?![^.!?]{0,25}\b(?:elsewhere|somewhere else|in store|from another)\b)"
        r"|\bship (?:me )?(?:another|a new|the right|the correct|the missing)\b"
        r"|\bneed (?:it|them|one) (?:sent|shipped|posted)\b"
        # a new thing wished for ("can i get a new jar", "need new screws"), not "like new"
        r"|\b(?:get|need|want|send (?:me|us)) (?:a |some )?new (?!one\b|pair\b|set\b|unit\b)\w+"
        # a missing thing asked to be sent ("please post the handles", "can u email it")
        r"|\b(?:please|pls|plz|kindly|can (?:you|u)|could (?:you|u)|would you) (?:just )?"
        r"(?:post|mail|dispatch|email|e-mail) (?:me |us |her |him )?(?:the|a|it|them|those)\b"
        # in the customer's other language: French, Spanish, Portuguese, German, Italian, Tagalog
        r"|\bremplac|\b[ée]change[rz]?\b|\breemplaz|\bcambi(?:o|ar|arlo|arla)\b|\btroca[r]?\b"
        r"|\bersatz\b|\bumtausch|\bsostitu|\b(?:pa)?palitan\b|\bm'envoyer\b|\brenvoy"
        # "New phone pls", "I need a code that works", "I want the model I paid for"
        r"|\bnew \w+ (?:pls|please|plz)\b|\b(?:a|one) (?:\w+ )?that (?:actually )?works\b"
        # "i want one that isnt scratched", "send one that's not cracked"
        r"|\b(?:want|need|send|get|like|have)(?: me| us)? (?:a|one|another) (?:\w+ )?that(?:'s| is)? (?:not|isn'?t|is not|doesn'?t|does not|won'?t|hasn'?t|has not) \w+"
        r"|\b(?:want|need|like|get) the (?:\w+ ){0,2}(?:i|we) (?:paid for|ordered|bought|chose|picked|clicked)\b"
        # an exchange asked for: "Can change to black?", "can I switch to the light model?",
        # "when can you bring the right sofa?"
        r"|\b(?:can|could|may|want to|like to|possible to) (?:i |we |you |u )?(?:change|switch) (?:it |them |this |that )?(?:to|for|into)\b"
        r"(?![^.?!]{0,30}\b(?:address|house|sent|send|deliver|ship|post))"
        r"|\bbring (?:me |us )?(?:the|a) (?:right|correct) \w+"
        # "I need the right key", "I need valid tickets reissued"
        r"|\b(?:want|need) (?:the |a |an |some |my )?(?:right|correct|valid|working|proper|real|genuine|official|actual) \w+|\bre-?issue"
        # "I want what I ordered", "send the other 6", "deliver the last piece", "reorder it"
        r"|\b(?:want|need|send(?: me)?) what (?:i|we) (?:ordered|paid for|bought)\b"
        # (not a sum: "please send the other 40" is money owed)
        r"|\b(?:send|post|deliver|ship) (?:me |us )?the (?:rest|remaining|other|last|missing)\b(?![^.!?,]{0,12}\bback\b)(?!\s*[$£€]?\s?\d)"
        r"|\b(?:can|could|would) (?:you|u) re-?order\b|\bplease re-?order\b|\bre-?order (?:it|them|one) for (?:me|us)\b",
    ),
    (
        "credit",
        r"\bstore credit\b|\baccount credit\b|\bcredit (?:on|to|in) my account\b"
        r"|(?<!\d )(?<!the )(?<!this )(?<!that )\bgift ?card\b(?! code| i bought| expire)|\bvoucher\b|\bcredit note\b|\bas (?:a |store |account )?credit\b"
        r"|\bas points\b|\b(?:put|add|credit|move) (?:it|the \w+|them)? ?(?:back )?(?:on|to|into) my account\b"
        # "Could we have the value of the rake put on our account", "if you put the £9 on my account"
        r"|\b(?:put|add|credit)(?:ed)? (?:the |that |this )?(?:value|amount|cost|money|[$£€]\s?[\d.,]+)(?: of (?:it|them|the \w+))?"
        r" (?:back )?(?:on|to|into) (?:my|our|her|his) account\b"
        r"|\bvalue of (?:it|them|the \w+) (?:put|added|credited) (?:back )?(?:on|to|into) (?:my|our|her|his) account\b"
        r"|\bun avoir\b|\b(?:discount|promo|voucher) code for (?:next|my next|future|another)\b"
        r"|\b(?:in|as|for|into) (?:store |loyalty |reward )?points\b"
        # "just put the money in my wallet balance"
        r"|\b(?:in|into|to|on) (?:my |the )?(?:app |account |in-app |store )?wallet(?: balance)?\b",
    ),
)
_ASKED_RE = tuple((cue, re.compile(pattern)) for cue, pattern in _ASKED)
# a remedy set aside by what is said of it: "a partial refund won't give me my sleep back",
# "store credit is no use to me", "a replacement wouldn't help"
_NO_USE = (
    r" (?:is no use|is of no use|(?:isn'?t|is not|won'?t|will not|wouldn'?t|would not|doesn'?t|does not)"
    r"(?: \w+){0,2}? (?:good|use|help|work|do|fix|cut it|give|cover|solve|be necessary|necessary))\b"
)
_REFUSED: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "full",
        re.compile(
            rf"\b{_NOT}\s+{_A}(?:full )?(?:refund|money back)\b|\bno refund needed\b"
            rf"|\b(?:a |the )?(?:full )?(?<!partial )refund{_NO_USE}"
        ),
    ),
    (
        "replace",
        re.compile(
            rf"\b{_NOT}\s+{_A}(?:replacement|another|new one|new pair|exchange|swap|resend)"
            r"|\b(?:don'?t|do not) bother (?:re-?sending|sending|replacing)"
            r"|\bno need to (?:re-?)?send\b|\b(?:don'?t|do not) (?:send|ship) (?:me |us )?(?:another|a new|a replacement)\b"
            # "I don't want you to send another one"
            r"|\b(?:don'?t|do not) want (?:you to )?(?:re-?)?send (?:me |us )?(?:another|a new|a replacement)\b"
            rf"|\b(?:a |the )?(?:replacement|new one|exchange){_NO_USE}"
        ),
    ),
    (
        "credit",
        re.compile(
            rf"\b{_NOT}\s+{_A}(?:store |account )?credit\b|\b{_NOT}\s+{_A}voucher"
            # "I don't want points", "Don't put it as store credit"
            rf"|\b{_NOT}\s+{_A}(?:store |loyalty |reward )?points\b"
            r"|\b(?:don'?t|do not) (?:put|give|issue|make|do) (?:it |me |this |that )?(?:as|in|into) (?:a |an )?(?:store |account )?(?:credit|voucher|points)\b"
            rf"|\b(?:store |account )?(?:credit|voucher|gift ?card|points){_NO_USE}"
        ),
    ),
    (
        "partial",
        re.compile(
            rf"\b{_NOT}\s+{_A}partial refund\b"
            r"|\bpartial refund (?:isn'?t|is not|won'?t|will not|wouldn'?t) (?:be )?(?:fair|enough|acceptable|ok|okay|do)\b"
            rf"|\b(?:partial refund|discount){_NO_USE}"
        ),
    ),
)


# "Send a new one or failing that a refund", "if you can't send another by Friday then I want
# my money", "a replacement if you have stock, otherwise my money back", "Do you have any? If
# not just give me credit": what follows is the second choice; the first is the wish
_SECOND_CHOICE = re.compile(
    r"(?:\bfailing that\b|\bif not\b,?|,? otherwise\b|,? or\b"
    r"|\bif (?:you|u) can'?t\b[^.!?,]*?(?:,|\bthen\b))"
    r"([^.!?]*)"
)


# "my friend got a refund", "the refund policy says you refund lost items": a remedy someone
# else had, or the policy names, is no wish of the customer's
_NOT_THEIRS = re.compile(
    r"\b(?:my|a) (?:friend|mate|sister|brother|mum|mom|dad|neighbou?r|colleague|cousin|partner|wife|husband)"
    r"\b[^.!?]*?\b(?:got|had|received|was given|was offered)\b[^.!?]*"
    r"|\b(?:the |your )?(?:refund |returns? )?policy (?:says|states)\b[^.!?]*"
)


def wish_cues(text: str) -> list[str]:
    """Cue words for the remedies the text asks for and those it turns down, in a fixed order.

    Of two remedies offered as choices, the first is the wish: the second choice counts only
    when the first names nothing asked for ("I don't want a replacement or credit, just
    refund me")."""
    plain = _NOT_THEIRS.sub(" ", normalize(text).lower())
    first = _SECOND_CHOICE.sub(lambda m: m.group()[: m.start(1) - m.start()], plain)
    cues = _cues(first)
    return cues if any(not cue.endswith("refused") for cue in cues) else _cues(plain)


def _cues(plain: str) -> list[str]:
    refused = {cue for cue, pattern in _REFUSED if pattern.search(plain)}
    asked = [
        f"cue{cue}" for cue, pattern in _ASKED_RE if cue not in refused and pattern.search(plain)
    ]
    return asked + [f"cue{cue}refused" for cue, _ in _REFUSED if cue in refused]


# Where a message's sentences end (its last one is where a complaint's ask usually stands)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def message_cues(text: str) -> list[str]:
    """What the customer models see beside a message's words: its wish cues, and the words of
    its last sentence marked as such ("endrefund"), since the ask most often comes last after
    the story ("... anyway i'd like my money back"). With each writer held out in turn on the
    train split, the last sentence's words read 0.5 points more wishes."""
    sentences = [x for x in _SENTENCE_END.split(normalize(text).lower()) if re.search(r"\w", x)]
    last = sentences[-1] if sentences else ""
    return wish_cues(text) + ["end" + word for word in re.findall(r"[a-z']+", last)]
