"""Product names set aside before reading (hand-written cases)."""

from __future__ import annotations

import pytest

from shared.language.names import without_names


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        (
            "Remote Control Off-Road Car doesn't match the description at all",
            ["Remote Control Off-Road Car"],
            "the item doesn't match the description at all",
        ),
        (
            "my broken heart mug set came with one half",
            ["Broken Heart Mug"],
            "the item set came with one half",
        ),
        # the part before a comma is a name too; longest first
        (
            "Charged twice for the Digital Gift Card. I'd like a refund",
            ["Digital Gift Card, $100"],
            "Charged twice for the item. I'd like a refund",
        ),
        # whole words only, and short names are ordinary words
        (
            "the TV is cracked, Gift Cards aside",
            ["TV", "Gift Card"],
            "the TV is cracked, Gift Cards aside",
        ),
        ("nothing named here", [], "nothing named here"),
        # customers name a product by part of it: two or more of its words in a row
        (
            "Control Off-Road Car doesn't match the description at all",
            ["Remote Control Off-Road Car"],
            "the item doesn't match the description at all",
        ),
        (
            "the running shoes never arrived, the X10 is what I wanted",
            ["StrideMax X10 Running Shoes, Men's 10"],
            "the item never arrived, the X10 is what I wanted",
        ),
        # a determiner goes with the name; a fresh one is "another item", not "another the item"
        (
            "That's booked in: another Brass Table Lamp at no cost, keep your Brass Table Lamp",
            ["Brass Table Lamp"],
            "That's booked in: another item at no cost, keep the item",
        ),
    ],
)
def test_a_product_name_is_read_as_the_item(text: str, names: list[str], expected: str) -> None:
    assert without_names(text, names) == expected
