"""`csn bench`: drive a running fleet through generated cases and report how well it did.

Outcomes are judged from the other side of the table: the mock CS desk's ledger of what it
actually granted (`GET /v1/admin/ledger`), found by each case's CS contact id and order id,
not from the fleet's own records. A case whose reported outcome differs from the desk's
booking is a misread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import ssl
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from csn import follow_through
from csn.accounts import demo_accounts, demo_password
from csn.desk_records import DeskRecords
from csn.ledger import Misread, by_contact, grants_of, owed, verdict, within_terms
from csn.scenarios import (
    PERSONAS,
    Scenario,
    clarify,
    describe,
    generate,
    photo_upload,
    photographs_first,
)
from mock_cs_service.wording import Wording
from shared import limits
from shared.domain import AGREED_STATES, MONITORING_STATES, RETRYING_STATES, TERMINAL_STATES
from shared.settings import ServiceSettings

# A case waiting for CS to come back (cs_unavailable, retried on a schedule) or for CS to keep
# its word (monitoring, for days) is settled for a run; --follow-through waits for the latter.
TERMINAL = {s.value for s in TERMINAL_STATES | RETRYING_STATES | MONITORING_STATES}
FOLLOWED = {s.value for s in TERMINAL_STATES | RETRYING_STATES}
AGREED = {s.value for s in AGREED_STATES}
CHAOS_TARGETS = ("coordinator_agent", "context_agent", "negotiation_agent")
A2A_CLIENTS = ("coordinator_agent", "negotiation_agent")
LEDGER_FIGURES = (
    "resolved_as_asked",
    "value_obtained",
    "compliance",
    "compliance_judged",
    "grants",
    "misreads",
)
MAX_ANSWERS = 12  # a customer answers a case this many times at most
# The balancer answers these when no instance could take the request (all restarting), or one
# died under it: retried like a refused connection (cases are created with idempotency keys).
BALANCER_RETRY = {502, 503, 504}


@dataclass
class Result:
    """What happened to one simulated case: what the fleet reports, and what the desk booked."""

    scenario: Scenario
    session_id: str | None = None
    token: str | None = None
    state: str = "not_created"
    seconds: float = 0.0
    cs_exchanges: int = 0  # messages of ours the desk answered, from its transcripts
    entitled: bool = False  # policy allows a remedy for the case's real problem
    askable: bool = False  # ... and one of the kind the customer asked for
    entitled_value: float = 0.0
    item_value: float = 0.0
    contact_id: str | None = None
    earlier_contacts: list[str] = field(default_factory=list)  # chats CS closed, new one opened
    reported_offer: dict[str, Any] | None = None  # what we told the customer was agreed
    lost: bool = False
    notes: list[str] = field(default_factory=list)
    # judged from the desk's ledger
    grants: list[dict[str, Any]] = field(default_factory=list)  # booked on this case's contact
    as_asked: bool = False
    obtained_value: float = 0.0
    misread: Misread | None = None
    compliant: list[bool | None] = field(default_factory=list)  # per grant; None: not judged
    terms: dict[str, Any] | None = None  # what the desk allows the case's real problem
    # (when, previous owner silent for) of each takeover by another coordinator instance
    takeovers: list[tuple[float, float]] = field(default_factory=list)


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
        self.restarts = 0
        self.kills: list[tuple[float, str]] = []  # (when, service) of every kill
        # Every instance of each service (`csn up`'s fleet file), for chaos and CPU counts.
        self.instances = fleet_instances(args) or {name: [url] for name, url in self.urls.items()}
        self.throttled = 0  # 429s waited out on opening a case (they count in e2e times)
        self.key_conflicts: int | None = None  # from the desk's ledger
        self.accounts: dict[str, dict[str, str]] = {}  # customer id -> the account's headers
        self.desk = DeskRecords(http, self.urls["mock_cs_service"])
        self.photos_at_opening = True  # False once the coordinator refused them (older)

    @property
    def cs(self) -> str:
        return self.urls["mock_cs_service"]

    async def customers(self) -> list[str]:
        """The order system's customers (`GET /v1/customers`; older desks: probe C-1001...)."""
        response = await self.http.get(f"{self.cs}/v1/customers")
        if response.status_code == 404:
            return await self._probe_customers()
        response.raise_for_status()
        return [str(c["customer_id"]) for c in response.json()["customers"]]

    async def _probe_customers(self) -> list[str]:
        found, misses, number = [], 0, 1001
        while misses < 3:
            response = await self.http.get(f"{self.cs}/v1/customers/C-{number}/orders")
            if response.status_code == 200:
                found.append(f"C-{number}")
                misses = 0
            else:
                misses += 1
            number += 1
        return found

    async def orders(self) -> list[dict[str, Any]]:
        """Every order of every customer the order system knows."""
        orders: list[dict[str, Any]] = []
        for customer_id in await self.customers():
            response = await self.http.get(f"{self.cs}/v1/customers/{customer_id}/orders")
            if response.status_code != 200:
                continue
            body = response.json()
            found = body.get("orders", []) if isinstance(body, dict) else body
            orders += [{"customer_id": customer_id, **o} for o in found if isinstance(o, dict)]
        return orders

    async def reset_cs(self) -> None:
        """Start from a desk that remembers no contact and has booked nothing."""
        (await self.desk.admin_request("POST", "/v1/admin/reset")).raise_for_status()

    async def configure_cs(self, persona: str) -> None:
        config = {
            "persona": persona,
            "seed": self.args.seed,
            "latency_ms": self.args.latency_ms,
            "error_rate": self.args.error_rate,
            "timeout_rate": self.args.timeout_rate,
            "channel": self.args.channel,
        }
        if self.args.wording != "first":
            config["wording"] = self.args.wording  # (an older desk knows only its own words)
        if self.args.follow_through:
            config["followup"] = self.args.followup
        else:  # independent cases: a new complaint on a reused order is not a chase
            config["chases_in_words"] = False
        response = await self.desk.admin_request("PUT", "/v1/admin/config", json=config)
        if response.status_code == 422 and self.args.channel == "structured":
            # an older desk: it only speaks structured, and never takes words for a chase
            config = {k: v for k, v in config.items() if k not in {"channel", "chases_in_words"}}
            response = await self.desk.admin_request("PUT", "/v1/admin/config", json=config)
        response.raise_for_status()

    async def ledger(self) -> list[dict[str, Any]] | None:
        """What the desk actually granted (None when the desk keeps no ledger)."""
        body = await self.desk.ledger()
        if body is None:
            return None
        self.key_conflicts = body.get("key_conflicts")
        return list(body["agreements"])

    async def run_case(self, scenario: Scenario, customer: httpx.AsyncClient) -> Result:
        """Submit one case and walk it, as a customer would (with its own client), to its end,
        or give it up after `--case-timeout-s` (even inside a stream that keeps sending
        heartbeats)."""
        result = Result(scenario)
        started = time.perf_counter()
        doc = None
        try:
            async with asyncio.timeout(self.args.case_timeout_s):
                doc = await self._walk(scenario, customer, result, started)
        except TimeoutError:
            result.lost = True
            result.notes.append(f"timed out in {result.state}")
        result.seconds = time.perf_counter() - started
        if doc is not None:
            await self._score(result, doc)
        return result

    async def _walk(
        self, scenario: Scenario, customer: httpx.AsyncClient, result: Result, started: float
    ) -> dict | None:
        """Open the case and follow it to its end; its final document, or None."""
        body = {
            "customer_id": scenario.customer_id,
            "message": scenario.message,
            "auto_approve": True,
        }
        if photographs_first(scenario) and self.photos_at_opening:
            body.update(photo_upload(scenario.index))
        created = await self._create(customer, body, started, key=uuid.uuid4().hex)
        if created is not None and created.status_code == 422 and "photos" in body:
            # A coordinator older than photos at opening (a baseline for bench-compare)
            # refuses the field: its customers opened the case without them.
            self.photos_at_opening = False
            del body["photos"]
            created = await self._create(customer, body, started, key=uuid.uuid4().hex)
        if created is None or created.status_code != 202:
            result.notes.append(f"create failed: {created.status_code if created else 'no answer'}")
            return None
        session = created.json()
        result.session_id, result.token = session["session_id"], session["token"]
        headers = {"Authorization": f"Bearer {session['token']}"}
        return await self._follow(customer, result, headers, started)

    async def _follow(
        self, customer: httpx.AsyncClient, result: Result, headers: dict[str, str], started: float
    ) -> dict | None:
        """Follow the case's live event stream, answering what it waits for, until it ends."""
        path = f"/v1/sessions/{result.session_id}"
        last_seq, answered = 0, 0
        # The stream ends at a terminal state; a case settled for this run (monitoring, or
        # cs_unavailable) is left while its stream stays open.
        settled = FOLLOWED if self.args.follow_through else TERMINAL
        while time.perf_counter() - started < self.args.case_timeout_s:
            try:
                stream = self._events(customer, path, headers, last_seq)
                async with contextlib.aclosing(stream) as events:  # a break closes the stream
                    async for event in events:
                        last_seq = max(last_seq, int(event.get("seq") or 0))
                        result.state = event.get("state") or result.state
                        if event.get("type") == "taken_over":
                            result.takeovers.append(_takeover(event))
                        if event.get("type") == "state_changed" and answered < MAX_ANSWERS:
                            answered += await self._answer(customer, result, path, headers)
                        if result.state in settled:
                            break
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
                if result.state in settled:
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
        """What a customer does when the case waits: answer what is asked, or approve."""
        if result.state in ("awaiting_strategy_approval", "awaiting_outcome_approval"):
            decision = {"decision": "approve"}
            await self._request(
                customer, "POST", path + "/decisions", headers=headers, json=decision
            )
            return 1
        if result.state not in ("awaiting_clarification", "awaiting_customer_input"):
            return 0
        response = await self._request(customer, "GET", path, headers=headers)
        if response is None or response.status_code != 200:
            return 0
        doc = response.json()
        if doc.get("state") == "awaiting_clarification":
            answer = clarify(result.scenario, doc)
        elif doc.get("photos_wanted"):  # CS asked for photos: the customer takes one
            body = photo_upload(result.scenario.index)
            await self._request(customer, "POST", path + "/photos", headers=headers, json=body)
            return 1
        elif doc.get("state") == "awaiting_customer_input":
            answer = {"text": describe(result.scenario)}
        else:
            return 0  # it moved on meanwhile
        await self._request(customer, "POST", path + "/messages", headers=headers, json=answer)
        return 1

    async def sign_in_customers(self) -> None:
        """One account per customer of the order system (the demo accounts of `csn up`).

        A coordinator without accounts (a baseline older than them, for `csn bench-compare`)
        opens cases by customer id alone: its customers are not signed in.
        """
        probe = await self.http.get(self.urls["coordinator_agent"] + "/v1/accounts/me")
        if probe.status_code == 404:
            return
        password = demo_password(ServiceSettings().var_dir)
        admin = os.environ.get("CSN_MOCK_ADMIN_TOKEN", "")
        made = await asyncio.to_thread(
            demo_accounts, self.urls["coordinator_agent"], self.cs, password, admin
        )
        self.accounts = {a["customer_id"]: {"Authorization": f"Bearer {a['token']}"} for a in made}

    async def _create(
        self, customer: httpx.AsyncClient, body: dict[str, Any], started: float, key: str
    ) -> httpx.Response | None:
        """Open the case as its customer's account; a 429 (too many new cases) is waited out.
        The idempotency key makes a retry after a lost answer (chaos) open no second case."""
        headers = {**self.accounts.get(str(body["customer_id"]), {}), "Idempotency-Key": key}
        while True:
            created = await self._request(
                customer, "POST", "/v1/sessions", json=body, headers=headers
            )
            if created is None or created.status_code != 429:
                return created
            self.throttled += 1
            if time.perf_counter() - started > self.args.case_timeout_s:
                return created
            await asyncio.sleep(float(created.headers.get("Retry-After") or 1))

    async def _request(
        self, customer: httpx.AsyncClient, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        """A coordinator call that rides out restarts (chaos) for up to 30 s."""
        deadline = time.monotonic() + 30
        while True:
            try:
                response = await customer.request(
                    method, self.urls["coordinator_agent"] + path, **kwargs
                )
                if response.status_code not in BALANCER_RETRY or time.monotonic() > deadline:
                    return response
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    return None
            await asyncio.sleep(0.5)

    async def _score(self, result: Result, doc: dict[str, Any]) -> None:
        """Note what the fleet reports: the entitlement, the CS contact, the outcome."""
        entitlement = (doc.get("policies") or {}).get("entitlement") or {}
        result.item_value = float(
            entitlement.get("item_value") or entitlement.get("order_total") or 0
        )
        negotiation = doc.get("negotiation") or {}
        result.contact_id = negotiation.get("contact_id")
        result.earlier_contacts = [
            str(a["contact_id"])
            for a in doc.get("attempts") or ()
            if isinstance(a, dict) and a.get("contact_id")
        ]
        if doc.get("reason"):
            result.notes.append(str(doc["reason"])[:200])
        if result.state in AGREED:
            result.reported_offer = (doc.get("outcome") or {}).get("offer")

    async def check_entitlements(self, results: list[Result]) -> None:
        """What the retailer grants each case for its real problem (the scenario's, not our
        reading of the customer's words), by the desk's own rules and policies: the yardstick
        of resolved as asked, value obtained and compliance. Never the fleet's own reading."""
        gate = asyncio.Semaphore(16)

        async def one(result: Result) -> None:
            scenario = result.scenario
            async with gate:
                result.terms = await self.desk.terms(scenario.order_id, scenario.problem_type)
            if result.terms is None:
                return
            yardstick = owed(result.terms, result.item_value)
            result.item_value = yardstick.item_value
            result.entitled = yardstick.entitled
            result.askable = yardstick.askable(scenario.desired_outcome)
            result.entitled_value = yardstick.value

        await asyncio.gather(*(one(r) for r in results))

    async def count_exchanges(self, results: list[Result]) -> None:
        """Each case's CS exchanges from the desk's transcripts of its contacts (every chat
        of the case), not from the fleet's own count."""
        gate = asyncio.Semaphore(16)

        async def one(result: Result) -> None:
            async with gate:
                contacts = [*result.earlier_contacts, result.contact_id]
                result.cs_exchanges = await self.desk.exchanges(contacts)

        await asyncio.gather(*(one(r) for r in results))

    def check_compliance(self, results: list[Result]) -> None:
        """Judge every grant the desk booked against what the retailer allows the case's real
        problem (None, not judged, when the desk does not say what it allows)."""
        for result in results:
            remedies = None if result.terms is None else result.terms.get("remedies") or []
            result.compliant = [
                None if remedies is None else within_terms(grant, remedies)
                for grant in result.grants
            ]

    async def judge_follow_through(
        self, results: list[Result], agreements: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The follow-through figures, judged from the desk's ledger (see csn.follow_through)."""
        ledger = by_contact(agreements)
        day_s = ServiceSettings().day_seconds
        now = datetime.now(UTC)
        judged: list[follow_through.Judged] = []
        for result in results:
            for entry in grants_of(ledger, result.contact_id):
                one = follow_through.judge_promise(
                    entry, result.scenario.persona, day_s, self.args.grace_days, now
                )
                if one is None:
                    continue
                one.session_id = result.session_id
                if one.broken and not one.recovered:
                    one.packet = await self._packet(result)
                judged.append(one)
        personas = sorted({j.persona for j in judged}, key=PERSONAS.index)
        return {
            "trait": self.args.followup,
            "day_seconds": day_s,
            "grace_days": self.args.grace_days,
            **follow_through.figures(judged),
            "per_persona": {
                p: follow_through.figures([j for j in judged if j.persona == p]) for p in personas
            },
            "fleet_counted": await self.promise_counts(),
        }

    async def _packet(self, result: Result) -> bool:
        """Whether the customer can download the case's dispute packet (a PDF)."""
        path = f"/v1/sessions/{result.session_id}/dispute-packet"
        headers = {"Authorization": f"Bearer {result.token}", "Accept": "application/pdf"}
        response = await self._request(self.http, "GET", path, headers=headers)
        return bool(response is not None and response.status_code == 200
                    and response.content.startswith(b"%PDF"))  # fmt: skip

    async def promise_counts(self) -> dict[str, float]:
        """The coordinator's own count of promises by result (csn_promises_total)."""
        try:
            text = (await self.http.get(self.urls["coordinator_agent"] + "/metrics")).text
        except httpx.HTTPError:
            return {}
        counts: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            if family.name == "csn_promises":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        counts[sample.labels["result"]] = sample.value
        return counts

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

    async def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds each service's process has used (`process_cpu_seconds_total`), and ours."""
        used = {"bench": time.process_time()}
        for service, urls in self.instances.items():
            for url in urls:  # every instance of a replicated service, summed
                try:
                    text = (await self.http.get(url + "/metrics")).text
                except httpx.HTTPError:
                    continue
                for family in text_string_to_metric_families(text):
                    if family.name == "process_cpu_seconds":
                        seconds = sum(sample.value for sample in family.samples)
                        used[service] = used.get(service, 0.0) + seconds
        return used

    async def chaos(self, stop: asyncio.Event) -> None:
        """Kill a random agent instance (coordinators included: each of several) every few
        seconds; count the heals."""
        rng = random.Random(self.args.seed)
        targets = [
            (service, url) for service in CHAOS_TARGETS for url in self.instances.get(service, [])
        ]
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.args.chaos_interval_s)
                return
            except TimeoutError:
                pass
            service, url = rng.choice(targets)
            if await self._kill_and_wait(service, url):
                self.restarts += 1

    async def _kill_and_wait(self, service: str, url: str) -> bool:
        try:
            pid = (await self.http.get(url + "/healthz")).json()["pid"]
        except (httpx.HTTPError, KeyError, ValueError):
            return False
        os.kill(pid, signal.SIGKILL)
        self.kills.append((time.time(), service))
        deadline = time.monotonic() + 30  # a coordinator restarting on a loaded machine
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            try:
                if (await self.http.get(url + "/healthz")).json().get("pid") != pid:
                    return True
            except (httpx.HTTPError, ValueError):
                continue
        return False


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every scenario (persona by persona), judge them from the desk's ledger, summarize."""
    async with httpx.AsyncClient(timeout=60) as http:
        bench = Bench(args, http)
        await bench.reset_cs()
        await bench.sign_in_customers()
        scenarios = generate(await bench.orders(), args.sessions, args.seed, args.persona)
        before = await bench.a2a_counts()
        cpu_before = await bench.cpu_seconds()
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
        wall_s = time.perf_counter() - started
        cpu_after = await bench.cpu_seconds()
        after = await bench.a2a_counts()
        agreements = await bench.ledger()
        await bench.check_entitlements(results)
        await bench.count_exchanges(results)
        unattributed = judge(results, agreements) if agreements is not None else []
        if agreements is not None:
            bench.check_compliance(results)
        follow = (
            await bench.judge_follow_through(results, agreements)
            if args.follow_through and agreements is not None
            else None
        )
    report = summarize(results, args, wall_s, before, after)
    if follow is not None:
        report["follow_through"] = follow
    if agreements is None:  # nothing to judge with: say so rather than report zeros
        for figures in (report, *report["per_persona"].values()):
            figures.update(dict.fromkeys(LEDGER_FIGURES))
    report["ledger_available"] = agreements is not None
    report["ledger_grants"] = len(agreements) if agreements is not None else None
    report["unattributed_grants"] = unattributed
    if agreements is not None:
        report["misreads"] += len(unattributed)  # bookings no case reports
    report["restarts"] = bench.restarts
    report["kills"] = _count(service for _, service in bench.kills)
    report["takeover"] = takeover_figures(results, bench.kills)
    report["throttled"] = bench.throttled
    report["keys_sent_twice"] = bench.key_conflicts  # the desk's count; None: it keeps none
    report["cpu_s_per_case"] = _cpu_per_case(cpu_before, cpu_after, len(results), args.chaos)
    return report


def _cpu_per_case(
    before: dict[str, float], after: dict[str, float], cases: int, chaos: bool
) -> dict[str, float] | None:
    """CPU seconds per case of each process (a restarted one under chaos cannot be counted)."""
    if chaos or not cases:
        return None
    used = {name: after[name] - before[name] for name in after if name in before}
    return {name: round(seconds / cases, 4) for name, seconds in used.items()}


def fleet_instances(args: argparse.Namespace) -> dict[str, list[str]]:
    """Each service's instance URLs from `csn up`'s fleet file (`<var dir>/fleet.json`), when
    it describes the fleet under test (its coordinator address is the one benchmarked)."""
    path = Path(args.fleet_file) if args.fleet_file else ServiceSettings().var_dir / "fleet.json"
    try:
        services = json.loads(path.read_text())["services"]
        if services["coordinator_agent"]["url"] != args.coordinator.rstrip("/"):
            return {}
        return {name: [str(u) for u in entry["instances"]] for name, entry in services.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _takeover(event: dict[str, Any]) -> tuple[float, float]:
    """When a case was taken over, and how long its previous coordinator had been silent."""
    at = datetime.fromisoformat(str(event.get("at"))).timestamp()
    return at, float((event.get("detail") or {}).get("after_s") or 0.0)


def takeover_figures(results: list[Result], kills: list[tuple[float, str]]) -> dict[str, Any]:
    """How soon a killed coordinator's cases were resumed by another instance: from the kill
    (the bench's clock) to the case's taken_over event (the coordinator's, same machine)."""
    killed = sorted(at for at, service in kills if service == "coordinator_agent")
    latencies, silent = [], []
    for result in results:
        for at, after_s in result.takeovers:
            before = [k for k in killed if k <= at]
            if before:
                latencies.append(at - before[-1])
            silent.append(after_s)
    latencies.sort()
    return {
        "coordinator_kills": len(killed),
        "cases_taken_over": len(silent),
        "within_s": limits.TAKEOVER_WITHIN_S,
        "resumed_within": sum(s <= limits.TAKEOVER_WITHIN_S for s in latencies),
        "latency_p50_s": _percentile(latencies, 50),
        "latency_max_s": round(latencies[-1], 2) if latencies else None,
        "owner_silent_max_s": max(silent) if silent else None,
    }


def judge(results: list[Result], agreements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge each case from the desk's ledger; return the grants no case accounts for.

    A case's grants are those booked on its CS contact; it is resolved as asked, and its
    value counted, only with grants on the customer's own order.
    """
    ledger = by_contact(agreements)
    claimed: set[str] = set()
    for result in results:
        if result.contact_id:
            claimed.add(result.contact_id)
        scenario = result.scenario
        found = verdict(
            grants_of(ledger, result.contact_id),
            scenario.order_id,
            scenario.desired_outcome,
            result.item_value,
            result.reported_offer,
            result.state in AGREED,
        )
        result.grants, result.as_asked = found.grants, found.as_asked
        result.obtained_value, result.misread = found.value, found.misread
    return [dict(g) for g in agreements if str(g.get("contact_id")) not in claimed]


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
        "channel": args.channel,
        "wording": args.wording,
        "chaos": bool(args.chaos),
        "wall_s": round(wall_s, 2),
        "cases_per_s": round(len(results) / wall_s, 2) if wall_s else None,
        **_figures(results),
        "a2a_success_rate": _a2a_success(before, after),
        "states": _count(r.state for r in results),
        "per_persona": {
            persona: _figures([r for r in results if r.scenario.persona == persona])
            for persona in PERSONAS
            if any(r.scenario.persona == persona for r in results)
        },
    }
    report["misread_cases"] = [
        {**_case(r), **r.misread.as_json()} for r in results if r.misread is not None
    ]
    report["failures"] = [
        {
            **_case(r),
            "state": r.state,
            "as_asked": r.as_asked,
            "compliant": r.compliant,
            "reported": r.reported_offer,
            "ledger": r.grants,
            "notes": r.notes,
        }
        for r in results
        if r.lost or False in r.compliant or (r.askable and not r.as_asked)
    ][: args.max_failures]
    return report


def _case(result: Result) -> dict[str, Any]:
    scenario = result.scenario
    return {
        "session_id": result.session_id,
        "index": scenario.index,
        "persona": scenario.persona,
        "problem": scenario.problem_type,
        "wanted": scenario.desired_outcome,
        "order_id": scenario.order_id,
        "contact_id": result.contact_id,
    }


def _figures(results: list[Result]) -> dict[str, Any]:
    entitled = [r for r in results if r.entitled]
    askable = [r for r in results if r.askable]
    judged = [c for r in results for c in r.compliant if c is not None]
    negotiated = [r for r in results if r.cs_exchanges]
    times = sorted(r.seconds for r in results if r.state in TERMINAL)
    entitled_value = sum(r.entitled_value for r in entitled)
    return {
        "sessions": len(results),
        "entitled": len(entitled),
        "entitled_as_asked": len(askable),
        "resolved_as_asked": _ratio(sum(r.as_asked for r in askable), len(askable)),
        "value_obtained": _ratio(sum(r.obtained_value for r in entitled), entitled_value),
        "compliance": _ratio(sum(judged), len(judged)),
        "compliance_judged": len(judged),
        "grants": sum(len(r.grants) for r in results),
        "misreads": sum(r.misread is not None for r in results),
        "reported_resolution_rate": _ratio(sum(r.state in AGREED for r in entitled), len(entitled)),
        "mean_cs_exchanges": round(statistics.fmean(r.cs_exchanges for r in negotiated), 2)
        if negotiated
        else 0.0,
        "escalation_rate": _ratio(sum(r.state == "escalated" for r in results), len(results)),
        "e2e_p50_s": _percentile(times, 50),
        "e2e_p95_s": _percentile(times, 95),
        "lost_sessions": sum(r.lost for r in results),
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
        "entitled_as_asked",
        "misreads",
        "resolved_as_asked",
        "value_obtained",
        "compliance",
        "compliance_judged",
        "grants",
        "reported_resolution_rate",
        "mean_cs_exchanges",
        "escalation_rate",
        "e2e_p50_s",
        "e2e_p95_s",
        "lost_sessions",
    )
    table = Table(
        title=f"csn bench: {report['sessions']} sessions, concurrency {report['concurrency']}, "
        f"seed {report['seed']}, {report['channel']} channel"
        f"{', chaos' if report['chaos'] else ''}"
    )
    table.add_column("figure", no_wrap=True, min_width=len("reported_resolution_rate"))
    table.add_column("all", justify="right")
    for persona in report["per_persona"]:
        table.add_column(persona, justify="right")
    for row in rows:
        cells = [_cell(report.get(row))]
        cells += [_cell(figures.get(row)) for figures in report["per_persona"].values()]
        table.add_row(row, *cells)
    console.print(table)
    if not report["ledger_available"]:
        console.print("the CS desk keeps no ledger: outcomes were not judged")
    else:
        console.print(
            f"judged from the desk's ledger: {report['ledger_grants']} grants, "
            f"compliance judged on {report['compliance_judged']}; misreads "
            f"{report['misreads']} ({len(report['unattributed_grants'])} grants no case reports)"
        )
    if report.get("follow_through"):
        print_follow_through(report["follow_through"], console)
    console.print(
        f"a2a_success_rate {report['a2a_success_rate']}  lost_sessions {report['lost_sessions']}  "
        f"restarts {report['restarts']}  throttled {report.get('throttled')}  "
        f"keys sent twice {report['keys_sent_twice']}  "
        f"wall {report['wall_s']} s  states {report['states']}"
    )
    takeover = report.get("takeover") or {}
    if report["chaos"]:
        console.print(
            f"kills {report.get('kills')}  cases taken over {takeover.get('cases_taken_over')} "
            f"(resumed within {takeover.get('within_s')} s: {takeover.get('resumed_within')})  "
            f"takeover latency p50 {takeover.get('latency_p50_s')} s, "
            f"max {takeover.get('latency_max_s')} s"
        )
    cpu = report.get("cpu_s_per_case") or {}
    console.print(
        f"cases_per_s {report['cases_per_s']}  cpu_s_per_case "
        + "  ".join(f"{name} {seconds}" for name, seconds in cpu.items())
    )


def print_follow_through(follow: dict[str, Any], console: Console) -> None:
    """The follow-through table: promises kept, broken, detected, recovered, per persona."""
    table = Table(
        title=f"follow-through (judged from the desk's ledger): trait {follow['trait']}, "
        f"day {follow['day_seconds']} s, grace {follow['grace_days']} days"
    )
    table.add_column("figure", no_wrap=True, min_width=len("max_detection_delay_days"))
    table.add_column("all", justify="right")
    for persona in follow["per_persona"]:
        table.add_column(persona, justify="right")
    for row in follow_through.FIGURES:
        cells = [_cell(follow.get(row))]
        cells += [_cell(f.get(row)) for f in follow["per_persona"].values()]
        table.add_row(row, *cells)
    console.print(table)
    console.print(f"as the fleet counts them (csn_promises_total): {follow['fleet_counted']}")


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="csn bench", description=__doc__)
    p.add_argument("--coordinator", default="http://127.0.0.1:9000")
    p.add_argument("--context", default="http://127.0.0.1:9001")
    p.add_argument("--negotiation", default="http://127.0.0.1:9002")
    p.add_argument("--cs", default="http://127.0.0.1:9003")
    p.add_argument(
        "--base-port", type=int, default=None, help="a fleet started with `csn up --base-port N`"
    )
    p.add_argument("--sessions", type=int, default=40)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--persona", default="mix", choices=("mix", *PERSONAS))
    p.add_argument(
        "--channel",
        default="structured",
        choices=("structured", "text"),
        help="how the CS desk talks: structured offers, or plain text only",
    )
    p.add_argument(
        "--wording",
        default="first",
        choices=[book.value for book in Wording],
        help="whose words the desk speaks on the text channel (phrase books written apart)",
    )
    p.add_argument("--error-rate", type=float, default=0.0, help="CS fault injection: 5xx share")
    p.add_argument(
        "--timeout-rate", type=float, default=0.0, help="CS fault injection: timeouts share"
    )
    p.add_argument("--latency-ms", type=int, default=0, help="CS fault injection: added latency")
    p.add_argument("--chaos", action="store_true", help="kill random agents during the run")
    p.add_argument("--chaos-interval-s", type=float, default=4.0)
    p.add_argument(
        "--fleet-file",
        default=None,
        help="where `csn up` wrote the fleet's instances (default: <CSN_VAR_DIR>/fleet.json); "
        "--chaos kills each instance of a replicated service by it",
    )
    p.add_argument("--case-timeout-s", type=float, default=300.0)
    p.add_argument(
        "--follow-through",
        action="store_true",
        help="follow every case past the agreement until CS kept its word or the ladder ended "
        "(run the fleet with a small CSN_DAY_SECONDS, and set the same here)",
    )
    p.add_argument(
        "--followup",
        default="forgetful",
        choices=("reliable", "slow", "forgetful"),
        help="the CS desk's follow-up trait for --follow-through",
    )
    p.add_argument(
        "--grace-days",
        type=float,
        default=limits.PROMISE_GRACE_DAYS,
        help="the coordinator's CSN_PROMISE_GRACE_DAYS, to judge when a promise broke",
    )
    p.add_argument("--json", default=None, help="write the figures to this file")
    p.add_argument("--max-failures", type=int, default=50, help="failed cases listed in the JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `csn bench`."""
    args = parser().parse_args(argv)
    if args.base_port is not None:
        for offset, name in enumerate(("coordinator", "context", "negotiation", "cs")):
            setattr(args, name, f"http://127.0.0.1:{args.base_port + offset}")
    console = Console(stderr=True)
    report = asyncio.run(run(args))
    print_report(report, console)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
    return 0 if report["lost_sessions"] == 0 else 1
