"""analyze_issue with Claude as a second reader (faked SDK): a dispute asks the customer."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from context_agent.extraction import RULES_FILE, load_rules
from context_agent.skills import AnalyzeInput, analyze_issue
from shared.a2a.server import InputRequired, SkillContext
from shared.language.claude import TOOL_NAME, ClaudeReader
from shared.language.reader import load_reader
from tests.context.conftest import TODAY, make_order

ORDER = "112-4839201-5839201"
MESSAGE = f"My blender {ORDER} arrived with a cracked jar, I want my money back"


class Orders:
    async def customer_orders(self, customer_id: str) -> list[dict[str, Any]]:
        return [make_order(ORDER)]


class FakeMessages:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.calls = 0

    async def create(self, **request: Any) -> Any:
        self.calls += 1
        block = SimpleNamespace(type="tool_use", name=TOOL_NAME, input=self.answer)
        return SimpleNamespace(content=[block])


def context(claude: ClaudeReader | None) -> SkillContext:
    state = SimpleNamespace(
        orders=Orders(),
        rules=load_rules(RULES_FILE),
        reader=load_reader(),
        clock=lambda: TODAY,
        claude=claude,
    )
    return SkillContext(app=SimpleNamespace(state=state), task_id="t", context_id="c")  # type: ignore[arg-type]


def checker(problem: str, outcome: str) -> tuple[ClaudeReader, FakeMessages]:
    messages = FakeMessages({"problem_type": problem, "desired_outcome": outcome})
    return ClaudeReader(SimpleNamespace(messages=messages), "a-model"), messages


async def test_agreement_changes_nothing() -> None:
    inp = AnalyzeInput(customer_id="C-1001", message=MESSAGE)
    alone = await analyze_issue(inp, context(None))
    claude, messages = checker("damaged_item", "full_refund")
    assert await analyze_issue(inp, context(claude)) == alone and messages.calls == 1
    assert alone["problem_type"] == "damaged_item" and alone["needs_clarification"] is False


async def test_a_dispute_asks_the_customer_with_both_readings() -> None:
    claude, _ = checker("defective_item", "full_refund")
    with pytest.raises(InputRequired) as asked:
        await analyze_issue(AnalyzeInput(customer_id="C-1001", message=MESSAGE), context(claude))
    output = asked.value.output
    ids = [c["id"] for c in output["choices"]]
    assert ids[:2] == ["problem:damaged_item", "problem:defective_item"]
    assert output["problem_type"] == "damaged_item" and output["needs_clarification"] is True


async def test_once_the_customer_was_asked_claude_is_not_called() -> None:
    claude, messages = checker("defective_item", "full_refund")
    inp = AnalyzeInput(customer_id="C-1001", message=MESSAGE, asked=True)
    await analyze_issue(inp, context(claude))
    assert messages.calls == 0
