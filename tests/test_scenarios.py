"""Generated cases on any order data, and the simulated customer's answers."""

from __future__ import annotations

import base64
import io

from PIL import Image

from csn.scenarios import (
    ID_STYLES,
    PHOTOGRAPHED,
    Scenario,
    clarify,
    describe,
    evidence_photo,
    generate,
    photo_upload,
    photographs_first,
    pick_choice,
)


def order(order_id: str, title: str | None = "Desk Lamp, brass", **fields) -> dict:
    return {
        "order_id": order_id,
        "customer_id": "K-1",
        "status": "delivered",
        "items": [{"title": title}] if title is not None else [],
        **fields,
    }


def case(**fields) -> Scenario:
    values = {
        "index": 0,
        "persona": "cooperative",
        "customer_id": "C-1001",
        "order_id": "112-4839201-5839201",
        "problem_type": "damaged_item",
        "desired_outcome": "replacement",
        "id_style": "plain",
        "message": "",
        "item": "Countertop Blender",
    }
    return Scenario(**{**values, **fields})


def test_no_usable_order_gives_no_case() -> None:
    assert generate([], 10, seed=1) == []
    assert generate([order("A-1", title=None), {"customer_id": "K-1"}], 10, seed=1) == []


def test_any_order_id_and_title_make_cases() -> None:
    odd = [order("A-1"), order("ORDER", title=""), order("12", title="(refurb)")]
    scenarios = generate(odd, 200, seed=3)
    assert len(scenarios) == 200
    assert {s.id_style for s in scenarios} == set(ID_STYLES)
    assert all(s.item and s.message for s in scenarios)


def test_a_detailed_answer_names_the_order_and_the_damage_and_claims_no_photo() -> None:
    text = describe(case())
    assert "112-4839201-5839201" in text and "Countertop Blender" in text
    assert len(text.split()) >= 12
    assert "photo" not in text and "attach" not in text  # a photo goes as a photo


def test_the_customers_photo_is_a_real_jpeg_a_few_kilobytes_and_differs_per_case() -> None:
    first, again, other = evidence_photo(1), evidence_photo(1), evidence_photo(2)
    image = Image.open(io.BytesIO(first))
    assert image.format == "JPEG" and image.size == (320, 240)
    assert 2_000 < len(first) < 60_000
    assert first == again and first != other
    body = photo_upload(3)["photos"][0]
    assert base64.b64decode(body["data"]) == evidence_photo(3)


def test_the_customer_picks_the_choice_that_states_the_case() -> None:
    orders = [
        {"id": "1", "label": "Lamp", "order_id": "111-1111111-1111111"},
        {"id": "2", "label": "Blender", "order_id": "112-4839201-5839201"},
    ]
    assert pick_choice(case(), orders)["id"] == "2"
    wishes = [
        {"id": "r", "label": "A refund", "desired_outcome": "full_refund"},
        {"id": "n", "label": "A new one", "desired_outcome": "replacement"},
    ]
    assert pick_choice(case(), wishes)["id"] == "n"
    wrong = [
        {
            "id": "x",
            "label": "Damaged, refund",
            "problem_type": "damaged_item",
            "desired_outcome": "full_refund",
        }
    ]
    assert pick_choice(case(), wrong) is None  # half right is wrong


def test_choices_without_readings_are_recognized_by_their_words() -> None:
    assert pick_choice(case(), ["Arrived late", "Damaged in transit"]) == "Damaged in transit"
    assert pick_choice(case(), [{"label": "Replace it"}]) == {"label": "Replace it"}
    # "late" is a word, not a part of "related"
    assert pick_choice(case(problem_type="late_delivery"), ["A related issue"]) is None
    assert pick_choice(case(), ["Something else"]) is None


def test_the_customer_answers_with_the_choice_id_or_in_words() -> None:
    choices = [{"id": "c9", "label": "Blender", "order_id": "112-4839201-5839201"}]
    assert clarify(case(), {"choices": choices}) == {"choice": "c9"}
    assert clarify(case(), {"choices": ["Damaged"]}) == {"text": "Damaged"}
    text = clarify(case(), {"choices": ["Something else"]})["text"]
    assert "112-4839201-5839201" in text and "Countertop Blender" in text


def test_half_the_customers_with_a_visible_problem_attach_a_photo_at_the_start() -> None:
    orders = [order(f"11{i}-0000000-000000{i}") for i in range(5)]
    scenarios = generate(orders, 200, seed=3)
    visible = [s for s in scenarios if s.problem_type in PHOTOGRAPHED]
    first = [s for s in visible if photographs_first(s)]
    assert 0.3 < len(first) / len(visible) < 0.7
    assert not any(photographs_first(s) for s in scenarios if s not in visible)
