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


def without_names(text: str, names: Sequence[str]) -> str:
    """The text with each product name (whole, or its part before a comma) said as "the item",
    longest first, matched as whole words whatever the case."""
    variants = {
        v.strip() for name in names for v in (normalize(name), normalize(name).split(",")[0])
    }
    for variant in sorted((v for v in variants if len(v) >= SHORTEST_NAME), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(variant)}(?!\w)", ITEM, text, flags=re.IGNORECASE)
    return text
