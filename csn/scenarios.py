"""Customer cases for the simulation benchmark, generated from the order system's orders."""

from __future__ import annotations

import base64
import io
import random
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from PIL import Image, ImageDraw

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
# What the customer says when asked for details (CS wants a description of 12+ words).
DETAILS: dict[str, str] = {
    "damaged_item": "the {item} arrived with a cracked casing and a dented corner, the box was crushed",
    "defective_item": "the {item} switches on for a few seconds and then shuts off every single time",
    "wrong_item": "the box had a different product inside, not the {item} I ordered from you",
    "missing_parts": "the {item} came without its power cable and two of the pieces the manual lists",
    "not_as_described": "the {item} is a different size and colour from the listing and feels cheap",
    "not_delivered": "the {item} never reached me, tracking has not moved for days and nothing came",
    "late_delivery": "the {item} arrived several days after the delivery date I was promised at checkout",
    "billing_error": "my card statement shows two identical charges for the {item} on the same day",
    "refund_not_received": "I sent the {item} back, you received it, but the refund never reached my card",
    "unwanted_item": "the {item} is unused and still sealed in its original packaging, I just don't need it",
}
PHOTO_PROBLEMS = frozenset(
    {"damaged_item", "defective_item", "wrong_item", "missing_parts", "not_as_described"}
)
# Words by which a customer recognizes their problem or wish among offered choices.
CHOICE_WORDS: dict[str, tuple[str, ...]] = {
    "damaged_item": ("damaged", "damage", "broken"),
    "defective_item": ("defective", "faulty", "not working"),
    "wrong_item": ("wrong item", "wrong product"),
    "missing_parts": ("missing part", "missing piece"),
    "not_delivered": ("not delivered", "never arrived", "not arrived", "not received"),
    "late_delivery": ("late",),
    "not_as_described": ("not as described", "as described"),
    "billing_error": ("billing", "charged twice", "double charge", "overcharge"),
    "refund_not_received": ("refund not received", "refund never", "no refund", "missing refund"),
    "unwanted_item": ("unwanted", "changed my mind", "no longer want", "return it"),
    "full_refund": ("full refund",),
    "partial_refund": ("partial refund",),
    "replacement": ("replacement", "replace"),
    "store_credit": ("store credit",),
}
_CHOICE_KEYS = ("label", "value", "order_id", "text", "title")


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
    item: str = ""  # how the customer names the item


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
    usable = sorted((o for o in orders if _usable(o)), key=lambda o: o["order_id"])
    scenarios: list[Scenario] = []
    if not usable:
        return scenarios  # an order system with no orders we can write about
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
                item_name(order),
            )
        )
    return scenarios


def _usable(order: dict[str, Any]) -> bool:
    """An order a customer could write about: an id, a customer and an item."""
    items = order.get("items")
    return bool(order.get("order_id") and order.get("customer_id") and items and items[0])


def compose(
    rng: random.Random, order: dict[str, Any], problem: str, outcome: str, style: str
) -> str:
    """A customer's message, with the messiness real customers write with."""
    item = item_name(order)
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
        positions = [i for i, c in enumerate(digits) if c.isdigit()]
        # Past the first three digits when there are more (a customer mistypes the long part).
        position = rng.choice(positions[3:] or positions or [len(digits) - 1])
        if not digits[position].isdigit():
            return f"order {order_id}x"  # an id without digits: mistyped by a letter
        digits[position] = str((int(digits[position]) + 1) % 10)
        return f"order {''.join(digits)}"
    return ""


def _short_title(title: str) -> str:
    """How a customer names the item: the title before its first comma or bracket."""
    head = title.split(",")[0].split("(")[0].strip() or title.strip() or "item"
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


# ---- the simulated customer's answers -------------------------------------------------------


def describe(scenario: Scenario) -> str:
    """The customer's answer when CS wants details: the order and what is wrong."""
    return details(scenario.order_id, scenario.problem_type, scenario.item)


def details(order_id: str, problem_type: str, item: str) -> str:
    """A customer's account of a problem with an order (photos go as photos, not as words)."""
    detail = DETAILS.get(problem_type, "there is a problem with the {item}")
    return f"It's order {order_id}: {detail.format(item=item or 'item')}."


def evidence_photo(seed: int = 0, size: tuple[int, int] = (320, 240)) -> bytes:
    """A photo a customer takes of what arrived: a real JPEG (an item on a table, a crack
    across it, camera noise), different for each seed, a few kilobytes."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (rng.randrange(150, 220), rng.randrange(130, 200), 120))
    draw = ImageDraw.Draw(image)
    box = (width // 5, height // 5, width * 4 // 5, height * 4 // 5)
    draw.rounded_rectangle(
        box, radius=18, fill=(rng.randrange(40, 90), 90, 140), outline=(20, 20, 20)
    )
    x, y = box[0] + 10, box[1] + 10
    crack = [(x, y)]
    while x < box[2] - 10 and y < box[3] - 10:
        x, y = x + rng.randrange(8, 24), y + rng.randrange(4, 20)
        crack.append((x, y))
    draw.line(crack, fill=(245, 245, 245), width=3)
    pixels = image.load()
    for _ in range(width * height // 20):  # sensor noise: no two photos compress alike
        px, py = rng.randrange(width), rng.randrange(height)
        r, g, b = pixels[px, py]
        shift = rng.randrange(-12, 13)
        pixels[px, py] = (max(0, min(255, r + shift)), max(0, min(255, g + shift)), b)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


# Problems a photo shows. Half the customers with one (every other scenario) attach a photo
# when they open the case, as the page's form invites; the others add one when CS asks.
PHOTOGRAPHED = frozenset(
    {"damaged_item", "defective_item", "wrong_item", "missing_parts", "not_as_described"}
)


def photographs_first(scenario: Scenario) -> bool:
    """Whether this simulated customer attaches a photo to the new case."""
    return scenario.problem_type in PHOTOGRAPHED and scenario.index % 2 == 0


def photo_upload(seed: int = 0) -> dict[str, Any]:
    """The body that adds one evidence photo to a case (POST /v1/sessions/{id}/photos)."""
    data = base64.b64encode(evidence_photo(seed)).decode("ascii")
    return {"photos": [{"filename": f"photo-{seed}.jpg", "data": data}]}


def item_name(order: dict[str, Any]) -> str:
    """How a customer names the order's (first) item."""
    items = order.get("items") or [{}]
    return _short_title(items[0].get("title") or "item")


def clarify(scenario: Scenario, doc: dict[str, Any]) -> dict[str, str]:
    """The customer's answer to a clarification (a message body): the fitting choice, else words."""
    picked = pick_choice(scenario, doc.get("choices") or [])
    if isinstance(picked, dict) and picked.get("id"):
        return {"choice": str(picked["id"])}
    if picked is not None:
        return {"text": _choice_label(picked)}
    problem = PROBLEM_PHRASES[scenario.problem_type][0].format(item=scenario.item or "item")
    wish = OUTCOME_PHRASES[scenario.desired_outcome][0]
    return {"text": f"It's order {scenario.order_id}, {problem}. {wish}".strip()}


def pick_choice(scenario: Scenario, choices: list[Any]) -> Any | None:
    """The offered choice that fits the case (None if none does).

    First by the readings a choice states (`order_id`, `problem_type`, `desired_outcome`:
    all it states must be the case's), then by words naming the order, problem, wish or item.
    """
    truth = {
        "order_id": scenario.order_id,
        "problem_type": scenario.problem_type,
        "desired_outcome": scenario.desired_outcome,
    }
    best, best_score = None, 0
    for choice in (c for c in choices if isinstance(c, dict)):
        stated = {k: choice[k] for k in truth if choice.get(k)}
        if stated and all(truth[k] == v for k, v in stated.items()) and len(stated) > best_score:
            best, best_score = choice, len(stated)
    if best is not None:
        return best
    if any(isinstance(c, dict) and any(c.get(k) for k in truth) for c in choices):
        return None  # the choices state their readings and none is this case's
    return _choice_by_words(scenario, choices)


def _choice_by_words(scenario: Scenario, choices: list[Any]) -> Any | None:
    targets = [[scenario.order_id.lower()]]
    for key in (scenario.problem_type, scenario.desired_outcome):
        targets.append([key.replace("_", " "), *CHOICE_WORDS.get(key, ())])
    if scenario.item:
        targets.append([scenario.item.lower()])
    for needles in targets:
        for choice in (c for c in choices if c):
            if any(_mentions(_choice_text(choice), needle) for needle in needles):
                return choice
    return None


def _mentions(text: str, words: str) -> bool:
    return re.search(rf"\b{re.escape(words)}\b", text) is not None


def _choice_label(choice: Any) -> str:
    """What the customer types back to take a choice given without an id."""
    if isinstance(choice, dict):
        for key in _CHOICE_KEYS:
            if choice.get(key):
                return str(choice[key])
    return str(choice)


def _choice_text(choice: Any) -> str:
    values = choice.values() if isinstance(choice, dict) else [choice]
    return " ".join(str(v) for v in values if v is not None).lower().replace("_", " ")
