"""Customer cases for the simulation benchmark, generated from the order system's orders."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

PERSONAS = ("cooperative", "adversarial", "bureaucratic", "random")

PROBLEM_PHRASES: dict[str, tuple[str, ...]] = {
    "damaged_item": (
        "my {item} arrived broken",
        "the {item} came cracked and the box was crushed",
        "{item} was damaged in shipping, there's a big dent in it",
        "received the {item} smashed",
    ),
    "defective_item": (
        "the {item} stopped working after two days",
        "my {item} is defective, it won't turn on",
        "{item} keeps malfunctioning, faulty out of the box",
    ),
    "wrong_item": (
        "you sent me the wrong item instead of the {item}",
        "I ordered the {item} but got something completely different",
    ),
    "missing_parts": (
        "the {item} arrived with missing parts, no power cable in the box",
        "pieces are missing from my {item}",
    ),
    "not_delivered": (
        "my {item} never arrived",
        "still haven't received my {item}, tracking hasn't moved in days",
        "package with the {item} was never delivered",
    ),
    "late_delivery": (
        "the {item} arrived late, days after the guaranteed date",
        "my {item} was delivered way past the promised delivery date",
    ),
    "not_as_described": (
        "the {item} is not as described, looks nothing like the pictures",
        "{item} doesn't match the description at all",
    ),
    "billing_error": (
        "I was charged twice for the {item}",
        "there's a double charge on my card for the {item}",
    ),
    "refund_not_received": (
        "I returned the {item} weeks ago and still no refund",
        "my refund for the {item} never came through after the return",
    ),
    "unwanted_item": (
        "I changed my mind about the {item} and want to return it",
        "don't need the {item} anymore, would like to send it back",
    ),
}
OUTCOME_PHRASES: dict[str, tuple[str, ...]] = {
    "full_refund": ("I want a full refund.", "please refund me in full", "give me my money back"),
    "replacement": (
        "please send a replacement",
        "I'd like a new one sent out",
        "replace it please",
    ),
    "store_credit": ("store credit is fine", "I'll take store credit"),
    "partial_refund": ("a partial refund would be ok", "some money back for the trouble please"),
    "unspecified": ("what can you do?", "please help", ""),
}
ID_STYLES = ("plain", "hash", "spaced", "missing", "wrong")


@dataclass(frozen=True)
class Scenario:
    """One simulated customer case."""

    index: int
    persona: str
    customer_id: str
    order_id: str
    problem_type: str
    desired_outcome: str
    id_style: str
    message: str


def problems_for(order: dict[str, Any], today: date) -> list[str]:
    """The problem types a customer could plausibly report for this order."""
    status = order.get("status")
    if status in ("lost", "in_transit", "shipped"):
        return ["not_delivered"]
    if status == "returned":
        return ["refund_not_received"]
    if status in ("ordered", "cancelled"):
        return ["billing_error"]
    problems = [
        "damaged_item",
        "defective_item",
        "wrong_item",
        "missing_parts",
        "not_as_described",
        "unwanted_item",
        "billing_error",
    ]
    promised, delivered = order.get("promised_delivery_date"), order.get("delivered_date")
    if promised and delivered and str(delivered) > str(promised):
        problems.append("late_delivery")
    return problems


def outcomes_for(problem: str) -> list[str]:
    """Desired outcomes a customer would ask for with this problem."""
    if problem in ("billing_error", "refund_not_received", "late_delivery"):
        return ["full_refund", "partial_refund", "store_credit", "unspecified"]
    return ["full_refund", "replacement", "store_credit", "unspecified"]


def generate(
    orders: list[dict[str, Any]],
    count: int,
    seed: int,
    persona: str = "mix",
    today: date | None = None,
) -> list[Scenario]:
    """`count` reproducible scenarios; personas cycle through the mix unless one is named."""
    rng = random.Random(seed)
    today = today or date.today()
    usable = sorted((o for o in orders if o.get("items")), key=lambda o: o["order_id"])
    scenarios = []
    for index in range(count):
        order = rng.choice(usable)
        problem = rng.choice(problems_for(order, today))
        outcome = rng.choice(outcomes_for(problem))
        style = rng.choice(ID_STYLES)
        chosen = PERSONAS[index % len(PERSONAS)] if persona == "mix" else persona
        message = compose(rng, order, problem, outcome, style)
        scenarios.append(
            Scenario(
                index,
                chosen,
                order["customer_id"],
                order["order_id"],
                problem,
                outcome,
                style,
                message,
            )
        )
    return scenarios


def compose(
    rng: random.Random, order: dict[str, Any], problem: str, outcome: str, style: str
) -> str:
    """A customer's message, with the messiness real customers write with."""
    item = _short_title(order["items"][0]["title"])
    text = rng.choice(PROBLEM_PHRASES[problem]).format(item=item)
    wish = rng.choice(OUTCOME_PHRASES[outcome])
    reference = _reference(rng, order["order_id"], style)
    parts = [p for p in (reference, text + ".", wish) if p]
    message = " ".join(parts)
    if rng.random() < 0.3:
        message = message.lower()
    if rng.random() < 0.3:
        message = _typo(rng, message)
    return message


def _reference(rng: random.Random, order_id: str, style: str) -> str:
    if style == "plain":
        return f"Order {order_id}:"
    if style == "hash":
        return f"re #{order_id} -"
    if style == "spaced":
        return f"order {order_id.replace('-', ' ')}"
    if style == "wrong":
        digits = list(order_id)
        position = rng.choice([i for i, c in enumerate(digits) if c.isdigit()][3:])
        digits[position] = str((int(digits[position]) + 1) % 10)
        return f"order {''.join(digits)}"
    return ""


def _short_title(title: str) -> str:
    """How a customer names the item: the title before its first comma or bracket."""
    head = title.split(",")[0].split("(")[0].strip()
    words = head.split()
    return " ".join(words[-3:]) if len(words) > 3 else head


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)
