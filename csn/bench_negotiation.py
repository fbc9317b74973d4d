"""Negotiation benchmark: our Boulware negotiator against baselines on seeded mock-CS scenarios.

The fleet's side runs in-process as the coordinator would drive it: the context agent's
policy index gives the entitlement the negotiation agent plans from and validates against.
The mock CS desk runs in-process too (httpx.ASGITransport), reset and re-seeded before each
run, so every (scenario, negotiator) pair meets the same CS agent.

Every run is judged from the other side of the table, with the desk's own records (see
csn.desk_records): what the retailer owes the order for its real problem (its terms), what
it granted on the run's contact (its ledger), what it offered and how many of our messages
it answered (its transcript). Nothing the fleet computes judges the fleet; a run whose
account of the deal differs from the ledger is a misread.

    csn bench-negotiation --count 40 --seed 7 --personas cooperative,adversarial [--channel text]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from tenacity import wait_none

from coordinator_agent.case import product_titles
from csn.desk_records import DeskRecords
from csn.ledger import Misread, Owed, by_contact, exchanges, grants_of, verdict
from csn.scenarios import details, evidence_photo, generate, item_name
from mock_cs_service.wording import Wording
from negotiation_agent.dialogue import (
    CSDesk,
    CSReply,
    Decision,
    NegotiationState,
    PendingMessage,
    Photo,
    decide,
    same_terms,
)
from negotiation_agent.skills import (
    Analysis,
    NegotiateInput,
    Negotiation,
    PlanInput,
    RoundResult,
    Validation,
    plan,
)
from negotiation_agent.strategy import HARD_MAX_ROUNDS, Lookup, Strategy
from shared.domain import Offer, OfferType, Order
from shared.valuation import offer_value

NEGOTIATORS = ("boulware", "linear", "accept_first")
CS_BASE = "http://cs.bench"
MAX_CALLS = HARD_MAX_ROUNDS + 5
RESUMES = 2  # how often a run resumes from its checkpoint after CS stayed down
ANSWERS = 3  # how often the customer answers CS's requests for details in one run


@dataclass
class RunResult:
    """One negotiator against one scenario."""

    negotiator: str
    persona: str
    scenario: int
    status: str
    as_asked: bool  # the desk granted the kind the customer asked for
    in_full: bool  # the desk granted the whole worth of what its terms say it owes
    exchanges: int  # our messages the desk answered until it agreed (its transcript)
    share: float  # the grants' worth over what the desk owes
    floor_violation: bool  # the desk booked less than our own floor
    entitlement_violation: bool  # we asked for more than the desk owes
    misread: Misread | None = None  # our account of the deal differs from the desk's ledger


class LocalValidator:
    """validate_solution answered by the context agent's policy index, in-process (bench only)."""

    def __init__(self, index: Any, facts: Any) -> None:
        self._index = index
        self._facts = facts

    async def validate(
        self,
        order_id: str,
        problem_type: str,
        offer: Offer,
        customer_id: str | None,
        source: str = "ask",
    ) -> Validation:
        """The same check the context agent's skill runs."""
        result = self._index.validate(self._facts, offer, source)
        return Validation.model_validate(result.model_dump())


class RecordingDesk(CSDesk):
    """The CS desk client, keeping every message it sent (to audit the asks)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[PendingMessage] = []

    async def send(
        self, contact_id: str, key: str, message: PendingMessage, photos: Sequence[Photo] = ()
    ) -> object:
        """Record, then send."""
        self.sent.append(message)
        return await super().send(contact_id, key, message, photos)


def accept_first(
    strategy: Strategy, state: NegotiationState, reply: CSReply, *, round_no: int, elapsed_s: float
) -> Decision:
    """Baseline: take the first real offer CS makes."""
    if reply.offer is not None and OfferType(reply.offer.type) not in (
        OfferType.NONE,
        OfferType.RETURN_LABEL,
    ):
        return Decision(kind="accept", reason="baseline: first offer")
    return decide(strategy, state, reply, round_no=round_no, elapsed_s=elapsed_s)


@dataclass
class Bench:
    """The in-process fleet and desk the runs share."""

    http: httpx.AsyncClient
    index: Any  # the context agent's policy index: the fleet's reading of policy, to plan with
    beta: float
    max_rounds: int
    error_rate: float
    channel: str = "structured"
    wording: str = "first"

    @property
    def desk(self) -> DeskRecords:
        """The desk's records: the judge."""
        return DeskRecords(self.http, CS_BASE)

    async def configure(self, persona: str, seed: int) -> None:
        """Reset the desk (its contacts and its ledger) and seed it for one run."""
        config = {"persona": persona, "seed": seed, "error_rate": self.error_rate, "latency_ms": 0}
        config["channel"] = self.channel
        if self.wording != "first":
            config["wording"] = self.wording
        response = await self.desk.admin_request("PUT", "/v1/admin/config", json=config)
        if response.status_code == 422 and config["channel"] == "structured":
            del config["channel"]  # a desk without channels only speaks structured
            response = await self.desk.admin_request("PUT", "/v1/admin/config", json=config)
        response.raise_for_status()
        (await self.desk.admin_request("POST", "/v1/admin/reset")).raise_for_status()

    async def records(self, contact_id: str | None) -> tuple[list[Any], dict[str, Any]]:
        """The desk's grants on a contact (its ledger) and the contact's transcript."""
        if contact_id is None:
            return [], {}
        ledger = await self.desk.ledger()
        agreements = ledger["agreements"] if ledger is not None else []
        transcript = await self.desk.transcript(contact_id)
        return grants_of(by_contact(agreements), contact_id), transcript or {}

    def settings(self, negotiator: str) -> SimpleNamespace:
        """The planner's knobs for one negotiator (linear is Boulware with beta 1)."""
        beta = 1.0 if negotiator == "linear" else self.beta
        return SimpleNamespace(
            negotiation_beta=beta,
            negotiation_max_rounds=self.max_rounds,
            negotiation_deadline_s=1800,
            negotiation_floor_share=0.8,
        )


@dataclass
class Plan:
    """The fleet's plan for a case: its policy check and its reference (Boulware) strategy."""

    validator: LocalValidator
    plan_input: PlanInput
    reference: Strategy


@dataclass
class Case:
    """One scenario: the order, what the desk owes it, and the fleet's plan (None when the
    fleet finds no entitlement the desk grants, or hands the case to a human)."""

    data: dict[str, Any]
    order: Order
    owed: Owed
    plan: Plan | None


async def prepare(bench: Bench, data: dict[str, Any]) -> Case | None:
    """What the desk owes the case (None when it owes nothing) and the fleet's plan for it."""
    owed = await bench.desk.owed(data["order"]["order_id"], data["problem"])
    if owed is None or not owed.entitled:
        return None
    order = Order.model_validate(data["order"])
    return Case(data, order, owed, await plan_case(bench, order, data))


async def plan_case(bench: Bench, order: Order, data: dict[str, Any]) -> Plan | None:
    """The fleet's entitlement and reference plan, from its own reading of the policies."""
    from context_agent.policies import case_facts

    facts = case_facts(
        order, data["problem"], data["desired"], date.today(), prime=data["order"].get("prime")
    )
    lookup = bench.index.lookup(facts)
    if not lookup.entitlement.entitled or lookup.entitlement.needs_human:
        return None
    validator = LocalValidator(bench.index, facts)
    analysis = Analysis(
        customer_id=order.customer_id,
        order_id=order.order_id,
        problem_type=data["problem"],
        desired_outcome=data["desired"],
    )
    plan_input = PlanInput(
        analysis=analysis, lookup=Lookup.model_validate(lookup.model_dump(mode="json"))
    )
    reference = await plan(plan_input, bench.settings("boulware"), validator)
    return Plan(validator, plan_input, reference)


async def run_one(bench: Bench, case: Case, negotiator: str, persona: str, seed: int) -> RunResult:
    """One negotiation from plan to accepted (or not), judged by the desk's records."""
    if case.plan is None:  # the desk owes the case a remedy the fleet does not see
        return unplanned(negotiator, persona, case)
    strategy = await plan(case.plan.plan_input, bench.settings(negotiator), case.plan.validator)
    await bench.configure(persona, seed)
    desk = RecordingDesk(bench.http, CS_BASE, timeout_s=5, max_attempts=3, wait=wait_none())
    decider = accept_first if negotiator == "accept_first" else decide
    result = await negotiate_case(
        desk, case.plan.validator, strategy, case.order, case.data, decider
    )
    grants, transcript = await bench.records(result.state.contact_id)
    return score_run(
        negotiator, persona, case.data, case.owed, case.plan.reference, desk.sent, result,
        grants, transcript,
    )  # fmt: skip


def unplanned(negotiator: str, persona: str, case: Case) -> RunResult:
    """A case the desk owes a remedy and the fleet declines to negotiate: nothing obtained."""
    return RunResult(
        negotiator=negotiator, persona=persona, scenario=case.data["index"],
        status="not_planned", as_asked=False, in_full=False, exchanges=0, share=0.0,
        floor_violation=False, entitlement_violation=False,
    )  # fmt: skip


async def negotiate_case(
    desk: CSDesk,
    validator: LocalValidator,
    strategy: Strategy,
    order: Order,
    case: dict[str, Any],
    decider: Any,
) -> RoundResult:
    """Call negotiate round by round like the coordinator, then accept an agreement."""
    base = {
        "session_id": f"bench-{case['index']}",
        "attempt": 1,
        "customer_id": order.customer_id,
        "order_id": order.order_id,
        "problem_type": case["problem"],
        "strategy": strategy.model_dump(mode="json"),
        "case": {  # what the coordinator tells the agent about the case
            "description": case.get("message", "")[:600],
            "order_date": case["order"].get("order_date"),
            "delivered_date": case["order"].get("delivered_date"),
            "item": item_name(case["order"]),
            "items": product_titles(case["order"]),
        },
    }
    state: dict[str, Any] | None = None
    result: RoundResult | None = None
    resumes, answers = RESUMES, ANSWERS
    customer_input: str | None = None
    photos: list[Photo] = []  # the customer's, once CS asked for them
    for _ in range(MAX_CALLS):
        action = "accept" if result is not None and _status(result) == "agreement" else "continue"
        call = {
            **base, "state": state, "action": action, "customer_input": customer_input,
            "photos_available": len(photos),
        }  # fmt: skip
        inp = NegotiateInput.model_validate(call)
        sent = photos if result is not None and result.needs_photos else []  # as the coordinator
        result = await Negotiation(inp, desk, validator, time.time(), decider, photos=sent).run()  # type: ignore[arg-type]
        if _status(result) == "cs_unavailable" and resumes:
            resumes -= 1  # "try again later": resume from the checkpoint, same idempotency keys
            continue
        state = result.state.model_dump(mode="json")
        if result.round is not None:
            customer_input = None  # passed on to CS
        if action == "continue" and _status(result) == "agreement":
            continue  # the customer approves; the next call accepts
        if _status(result) == "needs_input" and answers:
            answers -= 1  # CS wants what only the customer has: the customer answers
            customer_input = details(order.order_id, case["problem"], item_name(case["order"]))
            if result.needs_photos and not photos:  # ... and takes the photo CS asked for
                jpeg = evidence_photo(len(case.get("message", "")))
                photos = [Photo(filename="photo-1.jpg", content_type="image/jpeg", data=jpeg)]
            continue
        if result.done:
            break
    assert result is not None
    return result


def _status(result: RoundResult) -> str | None:
    return result.outcome.status if result.outcome is not None else None


def score_run(
    negotiator: str,
    persona: str,
    case: dict[str, Any],
    owed: Owed,
    reference: Strategy,
    sent: Sequence[PendingMessage],
    result: RoundResult,
    grants: Sequence[Any],
    transcript: dict[str, Any],
) -> RunResult:
    """Judge one run by the desk's records: its `grants` on the run's contact against what it
    `owed` the case, and its `transcript` (the offers it made, the messages it answered).

    Our own `reference` strategy only gives our floor; a message of ours (`sent`) restating
    terms the desk itself offered asks for nothing new.
    """
    outcome = result.outcome
    accepted = outcome is not None and outcome.status == "accepted" and outcome.offer is not None
    ours = outcome.offer.model_dump(mode="json") if accepted and outcome and outcome.offer else None
    found = verdict(
        grants, case["order"]["order_id"], case["desired"], owed.item_value, ours, accepted
    )
    offered = desk_offers(transcript)
    asks = [
        m.ask for m in sent if m.ask is not None and not any(same_terms(m.ask, o) for o in offered)
    ]
    over_asked = any(offer_value(a, owed.item_value) > owed.value + 0.01 for a in asks)
    worth = owed.worth(case["desired"])
    booked = any(g.get("order_id") == case["order"]["order_id"] for g in grants)
    return RunResult(
        negotiator=negotiator,
        persona=persona,
        scenario=case["index"],
        status=outcome.status if outcome is not None else "none",
        as_asked=found.as_asked,
        in_full=booked and found.value >= worth - 0.01,
        exchanges=exchanges(transcript, until=_booking(grants)),
        share=round(found.value / worth, 4) if worth else 0.0,
        floor_violation=booked and found.value < reference.floor.amount - 0.01,
        entitlement_violation=over_asked,
        misread=found.misread,
    )


def desk_offers(transcript: dict[str, Any]) -> list[Offer]:
    """The offers the desk's transcript records it made."""
    made = [m.get("offer") for m in transcript.get("messages") or () if m.get("role") == "agent"]
    return [Offer.model_validate(o) for o in made if isinstance(o, dict)]


def _booking(grants: Sequence[Any]) -> str | None:
    """The desk's message that booked the first grant (exchanges are counted until it)."""
    return next((str(g["message_id"]) for g in grants if g.get("message_id")), None)


def summarize(results: list[RunResult]) -> list[dict[str, Any]]:
    """One row per (persona, negotiator)."""
    rows = []
    keys = sorted(
        {(r.persona, r.negotiator) for r in results}, key=lambda k: (k[0], NEGOTIATORS.index(k[1]))
    )
    for persona, negotiator in keys:
        runs = [r for r in results if r.persona == persona and r.negotiator == negotiator]
        rows.append(
            {
                "persona": persona,
                "negotiator": negotiator,
                "cases": len(runs),
                "resolved_as_asked": round(sum(r.as_asked for r in runs) / len(runs), 3),
                "in_full": round(sum(r.in_full for r in runs) / len(runs), 3),
                "agreed": round(sum(r.status == "accepted" for r in runs) / len(runs), 3),
                "not_planned": sum(r.status == "not_planned" for r in runs),
                "mean_exchanges": round(statistics.fmean(r.exchanges for r in runs), 2),
                "value_share": round(statistics.fmean(r.share for r in runs), 3),
                "floor_violations": sum(r.floor_violation for r in runs),
                "entitlement_violations": sum(r.entitlement_violation for r in runs),
                "misreads": sum(r.misread is not None for r in runs),
            }
        )
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    """A plain text table."""
    header = f"{'persona':<24}{'negotiator':<14}{'cases':>6}{'as asked':>10}{'in full':>9}"
    header += f"{'agreed':>8}"
    header += f"{'exchanges':>11}{'value':>8}{'floor viol.':>13}{'entitl. viol.':>15}"
    header += f"{'misreads':>10}{'not planned':>13}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['persona']:<24}{r['negotiator']:<14}{r['cases']:>6}{r['resolved_as_asked']:>10.0%}"
            f"{r['in_full']:>9.0%}{r['agreed']:>8.0%}{r['mean_exchanges']:>11.2f}{r['value_share']:>8.0%}"
            f"{r['floor_violations']:>13}{r['entitlement_violations']:>15}{r['misreads']:>10}"
            f"{r['not_planned']:>13}"
        )
    return "\n".join(lines)


def quality_bar(rows: list[dict[str, Any]]) -> list[str]:
    """Where our negotiator misses the issue's quality bar."""
    misses = []
    for r in (r for r in rows if r["negotiator"] == "boulware"):
        if r["floor_violations"] or r["entitlement_violations"]:
            misses.append(f"{r['persona']}: floor/entitlement violations")
        if r["misreads"]:
            misses.append(f"{r['persona']}: {r['misreads']} deals misread (ledger differs)")
        if r["persona"] == "cooperative" and (r["in_full"] < 1 or r["mean_exchanges"] > 2):
            misses.append("cooperative: not every case granted in full in 1-2 exchanges")
        if r["persona"] == "adversarial" and (r["in_full"] < 0.9 or r["mean_exchanges"] >= 4):
            misses.append("adversarial: below 90% granted in full or 4+ exchanges")
    return misses


def _policy_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("CSN_POLICY_DIR")
    if env:
        return Path(env)
    local = Path("policies")
    return local if local.is_dir() else Path(__file__).resolve().parents[1] / "policies"


async def load_cases(
    http: httpx.AsyncClient, data_file: Path, count: int, seed: int
) -> list[dict[str, Any]]:
    """Seeded scenarios over the order system's orders (dates resolved by the mock)."""
    data = json.loads(await asyncio.to_thread(data_file.read_text))
    orders: list[dict[str, Any]] = []
    for customer in sorted({c["customer_id"] for c in data["customers"]}):
        response = await http.get(f"/v1/customers/{customer}/orders")
        if response.status_code == 200:
            orders.extend(response.json()["orders"])
    by_id = {o["order_id"]: o for o in orders}
    scenarios = generate(orders, count, seed, persona="cooperative")
    return [
        {
            "index": s.index,
            "order": by_id[s.order_id],
            "problem": s.problem_type,
            "desired": s.desired_outcome,
            "message": s.message,
        }
        for s in scenarios
    ]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark."""
    from context_agent.policies import PolicyIndex, load_policies
    from mock_cs_service.app import create_app as create_mock
    from mock_cs_service.config import Settings as MockSettings
    from mock_cs_service.orders import DEFAULT_DATA

    policy_dir = _policy_dir(args.policy_dir)
    data_file = Path(args.data or os.environ.get("CSN_MOCK_DATA") or DEFAULT_DATA)
    with tempfile.TemporaryDirectory() as var_dir:
        mock = create_mock(
            MockSettings(
                var_dir=Path(var_dir), mock_data=data_file, policy_dir=policy_dir, log_level="ERROR"
            )
        )
        transport = httpx.ASGITransport(app=mock)
        async with httpx.AsyncClient(transport=transport, base_url=CS_BASE) as http:
            bench = Bench(
                http,
                PolicyIndex(load_policies(policy_dir)),
                args.beta,
                args.max_rounds,
                args.error_rate,
                args.channel,
                args.wording,
            )
            cases = await load_cases(http, data_file, args.count, args.seed)
            results, skipped = await run_all(bench, cases, args)
    rows = summarize(results)
    return {
        "seed": args.seed,
        "channel": args.channel,
        "wording": args.wording,
        "scenarios": len(cases),
        "not_entitled_skipped": skipped,
        "rows": rows,
        "quality_bar_misses": quality_bar(rows),
        "misread_runs": [_misread_run(r, r.misread) for r in results if r.misread is not None],
        "runs": [_run_json(r) for r in results] if args.runs else None,
    }


def _run_json(run: RunResult) -> dict[str, Any]:
    fields = asdict(run)
    fields["misread"] = run.misread.as_json() if run.misread is not None else None
    return fields


def _misread_run(run: RunResult, found: Misread) -> dict[str, Any]:
    who = {"persona": run.persona, "negotiator": run.negotiator, "scenario": run.scenario}
    return {**who, **found.as_json()}


async def run_all(
    bench: Bench, cases: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[list[RunResult], int]:
    """Every persona x case x negotiator."""
    results: list[RunResult] = []
    prepared = [await prepare(bench, data) for data in cases]
    entitled = [case for case in prepared if case is not None]
    for persona in args.personas.split(","):
        for case in entitled:
            seed = args.seed * 1000 + case.data["index"]
            for negotiator in NEGOTIATORS:
                results.append(await run_one(bench, case, negotiator, persona.strip(), seed))
    skipped = len(prepared) - len(entitled)
    return results, skipped


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csn bench-negotiation", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--count", type=int, default=40, help="scenarios per persona")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--personas", default="cooperative,adversarial")
    parser.add_argument("--beta", type=float, default=0.3, help="our Boulware beta")
    parser.add_argument("--max-rounds", type=int, default=8)
    parser.add_argument("--error-rate", type=float, default=0.0, help="CS 503 rate (retried)")
    parser.add_argument(
        "--channel",
        default="structured",
        choices=("structured", "text"),
        help="how the CS desk talks: structured offers, or plain text only",
    )
    parser.add_argument(
        "--wording",
        default="first",
        choices=[book.value for book in Wording],
        help="whose words the desk speaks on the text channel (phrase books written apart)",
    )
    parser.add_argument("--policy-dir", default=None)
    parser.add_argument("--data", default=None, help="mock order data (JSON)")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.add_argument("--runs", action="store_true", help="include every run in the JSON report")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the quality bar is missed"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point (`csn bench-negotiation`)."""
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    report = asyncio.run(run(args))
    report["seconds"] = round(time.perf_counter() - started, 2)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render(report["rows"]))
        print(
            f"\n{report['scenarios']} scenarios (seed {args.seed}), "
            f"{report['not_entitled_skipped']} the desk owes nothing, skipped; "
            f"{report['seconds']} s."
        )
        for miss in report["quality_bar_misses"]:
            print(f"quality bar missed: {miss}", file=sys.stderr)
    return 1 if args.check and report["quality_bar_misses"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
