"""`csn bench`: drive a running fleet through generated cases and report how well it did."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import ssl
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from csn.scenarios import PERSONAS, Scenario, generate
from shared.a2a.client import A2AClient, A2AUnavailable
from shared.domain import TERMINAL_STATES
from shared.settings import ServiceSettings
from shared.valuation import offer_value

TERMINAL = {s.value for s in TERMINAL_STATES}
CHAOS_TARGETS = ("coordinator_agent", "context_agent", "negotiation_agent")
A2A_CLIENTS = ("coordinator_agent", "negotiation_agent")


@dataclass
class Result:
    """What happened to one simulated case."""

    scenario: Scenario
    session_id: str | None = None
    state: str = "not_created"
    seconds: float = 0.0
    cs_exchanges: int = 0
    entitled: bool = False
    entitled_value: float = 0.0
    obtained_value: float = 0.0
    outcome_offer: dict[str, Any] | None = None
    compliant: bool | None = None
    lost: bool = False
    notes: list[str] = field(default_factory=list)


class Bench:
    """One benchmark run against a fleet."""

    def __init__(self, args: argparse.Namespace, http: httpx.AsyncClient) -> None:
        self.args = args
        self.http = http
        self.urls = {
            "coordinator_agent": args.coordinator.rstrip("/"),
            "context_agent": args.context.rstrip("/"),
            "negotiation_agent": args.negotiation.rstrip("/"),
            "mock_cs_service": args.cs.rstrip("/"),
        }
        token = ServiceSettings().agent_token.get_secret_value()
        self.validator = A2AClient(http, self.urls["context_agent"], token, peer="context_agent")
        self.restarts = 0

    async def orders(self) -> list[dict[str, Any]]:
        """Every order of every customer the order system knows (C-1001, C-1002, ...)."""
        orders: list[dict[str, Any]] = []
        misses, number = 0, 1001
        while misses < 3:
            response = await self.http.get(
                f"{self.urls['mock_cs_service']}/v1/customers/C-{number}/orders"
            )
            if response.status_code == 200:
                body = response.json()
                orders += body["orders"] if isinstance(body, dict) else body
                misses = 0
            else:
                misses += 1
            number += 1
        return orders

    async def configure_cs(self, persona: str) -> None:
        config = {
            "persona": persona,
            "seed": self.args.seed,
            "latency_ms": self.args.latency_ms,
            "error_rate": self.args.error_rate,
            "timeout_rate": self.args.timeout_rate,
        }
        response = await self.http.put(
            f"{self.urls['mock_cs_service']}/v1/admin/config", json=config
        )
        response.raise_for_status()

    async def run_case(self, scenario: Scenario, customer: httpx.AsyncClient) -> Result:
        """Submit one case and walk it, as a customer would (with its own client), to its end."""
        result = Result(scenario)
        started = time.perf_counter()
        body = {
            "customer_id": scenario.customer_id,
            "message": scenario.message,
            "auto_approve": True,
        }
        created = await self._request(customer, "POST", "/v1/sessions", json=body)
        if created is None or created.status_code != 202:
            result.notes.append(f"create failed: {created.status_code if created else 'no answer'}")
            return result
        session = created.json()
        result.session_id = session["session_id"]
        headers = {"Authorization": f"Bearer {session['token']}"}
        doc = await self._follow(customer, result, headers, started)
        result.seconds = time.perf_counter() - started
        if doc is not None:
            await self._score(result, doc)
        return result

    async def _follow(
        self, customer: httpx.AsyncClient, result: Result, headers: dict[str, str], started: float
    ) -> dict | None:
        """Follow the case's live event stream, answering what it waits for, until it ends."""
        path = f"/v1/sessions/{result.session_id}"
        last_seq, answered = 0, 0
        while time.perf_counter() - started < self.args.case_timeout_s:
            try:
                async for event in self._events(customer, path, headers, last_seq):
                    last_seq = max(last_seq, int(event.get("seq") or 0))
                    result.state = event.get("state") or result.state
                    if event.get("type") == "state_changed" and answered < 8:
                        answered += await self._answer(customer, result, path, headers)
            except httpx.TransportError:
                await asyncio.sleep(0.5)  # the coordinator is restarting (chaos): reconnect
                continue
            response = await self._request(customer, "GET", path, headers=headers)
            if response is not None and response.status_code == 404:
                result.lost = True
                result.notes.append("session vanished")
                return None
            if response is not None and response.status_code == 200:
                doc = response.json()
                result.state = doc["state"]
                if result.state in TERMINAL:
                    return doc
        result.lost = True
        result.notes.append(f"stuck in {result.state}")
        return None

    async def _events(
        self, customer: httpx.AsyncClient, path: str, headers: dict[str, str], after: int
    ) -> Any:
        """The session's events from `after` on, as the coordinator streams them (SSE)."""
        stream_headers = {**headers, "Accept": "text/event-stream", "Last-Event-ID": str(after)}
        url = self.urls["coordinator_agent"] + path + "/events"
        timeout = httpx.Timeout(10.0, read=self.args.case_timeout_s)
        async with customer.stream("GET", url, headers=stream_headers, timeout=timeout) as response:
            if response.status_code != 200:
                await asyncio.sleep(0.5)
                return
            async for line in response.aiter_lines():
                if line.startswith("data:") and '"seq"' in line:
                    yield json.loads(line[5:])

    async def _answer(
        self, customer: httpx.AsyncClient, result: Result, path: str, headers: dict[str, str]
    ) -> int:
        """What a customer does when the case waits: clarify once more, or approve."""
        if result.state == "awaiting_clarification":
            text = f"It's order {result.scenario.order_id}."
            await self._request(
                customer, "POST", path + "/messages", headers=headers, json={"text": text}
            )
            return 1
        if result.state in ("awaiting_strategy_approval", "awaiting_outcome_approval"):
            decision = {"decision": "approve"}
            await self._request(
                customer, "POST", path + "/decisions", headers=headers, json=decision
            )
            return 1
        return 0

    async def _request(
        self, customer: httpx.AsyncClient, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        """A coordinator call that rides out restarts (chaos) for up to 30 s."""
        deadline = time.monotonic() + 30
        while True:
            try:
                return await customer.request(
                    method, self.urls["coordinator_agent"] + path, **kwargs
                )
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    return None
                await asyncio.sleep(0.5)

    async def _score(self, result: Result, doc: dict[str, Any]) -> None:
        entitlement = (doc.get("policies") or {}).get("entitlement") or {}
        item_value = float(entitlement.get("item_value") or entitlement.get("order_total") or 0)
        result.entitled = bool(entitlement.get("entitled"))
        result.entitled_value = offer_value(entitlement.get("best"), item_value)
        result.cs_exchanges = int((doc.get("negotiation") or {}).get("cs_exchanges") or 0)
        if doc.get("reason"):
            result.notes.append(str(doc["reason"])[:200])
        outcome = doc.get("outcome") or {}
        if result.state == "resolved" and outcome.get("offer"):
            result.outcome_offer = outcome["offer"]
            result.obtained_value = offer_value(outcome["offer"], item_value)
            result.compliant = await self._validate(doc, outcome["offer"])

    async def _validate(self, doc: dict[str, Any], offer: dict[str, Any]) -> bool | None:
        """Independent check of the outcome against policy, by the context agent.

        None (not judged) when the context agent cannot answer for 30 s (chaos kills it).
        """
        analysis = doc.get("analysis") or {}
        request = {
            "order_id": doc.get("order_id") or analysis.get("order_id"),
            "problem_type": analysis.get("problem_type"),
            "offer": offer,
            "source": "offer",  # the outcome is CS's offer, accepted
        }
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                answer = await self.validator.call_skill("validate_solution", request)
            except A2AUnavailable:
                await asyncio.sleep(1)
                continue
            if not answer.retryable:
                return bool(answer.output.get("valid"))
            await asyncio.sleep(1)
        return None

    async def a2a_counts(self) -> dict[str, dict[str, float]]:
        """A2A client calls by result, per calling service, from their /metrics."""
        counts: dict[str, dict[str, float]] = {}
        for service in A2A_CLIENTS:
            try:
                text = (await self.http.get(self.urls[service] + "/metrics")).text
            except httpx.HTTPError:
                continue
            per_result: dict[str, float] = {}
            for family in text_string_to_metric_families(text):
                if family.name != "csn_a2a_client_calls":
                    continue
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        result = sample.labels["result"]
                        per_result[result] = per_result.get(result, 0) + sample.value
            counts[service] = per_result
        return counts

    async def chaos(self, stop: asyncio.Event) -> None:
        """Kill a random agent (coordinator included) every few seconds; count the heals."""
        rng = random.Random(self.args.seed)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.args.chaos_interval_s)
                return
            except TimeoutError:
                pass
            target = rng.choice(CHAOS_TARGETS)
            if await self._kill_and_wait(self.urls[target]):
                self.restarts += 1

    async def _kill_and_wait(self, url: str) -> bool:
        try:
            pid = (await self.http.get(url + "/healthz")).json()["pid"]
        except (httpx.HTTPError, KeyError, ValueError):
            return False
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            try:
                if (await self.http.get(url + "/healthz")).json().get("pid") != pid:
                    return True
            except (httpx.HTTPError, ValueError):
                continue
        return False


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every scenario (persona by persona) and summarize."""
    async with httpx.AsyncClient(timeout=60) as http:
        bench = Bench(args, http)
        scenarios = generate(await bench.orders(), args.sessions, args.seed, args.persona)
        before = await bench.a2a_counts()
        results: list[Result] = []
        stop = asyncio.Event()
        chaos = asyncio.create_task(bench.chaos(stop)) if args.chaos else None
        started = time.perf_counter()
        with Progress(transient=True) as progress:
            bar = progress.add_task("cases", total=len(scenarios))
            for persona in sorted({s.persona for s in scenarios}, key=PERSONAS.index):
                await bench.configure_cs(persona)
                group = [s for s in scenarios if s.persona == persona]
                results += await _run_group(bench, group, args.concurrency, progress, bar)
        stop.set()
        if chaos:
            await chaos
        after = await bench.a2a_counts()
    report = summarize(results, args, time.perf_counter() - started, before, after)
    report["restarts"] = bench.restarts
    return report


async def _run_group(
    bench: Bench, group: list[Scenario], concurrency: int, progress: Progress, bar: Any
) -> list[Result]:
    # One client per simulated customer: like real customers, and it keeps each connection
    # pool tiny (httpcore's pool bookkeeping grows with the square of its size).
    customers: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    tls = ssl.create_default_context()  # built once: building one per client is slow
    for _ in range(concurrency):
        customers.put_nowait(httpx.AsyncClient(timeout=60, verify=tls))

    async def one(scenario: Scenario) -> Result:
        customer = await customers.get()
        try:
            result = await bench.run_case(scenario, customer)
        finally:
            customers.put_nowait(customer)
        progress.advance(bar)
        return result

    try:
        return list(await asyncio.gather(*(one(s) for s in group)))
    finally:
        while not customers.empty():
            await customers.get_nowait().aclose()


def summarize(
    results: list[Result],
    args: argparse.Namespace,
    wall_s: float,
    before: dict[str, dict[str, float]],
    after: dict[str, dict[str, float]],
) -> dict[str, Any]:
    """The figures of a run, overall and per persona."""
    report: dict[str, Any] = {
        "sessions": len(results),
        "concurrency": args.concurrency,
        "seed": args.seed,
        "chaos": bool(args.chaos),
        "wall_s": round(wall_s, 2),
        **_figures(results),
        "a2a_success_rate": _a2a_success(before, after),
        "lost_sessions": sum(r.lost for r in results),
        "states": _count(r.state for r in results),
        "per_persona": {
            persona: _figures([r for r in results if r.scenario.persona == persona])
            for persona in PERSONAS
            if any(r.scenario.persona == persona for r in results)
        },
    }
    report["failures"] = [
        {
            "index": r.scenario.index,
            "persona": r.scenario.persona,
            "problem": r.scenario.problem_type,
            "wanted": r.scenario.desired_outcome,
            "order_id": r.scenario.order_id,
            "session_id": r.session_id,
            "state": r.state,
            "compliant": r.compliant,
            "offer": r.outcome_offer,
            "notes": r.notes,
        }
        for r in results
        if r.lost or r.compliant is False or (r.entitled and r.state != "resolved")
    ][: args.max_failures]
    return report


def _figures(results: list[Result]) -> dict[str, Any]:
    entitled = [r for r in results if r.entitled]
    resolved = [r for r in entitled if r.state == "resolved"]
    judged = [r for r in results if r.compliant is not None]
    negotiated = [r for r in results if r.cs_exchanges]
    times = sorted(r.seconds for r in results if r.state in TERMINAL)
    entitled_value = sum(r.entitled_value for r in entitled)
    return {
        "sessions": len(results),
        "entitled": len(entitled),
        "resolution_rate": _ratio(len(resolved), len(entitled)),
        "policy_compliance": _ratio(sum(bool(r.compliant) for r in judged), len(judged)),
        "mean_cs_exchanges": round(statistics.fmean(r.cs_exchanges for r in negotiated), 2)
        if negotiated
        else 0.0,
        "escalation_rate": _ratio(sum(r.state == "escalated" for r in results), len(results)),
        "e2e_p50_s": _percentile(times, 50),
        "e2e_p95_s": _percentile(times, 95),
        "value_captured": round(sum(r.obtained_value for r in entitled) / entitled_value, 4)
        if entitled_value
        else None,
    }


def _a2a_success(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]
) -> float | None:
    ok = total = 0.0
    for service, counts in after.items():
        earlier = before.get(service, {})
        restarted = any(counts.get(k, 0) < v for k, v in earlier.items())
        for result, value in counts.items():
            delta = value if restarted else value - earlier.get(result, 0)
            total += delta
            ok += delta if result == "ok" else 0
    return round(ok / total, 4) if total else None


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _percentile(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(pct / 100 * len(values) + 0.5) - 1))
    return round(values[index], 3)


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def print_report(report: dict[str, Any], console: Console) -> None:
    """The readable summary table."""
    rows = (
        "sessions",
        "entitled",
        "resolution_rate",
        "policy_compliance",
        "mean_cs_exchanges",
        "escalation_rate",
        "e2e_p50_s",
        "e2e_p95_s",
        "value_captured",
    )
    table = Table(
        title=f"csn bench: {report['sessions']} sessions, concurrency {report['concurrency']}, "
        f"seed {report['seed']}{', chaos' if report['chaos'] else ''}"
    )
    table.add_column("figure")
    table.add_column("all", justify="right")
    for persona in report["per_persona"]:
        table.add_column(persona, justify="right")
    for row in rows:
        cells = [_cell(report.get(row))]
        cells += [_cell(figures.get(row)) for figures in report["per_persona"].values()]
        table.add_row(row, *cells)
    console.print(table)
    console.print(
        f"a2a_success_rate {report['a2a_success_rate']}  lost_sessions {report['lost_sessions']}  "
        f"restarts {report['restarts']}  wall {report['wall_s']} s  states {report['states']}"
    )


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="csn bench", description=__doc__)
    p.add_argument("--coordinator", default="http://127.0.0.1:9000")
    p.add_argument("--context", default="http://127.0.0.1:9001")
    p.add_argument("--negotiation", default="http://127.0.0.1:9002")
    p.add_argument("--cs", default="http://127.0.0.1:9003")
    p.add_argument("--sessions", type=int, default=40)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--persona", default="mix", choices=("mix", *PERSONAS))
    p.add_argument("--error-rate", type=float, default=0.0, help="CS fault injection: 5xx share")
    p.add_argument(
        "--timeout-rate", type=float, default=0.0, help="CS fault injection: timeouts share"
    )
    p.add_argument("--latency-ms", type=int, default=0, help="CS fault injection: added latency")
    p.add_argument("--chaos", action="store_true", help="kill random agents during the run")
    p.add_argument("--chaos-interval-s", type=float, default=4.0)
    p.add_argument("--case-timeout-s", type=float, default=300.0)
    p.add_argument("--json", default=None, help="write the figures to this file")
    p.add_argument("--max-failures", type=int, default=50, help="failed cases listed in the JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `csn bench`."""
    args = parser().parse_args(argv)
    console = Console(stderr=True)
    report = asyncio.run(run(args))
    print_report(report, console)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
    return 0 if report["lost_sessions"] == 0 else 1
