"""Product names set aside before reading: a name is a thing, not what happened to it.

A "Broken Heart Mug", a "Refund Rabbit" plush, an "Off-Road Car" or a "Gift Card, $50"
carry words the reader takes for a problem or a wish. Where the order's item names are
known, the reader sees "the item" in their place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared.language.normalize import normalize

SHORTEST_NAME = 4  # shorter names ("Mug", "TV") are ordinary words too: left as they are
ITEM = "the item"


def _variants(name: str) -> set[str]:
    """A name as customers write it: whole, its part before a comma, or any run of two or more
    of its words ("Control Off-Road Car" for a "Remote Control Off-Road Car")."""
    whole = normalize(name)
    words = whole.split(",")[0].split()
    runs = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 2, len(words) + 1)}
    return {v.strip() for v in (whole, whole.split(",")[0], *runs)}


def without_names(text: str, names: Sequence[str]) -> str:
    """The text with each product name (see `_variants`) said as "the item", longest first,
    matched as whole words whatever the case."""
    variants = {v for name in names for v in _variants(name)}
    for variant in sorted((v for v in variants if len(v) >= SHORTEST_NAME), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(variant)}(?!\w)", ITEM, text, flags=re.IGNORECASE)
    # "your Brass Lamp" is "the item", "another Brass Lamp" "another item"
    text = _OWN_ITEM.sub(ITEM, text)
    return _FRESH_ITEM.sub(r"\1 item", text)


_OWN_ITEM = re.compile(rf"\b(?:the|a|an|your|my|our|his|her|their|this|that) {ITEM}\b", re.I)
_FRESH_ITEM = re.compile(
    rf"\b(another|new|fresh|brand-new|replacement|second|spare|working|correct|right) {ITEM}\b",
    re.I,
)
