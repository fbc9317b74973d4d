"""Text as the reader sees it: one set of quotes, dashes and spaces, whatever was typed."""

from __future__ import annotations

import re
import unicodedata

from shared.limits import MAX_ISSUE_CHARS

MAX_TEXT_CHARS = MAX_ISSUE_CHARS  # the longest issue a customer may send (shared.limits)
_TRANSLATE = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": " - ",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2026": "...",
    }
)
_SPACES = re.compile(r"[ \t\r\f\v]+")
# markdown emphasis a support tool leaves around words ("**$15**", "__Return:__ no")
_EMPHASIS = re.compile(r"\*\*|__")
# a line an email reply quotes from the message it answers ("> To confirm: ...")
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
# Contractions typed without their apostrophe ("dont", "thats it", "cant do more than"), where
# the bare word is no other English word ("ill", "were", "well", "id", "lets" are; "its" is
# taken as "it's" only before words a possessive never precedes)
_CONTRACTED = re.compile(
    r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|ca|wo|need)nt\b"
    r"|\b(that|there|what|who|where|here|it|he|she)s(?= (?:it|all|the|a|an|not|no|done|right|correct|fine|ok|okay|been|what|how|why|because|only|just|on|in|yours|booked|sorted)\b)"
    r"|\b(you|they)(re|ll|ve)\b|\b(we)(ve)\b|\b(i)(m|ve)\b",
    re.IGNORECASE,
)


# Chat shorthand, typed in a hurry by customers and desks alike ("can send u a new one", "to
# ur card", "pls", "shd arrive tmrw"), read as the words it stands for; a letter that is part
# of a name, a size or a code ("U-bend", "size S", "R2") is left alone
_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "n": "and",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "abt": "about",
    "shd": "should",
    "cld": "could",
    "wld": "would",
    "bc": "because",
    "coz": "because",
    "cos": "because",
    "asap": "as soon as possible",
    # a desk's own shorthand ("can rfnd u in full", "a repl on the house", "the full amt",
    # "no rfnd w/o return", "to ur og payment", "drop it w the label")
    "rfnd": "refund",
    "refnd": "refund",
    "repl": "replacement",
    "amt": "amount",
    "shld": "should",
    "sry": "sorry",
    "dmg": "damage",
    "addr": "address",
    "og": "original",
    "orig": "original",
    "w/o": "without",
    "w": "with",
}
_SHORT_WORD = re.compile(
    r"(?<![\w'.$£€/-])("
    + "|".join(map(re.escape, _SHORTHAND))
    + r")(?=('(?:ll|d|re|ve))?(?![\w.'/-]|\.\w))",
    re.IGNORECASE,
)


def _spelled_out(match: re.Match[str]) -> str:
    word = match.group(1)
    if word.lower() == "n" and not re.match(r"\s", match.string[match.end() : match.end() + 1]):
        return word
    if word.lower() in ("r", "n") and word.isupper():
        return word  # "Model R", "N" of a grid reference
    if word.lower() in ("bc", "cos") and not word.islower():
        return word  # "COS" the shop, "BC" the province
    if word.lower() in ("og", "w") and not word.islower():
        return word  # "OG" the brand, "W" a size or a direction
    if word == "w" and not re.match(r" [a-z]", match.string[match.end() : match.end() + 2]):
        return word  # "w" with a word after it only
    return _SHORTHAND[word.lower()]


def _apostrophe(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    if len(groups) == 1:
        word = match.group(0)
        return f"{word[:-2]}n't" if word.lower().endswith("nt") else f"{word[:-1]}'s"
    return f"{groups[0]}'{groups[1]}"


def normalize(text: str) -> str:
    """Straight quotes and apostrophes, plain dashes, single spaces, contractions with their
    apostrophe; case kept."""
    folded = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).translate(_TRANSLATE)
    folded = _EMPHASIS.sub("", folded)
    return _SHORT_WORD.sub(
        _spelled_out, _CONTRACTED.sub(_apostrophe, _SPACES.sub(" ", folded).strip())
    )


def without_quoted(text: str) -> str:
    """The writer's own words: a reply without the lines it quotes from the message it
    answers ("> To confirm: a full refund of $129.99 ..."), unless it is nothing but quotes."""
    own = _QUOTED_LINE.sub("", text)
    return own if own.strip() else text
