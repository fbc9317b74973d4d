"""`csn submit`: open a case with the coordinator, follow it live, ask for the approvals."""

from __future__ import annotations

import asyncio
import base64
import re
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.text import Text

from shared.domain import DesiredOutcome

POLL_S = 0.4
OPEN_ATTEMPTS, OPEN_RETRY_S = 3, 0.5
# cs_unavailable and monitoring are not over (the coordinator retries CS for up to a day, and
# watches for days that CS keeps its word), but they are where a person following live stops:
# the case goes on on its own.
TERMINAL = {
    "resolved",
    "monitoring",
    "fulfilled",
    "escalated",
    "failed",
    "cs_unavailable",
    "cancelled",
    "expired",
}
AGREED = {"resolved", "monitoring", "fulfilled"}
Ask = Callable[[str], Awaitable[str | None]]  # None: stdin is closed (EOF)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e]")


class SubmitError(Exception):
    """Why the case cannot be followed further from this terminal; the exit code to use."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def clean(value: Any, limit: int = 600) -> str:
    """Untrusted text (CS replies, agent output) made safe to print: no control characters."""
    text = _CONTROL.sub("", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_offer(offer: dict[str, Any] | None) -> str:
    """An offer in a few words: '129.99 USD full refund, return required'."""
    if not offer:
        return "no offer"
    words = str(offer.get("type", "none")).replace("_", " ")
    if offer.get("amount") is not None:
        words = f"{float(offer['amount']):.2f} {offer.get('currency', 'USD')} {words}"
    if offer.get("return_required"):
        words += ", return required"
    if offer.get("restocking_fee"):
        words += f", restocking fee {float(offer['restocking_fee']):.2f}"
    return clean(words, 120)


def render_event(event: dict[str, Any]) -> Text | None:
    """One line of live progress for an event, or None for the ones not worth a line."""
    detail = event.get("detail") or {}
    kind = event.get("type")
    if kind == "state_changed":
        return Text.assemble(("→ ", "bold"), (clean(detail.get("to"), 40), "bold cyan"))
    if kind == "agent_call":
        skill, actor, ms = detail.get("skill"), event.get("actor"), detail.get("ms")
        return Text(f"  {clean(actor, 40)}: {clean(skill, 40)} ({ms} ms)", style="dim")
    if kind == "cs_exchange":
        line = Text(f"  round {detail.get('round')}: ", style="bold")
        line.append(f"we said: {clean(detail.get('sent'), 200)}\n", style="green")
        line.append(f"           CS said: {clean(detail.get('cs_text'), 300)}", style="yellow")
        line.append(f"  [{describe_offer(detail.get('cs_offer'))}]", style="magenta")
        return line
    if kind == "escalated":
        return Text(f"  escalated: {clean(detail.get('reason'), 300)}", style="red")
    if kind in ("monitoring", "fulfilled", "dispute_packet"):
        return Text(f"  {clean(detail.get('text'), 400)}", style="bold")
    if kind in ("promise_kept", "promise_broken"):
        word = "kept" if kind == "promise_kept" else "BROKEN"
        return Text(f"  promise {word}: {clean(detail.get('text'), 300)}", style="yellow")
    if kind == "follow_up":
        line = Text(f"  chased CS ({clean(detail.get('name'), 40)}): ", style="bold")
        line.append(f"CS said: {clean(detail.get('cs_text'), 300)}", style="yellow")
        return line
    return None


def parse_answer(answer: str) -> str | None:
    """'approve' or 'reject' from what the customer typed, None when unclear."""
    word = answer.strip().lower()
    if word in {"y", "yes", "a", "approve", "ok"}:
        return "approve"
    if word in {"n", "no", "r", "reject"}:
        return "reject"
    return None


async def ask_stdin(prompt: str) -> str | None:
    """Read one line from stdin without blocking the event loop; None at EOF."""
    print(prompt, end="", flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    if not sys.stdin.isatty():
        print(line.rstrip("\n") if line else "")  # piped answers are not echoed: show them
    return line.rstrip("\n") if line else None


def _photo(path: Path) -> dict[str, str]:
    """A photo for the API: its bytes in base64 (the coordinator checks what it is)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SubmitError(f"cannot read the photo {path}: {error.strerror}") from None
    return {"filename": path.name, "data": base64.b64encode(data).decode("ascii")}


class CaseFollower:
    """Follows one case: prints its events, answers what it waits for, prints the result."""

    def __init__(
        self, http: httpx.AsyncClient, console: Console, ask: Ask, auto_approve: bool, token: str
    ) -> None:
        self._http = http
        self._console = console
        self._ask = ask
        self._auto_approve = auto_approve
        self._headers = {"Authorization": f"Bearer {token}"}  # the account's sign-in
        self._session_id = ""
        self._seen = 0

    async def run(
        self,
        issue: str,
        customer: str | None,
        order_id: str | None,
        photos: Sequence[Path] = (),
    ) -> int:
        """Open the case (with its photos) and follow it to its end; returns the exit code."""
        try:
            await self._open(issue, customer, order_id, photos)
            doc = await self._follow()
        except SubmitError as error:
            self._console.print(Text(str(error), style="red"))
            if self._session_id:
                self._console.print(f"session {self._session_id} is kept by the coordinator")
            return error.code
        except httpx.HTTPError as error:
            self._console.print(Text(f"lost the coordinator: {type(error).__name__}", style="red"))
            return 2
        self._print_result(doc)
        return 0 if doc["state"] in AGREED else 1

    async def _open(
        self, issue: str, customer: str | None, order_id: str | None, photos: Sequence[Path]
    ) -> None:
        body: dict[str, Any] = {"message": issue, "auto_approve": self._auto_approve}
        if customer:
            body["customer_id"] = customer
        if order_id:
            body["order_id"] = order_id
        if photos:
            body["photos"] = [_photo(path) for path in photos]
        response = await self._post_once("/v1/sessions", body)
        if response.status_code == 401:
            raise SubmitError(f"{_detail(response)}: sign in again with `csn login`")
        if response.status_code != 202:
            raise SubmitError(f"the coordinator refused the case: {_detail(response)}")
        created = response.json()
        self._session_id = created["session_id"]
        self._console.print(f"case opened: session [bold]{self._session_id}[/bold]")

    async def _post_once(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST with one Idempotency-Key over every retry: a lost answer never opens a second case."""
        headers = {**self._headers, "Idempotency-Key": uuid.uuid4().hex}
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                return await self._http.post(path, json=body, headers=headers)
            except httpx.TransportError as error:
                if attempt == OPEN_ATTEMPTS:
                    message = f"cannot reach the coordinator: {type(error).__name__}"
                    raise SubmitError(message) from None
                await asyncio.sleep(OPEN_RETRY_S * attempt)
        raise AssertionError("unreachable")

    async def _follow(self) -> dict[str, Any]:
        handled: tuple[str, int] | None = None
        with self._console.status("working on your case…") as status:
            while True:
                await self._print_new_events()
                doc = await self._get(f"/v1/sessions/{self._session_id}")
                status.update(f"state: {doc['state']} · CS exchanges: {_exchanges(doc)}")
                if doc["state"] in TERMINAL:
                    return doc
                marker = (doc["state"], self._seen)
                if doc.get("awaiting") and marker != handled:
                    status.stop()
                    await self._answer(doc)
                    handled = (doc["state"], self._seen)
                    status.start()
                await asyncio.sleep(POLL_S)

    async def _print_new_events(self) -> None:
        page = await self._get(f"/v1/sessions/{self._session_id}/events?after={self._seen}")
        for event in page["events"]:
            self._seen = max(self._seen, int(event["seq"]))
            line = render_event(event)
            if line is not None:
                self._console.print(line)

    async def _answer(self, doc: dict[str, Any]) -> None:
        awaiting = doc["awaiting"]
        if awaiting == "clarification":
            await self._clarify(doc)
        elif awaiting == "strategy":
            self._show_strategy(doc.get("strategy") or {})
            await self._decide("Approve this strategy? [y/n] ", eof_approves=self._auto_approve)
        elif awaiting == "outcome":
            self._show_proposal(doc.get("proposal") or {})
            await self._decide("Accept this outcome? [y/n] ", eof_approves=self._auto_approve)
        elif awaiting == "follow_up":
            self._console.print(Text(f"? {clean(doc.get('question') or '')}", "bold"))
            await self._decide("Chase CS? [y/n] ", eof_approves=self._auto_approve)

    async def _clarify(self, doc: dict[str, Any]) -> None:
        self._console.print(Text(f"? {clean(doc.get('question') or 'Please clarify.')}", "bold"))
        text = await self._ask("> ")
        if text is None or not text.strip():
            raise SubmitError("a clarification is needed but stdin has no answer")
        await self._post("messages", {"text": text.strip()[:4000]})

    async def _decide(self, prompt: str, *, eof_approves: bool) -> None:
        while True:
            answer = await self._ask(prompt)
            if answer is None:
                if not eof_approves:
                    raise SubmitError(
                        "an approval is needed but stdin is not interactive; "
                        "answer at a terminal, or pass --auto-approve"
                    )
                self._console.print("stdin closed: approving (--auto-approve)")
                decision = "approve"
            else:
                decision = parse_answer(answer) or ""
            if decision == "approve":
                await self._post("decisions", {"decision": "approve"})
                return
            if decision == "reject":
                body = await self._rejection() if "Chase" not in prompt else {"decision": "reject"}
                await self._post("decisions", body)
                return
            self._console.print("please answer y (approve) or n (reject)")

    async def _rejection(self) -> dict[str, Any]:
        goals = ", ".join(g.value for g in DesiredOutcome if g != DesiredOutcome.UNSPECIFIED)
        goal = (await self._ask(f"What would you accept instead ({goals}; empty to stop)? ")) or ""
        body: dict[str, Any] = {"decision": "reject"}
        if goal.strip() in {g.value for g in DesiredOutcome}:
            body["new_goal"] = goal.strip()
        return body

    def _show_strategy(self, strategy: dict[str, Any]) -> None:
        self._console.print(Text("Proposed strategy", style="bold underline"))
        self._console.print(Text(clean(strategy.get("summary") or "")))
        self._console.print(f"  opening ask: {describe_offer(strategy.get('opening_ask'))}")
        floor = strategy.get("floor") or {}
        if floor.get("amount") is not None:
            self._console.print(f"  lowest we accept: {float(floor['amount']):.2f}")
        for argument in strategy.get("arguments") or []:
            self._console.print(Text(f"  cites {clean(argument.get('policy_id'), 60)}"))

    def _show_proposal(self, proposal: dict[str, Any]) -> None:
        self._console.print(Text("CS agreed to", style="bold underline"))
        self._console.print(f"  {describe_offer(proposal.get('offer'))}")
        self._console.print(Text(f"  why: {clean(proposal.get('reason') or '')}"))
        basis = ", ".join(clean(p, 60) for p in proposal.get("policy_basis") or [])
        self._console.print(Text(f"  policy basis: {basis or 'none given'}"))

    def _print_result(self, doc: dict[str, Any]) -> None:
        state = doc["state"]
        style = "bold green" if state in AGREED else "bold red"
        self._console.print(Text(f"Result: {state}", style=style))
        final = doc.get("outcome") or doc.get("proposal") or {}
        if final.get("offer"):
            self._console.print(f"  outcome: {describe_offer(final['offer'])}")
        basis = final.get("policy_basis") or []
        if basis:
            self._console.print(Text(f"  policy basis: {', '.join(clean(p, 60) for p in basis)}"))
        for alternative in final.get("alternatives") or []:
            self._console.print(Text(f"  alternative: {clean(alternative)}"))
        for promise in (doc.get("follow_through") or {}).get("promises") or []:
            self._console.print(Text(f"  watching: {clean(promise.get('text'), 200)}"))
        if doc.get("reason") and state not in AGREED:
            self._console.print(Text(f"  reason: {clean(doc['reason'])}"))
        if doc.get("escalation"):
            self._console.print("  a person will take the case over from here")
        self._console.print(f"  CS exchanges: {_exchanges(doc)}")

    async def _get(self, path: str) -> dict[str, Any]:
        response = await self._http.get(path, headers=self._headers)
        if response.status_code != 200:
            raise SubmitError(
                f"the coordinator answered {response.status_code}: {_detail(response)}"
            )
        data: dict[str, Any] = response.json()
        return data

    async def _post(self, action: str, body: dict[str, Any]) -> None:
        path = f"/v1/sessions/{self._session_id}/{action}"
        response = await self._http.post(path, json=body, headers=self._headers)
        if response.status_code == 409:
            self._console.print(Text(f"not taken: {_detail(response)}", style="yellow"))
        elif response.status_code >= 400:
            raise SubmitError(f"the coordinator refused that: {_detail(response)}")


def _exchanges(doc: dict[str, Any]) -> int:
    return int((doc.get("negotiation") or {}).get("cs_exchanges") or 0)


def _detail(response: httpx.Response) -> str:
    try:
        return clean(response.json().get("detail"), 300)
    except ValueError:
        return f"HTTP {response.status_code}"


async def submit(
    issue: str,
    customer: str | None,
    auto_approve: bool,
    coordinator_url: str,
    order_id: str | None,
    *,
    token: str,
    ask: Ask = ask_stdin,
    transport: httpx.AsyncBaseTransport | None = None,
    photos: Sequence[Path] = (),
) -> int:
    """Submit a case for the signed-in account (`token`) and follow it to its end; 0 when
    resolved, 1 otherwise, 2 on errors."""
    console = Console(highlight=False)
    async with httpx.AsyncClient(
        base_url=coordinator_url, timeout=15.0, transport=transport
    ) as http:
        follower = CaseFollower(http, console, ask, auto_approve, token)
        return await follower.run(issue, customer, order_id, photos)
