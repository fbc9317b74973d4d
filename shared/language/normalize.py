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


def normalize(text: str) -> str:
    """Straight quotes and apostrophes, plain dashes, single spaces; case kept."""
    folded = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).translate(_TRANSLATE)
    return _SPACES.sub(" ", folded).strip()
