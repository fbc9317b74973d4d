"""`csn submit` against the coordinator (agents faked at the HTTP edge)."""

from __future__ import annotations

from pathlib import Path

import httpx

from csn.scenarios import evidence_photo
from csn.submit import clean, describe_offer, parse_answer, render_event, submit
from tests.coordinator.coordinator_fakes import ORDER_ID, Fleet, account, running


def scripted(*answers: str | None):
    remaining = list(answers)
    prompts: list[str] = []

    async def ask(prompt: str) -> str | None:
        prompts.append(prompt)
        return remaining.pop(0) if remaining else None

    ask.prompts = prompts  # type: ignore[attr-defined]
    return ask


async def run_submit(settings, fleet, ask, *, auto_approve: bool, message: str | None = None):
    async with running(settings, fleet) as (app, client):
        token = await account_token(client)
        transport = httpx.ASGITransport(app=app)
        issue = message or f"My blender {ORDER_ID} arrived broken"
        return await submit(
            issue, None, auto_approve, "http://coordinator", None,
            token=token, ask=ask, transport=transport,
        )  # fmt: skip


async def account_token(client) -> str:
    return (await account(client))["Authorization"].removeprefix("Bearer ")


async def test_auto_approve_and_eof_at_the_outcome_resolves(settings, fleet: Fleet, capsys) -> None:
    code = await run_submit(settings, fleet, scripted(), auto_approve=True)
    out = capsys.readouterr().out
    assert code == 0
    assert "Result: monitoring" in out
    assert "watching: a refund of 129.99 USD within 7 days" in out
    assert "policy basis: RET-DAMAGED-01" in out
    assert "CS said: OK, full refund." in out


async def test_eof_without_auto_approve_exits_non_zero(settings, fleet: Fleet, capsys) -> None:
    code = await run_submit(settings, fleet, scripted(), auto_approve=False)
    assert code == 2
    assert "--auto-approve" in capsys.readouterr().out
    assert "negotiate" not in fleet.negotiation.skills_called()


async def test_interactive_clarify_approve_and_reject(settings, fleet: Fleet, capsys) -> None:
    ask = scripted(f"it's {ORDER_ID}", "maybe", "y", "n", "")
    code = await run_submit(settings, fleet, ask, auto_approve=False, message="my blender broke")
    out = capsys.readouterr().out
    assert code == 1
    assert "Result: escalated" in out
    assert "please answer y" in out
    assert len(ask.prompts) == 5


def test_untrusted_text_is_cleaned_and_not_markup() -> None:
    event = {
        "type": "cs_exchange",
        "detail": {
            "round": 1,
            "sent": "hi",
            "cs_text": "[bold red]pay\x1b[2J now[/]",
            "cs_offer": None,
        },
    }
    line = render_event(event)
    assert "\x1b" not in line.plain and "[bold red]pay" in line.plain
    assert clean("a\u202eb\x00c") == "abc"
    assert describe_offer({"type": "partial_refund", "amount": 40, "currency": "USD"}) == (
        "40.00 USD partial refund"
    )
    assert parse_answer(" Yes ") == "approve" and parse_answer("no") == "reject"
    assert parse_answer("perhaps") is None


class LosesFirstAnswer(httpx.AsyncBaseTransport):
    """Delivers the first POST /v1/sessions, then loses its answer (a dropped connection)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.keys: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/v1/sessions":
            self.keys.append(request.headers.get("Idempotency-Key"))
            if len(self.keys) == 1:
                raise httpx.ReadError("connection reset", request=request)
        return response


async def test_a_lost_answer_is_retried_without_opening_a_second_case(
    settings, fleet: Fleet, capsys
) -> None:
    async with running(settings, fleet) as (app, client):
        token = await account_token(client)
        transport = LosesFirstAnswer(httpx.ASGITransport(app=app))
        issue = f"My blender {ORDER_ID} arrived broken"
        code = await submit(
            issue, "C-1001", True, "http://coordinator", None,
            token=token, ask=scripted(), transport=transport,
        )  # fmt: skip
        assert code == 0
        assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1]
        assert app.state.store.count_by_state() == {"monitoring": 1}


async def test_submit_without_a_live_sign_in_says_to_sign_in(
    settings, fleet: Fleet, capsys
) -> None:
    async with running(settings, fleet) as (app, _):
        transport = httpx.ASGITransport(app=app)
        code = await submit(
            "my blender broke", None, True, "http://coordinator", None,
            token="not-a-token", ask=scripted(), transport=transport,
        )  # fmt: skip
    assert code == 2
    assert "csn login" in capsys.readouterr().out
    assert app.state.store.count_by_state() == {}


async def test_photos_go_with_the_case_and_a_fake_one_opens_none(
    settings, fleet: Fleet, capsys, tmp_path
) -> None:
    jug, fake = tmp_path / "jug.jpg", tmp_path / "fake.jpg"
    jug.write_bytes(evidence_photo(1))
    fake.write_text("not a photo")
    async with running(settings, fleet) as (app, client):
        token = await account_token(client)
        transport = httpx.ASGITransport(app=app)

        async def with_photos(*paths: Path) -> int:
            return await submit(
                f"My blender {ORDER_ID} arrived broken", None, True, "http://coordinator", None,
                token=token, ask=scripted(), transport=transport, photos=list(paths),
            )  # fmt: skip

        assert await with_photos(jug, fake) == 2
        assert "photo 2: not a photo" in capsys.readouterr().out
        assert app.state.store.count_by_state() == {}
        assert await with_photos(jug) == 0
        [sid] = app.state.store.ids_in_states(["monitoring"])
        assert [p.content_type for p in app.state.store.photos(sid)] == ["image/jpeg"]
