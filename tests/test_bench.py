"""`csn bench`: judged from the desk's ledger; against a real fleet it reports every figure,
finds no misread on the structured channel, and a seed reproduces it."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from csn import bench
from csn.scenarios import ID_STYLES, PROBLEM_PHRASES, Scenario, generate, problems_for
from tests.fleet import REPO, running_fleet

FIGURES = (
    "sessions",
    "concurrency",
    "channel",
    "resolved_as_asked",
    "value_obtained",
    "compliance",
    "compliance_judged",
    "grants",
    "misreads",
    "misread_cases",
    "unattributed_grants",
    "ledger_available",
    "ledger_grants",
    "reported_resolution_rate",
    "mean_cs_exchanges",
    "escalation_rate",
    "e2e_p50_s",
    "e2e_p95_s",
    "a2a_success_rate",
    "lost_sessions",
    "restarts",
    "per_persona",
)


def run_bench(fleet, out, seed: int) -> dict:
    urls = [
        f"--{flag}={fleet.url(name)}"
        for flag, name in (
            ("coordinator", "coordinator_agent"),
            ("context", "context_agent"),
            ("negotiation", "negotiation_agent"),
            ("cs", "mock_cs_service"),
        )
    ]
    command = [
        sys.executable,
        "-m",
        "csn",
        "bench",
        *urls,
        "--sessions",
        "12",
        "--concurrency",
        "4",
        "--seed",
        str(seed),
        "--json",
        str(out),
    ]
    done = subprocess.run(
        command, env=fleet.env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "resolved_as_asked" in done.stderr and "misreads" in done.stderr  # the summary
    return json.loads(out.read_text())


@pytest.mark.integration
def test_bench_reports_every_figure_and_a_seed_reproduces_them(tmp_path):
    with running_fleet(tmp_path / "fleet") as fleet:
        first = run_bench(fleet, tmp_path / "a.json", seed=3)
        second = run_bench(fleet, tmp_path / "b.json", seed=3)
    assert set(FIGURES) <= set(first)
    assert first["sessions"] == 12 and first["lost_sessions"] == 0
    assert first["ledger_available"] and first["channel"] == "structured"
    # every agreed case (resolved, or monitored while its refund or shipment is due) is in the
    # desk's books, and every booking is an agreed case
    agreed = first["states"].get("resolved", 0) + first["states"].get("monitoring", 0)
    assert first["grants"] == first["ledger_grants"] == agreed > 0
    assert first["compliance_judged"] == first["grants"]
    # structured offers leave nothing to misread
    assert first["misreads"] == 0, first["misread_cases"]
    for figure in (
        "resolved_as_asked",
        "value_obtained",
        "compliance",
        "misreads",
        "mean_cs_exchanges",
        "escalation_rate",
        "states",
    ):
        assert first[figure] == second[figure], figure


def test_scenarios_are_reproducible_and_cover_the_vocabulary():
    orders = json.loads((REPO / "mock_cs_service" / "data" / "orders.json").read_text())["orders"]
    one, two = generate(orders, 300, seed=5), generate(orders, 300, seed=5)
    assert one == two and one != generate(orders, 300, seed=6)
    assert {s.problem_type for s in one} == set(PROBLEM_PHRASES)
    assert {s.id_style for s in one} == set(ID_STYLES)
    assert {s.persona for s in one} == {"cooperative", "adversarial", "bureaucratic", "random"}
    for scenario in one:
        order = next(o for o in orders if o["order_id"] == scenario.order_id)
        assert scenario.problem_type in problems_for(order, None)


# ---- the bench's parts, without a fleet ---------------------------------------------------

ORDER_ID = "112-4839201-5839201"
CS = "http://cs.test"
COORDINATOR = "http://coordinator.test"


def scenario(index: int = 0, persona: str = "cooperative", **fields) -> Scenario:
    values = {
        "customer_id": "C-1001",
        "order_id": ORDER_ID,
        "problem_type": "damaged_item",
        "desired_outcome": "full_refund",
        "id_style": "plain",
        "message": "my blender arrived broken",
        "item": "Countertop Blender",
    }
    return Scenario(index, persona, **{**values, **fields})


def booked(contact_id: str, kind: str, amount: float | None, order_id: str = ORDER_ID) -> dict:
    return {
        "contact_id": contact_id,
        "customer_id": "C-1001",
        "order_id": order_id,
        "type": kind,
        "amount": amount,
        "return_required": False,
    }


def result(sc: Scenario, state: str, contact: str | None, reported: dict | None) -> bench.Result:
    return bench.Result(
        sc,
        session_id=f"S-{sc.index}",
        state=state,
        entitled=True,
        askable=True,
        entitled_value=100.0,
        item_value=100.0,
        contact_id=contact,
        reported_offer=reported,
        cs_exchanges=2,
        seconds=1.0,
    )


def args(*extra: str):
    return bench.parser().parse_args(["--cs", CS, "--coordinator", COORDINATOR, *extra])


def test_cases_are_judged_from_the_ledger_not_from_our_records():
    cases = [
        # as reported and as asked
        result(scenario(0), "resolved", "CT-A", {"type": "full_refund", "amount": 100}),
        # we tell the customer 40, the desk booked 30
        result(
            scenario(1, desired_outcome="unspecified"),
            "resolved",
            "CT-B",
            {"type": "partial_refund", "amount": 40},
        ),
        # we report a deal the desk has no record of
        result(scenario(2, "adversarial"), "resolved", "CT-C", {"type": "replacement"}),
        # the desk booked credit we never reported
        result(scenario(3, "adversarial"), "escalated", "CT-D", None),
        # a reship for a replacement, booked on another order than the customer's
        result(scenario(4, desired_outcome="replacement"), "resolved", "CT-E", {"type": "reship"}),
    ]
    ledger = [
        booked("CT-A", "full_refund", 100),
        booked("CT-B", "partial_refund", 30),
        booked("CT-D", "store_credit", 20),
        booked("CT-E", "reship", None, order_id="999-0000000-0000000"),
        booked("CT-Z", "full_refund", 12),  # a contact no case knows
    ]
    unattributed = bench.judge(cases, ledger)
    assert [g["contact_id"] for g in unattributed] == ["CT-Z"]
    assert [c.as_asked for c in cases] == [True, True, False, False, False]
    assert [c.obtained_value for c in cases] == [100, 30, 0, 18, 0]
    assert [c.misread.kind if c.misread else None for c in cases] == [
        None,
        "terms",
        "unbooked",
        "unreported",
        None,
    ]
    for case in cases:
        case.compliant = [True] * len(case.grants)
    cases[1].compliant = [False]
    cases[3].compliant = [None]  # the desk did not say what it allows

    report = bench.summarize(cases, args(), 1.0, {}, {})
    assert report["resolved_as_asked"] == 0.4
    cases[2].askable = False  # policy allows no remedy of the kind asked: not counted
    assert bench.summarize(cases, args(), 1.0, {}, {})["resolved_as_asked"] == 0.5
    assert report["value_obtained"] == round(148 / 500, 4)
    assert report["misreads"] == 3
    assert report["grants"] == 4 and report["compliance_judged"] == 3
    assert report["compliance"] == round(2 / 3, 4)
    assert report["reported_resolution_rate"] == 0.8
    assert report["per_persona"]["adversarial"]["misreads"] == 2
    listed = {m["session_id"]: m for m in report["misread_cases"]}
    assert set(listed) == {"S-1", "S-2", "S-3"}
    assert listed["S-1"]["ours"]["amount"] == 40 and listed["S-1"]["ledger"][0]["amount"] == 30
    assert listed["S-1"]["differences"] == ["amount"]


def transcript_of(contact_id: str, roles: list[str]) -> dict:
    messages = [
        {"message_id": f"{contact_id}-M{n:03d}", "role": role, "text": "..."}
        for n, role in enumerate(roles, 1)
    ]
    return {"contact_id": contact_id, "status": "closed", "messages": messages}


async def test_cs_exchanges_are_counted_from_the_desks_transcripts_not_our_record():
    """Our record says 9 exchanges; the desk answered 2 messages on the first chat (it closed
    it unanswered at the third) and 2 on the new one."""
    desk = {
        "CT-OLD": transcript_of("CT-OLD", ["agent", "customer", "agent", "customer", "agent",
                                           "customer"]),
        "CT-NEW": transcript_of("CT-NEW", ["agent", "customer", "agent", "customer", "agent"]),
    }  # fmt: skip

    def cs(request: httpx.Request) -> httpx.Response:
        contact_id = request.url.path.rsplit("/", 1)[-1]
        found = desk.get(contact_id)
        return httpx.Response(200, json=found) if found else httpx.Response(404)

    case = result(scenario(0), "resolved", "CT-NEW", {"type": "full_refund", "amount": 100})
    case.cs_exchanges = 9
    unknown = result(scenario(1), "failed", "CT-GONE", None)  # a contact the desk never had
    fleet_doc = {
        "state": "resolved",
        "negotiation": {"contact_id": "CT-NEW", "cs_exchanges": 9},
        "attempts": [{"attempt": 1, "contact_id": "CT-OLD", "cs_exchanges": 7}],
    }
    async with httpx.AsyncClient(transport=httpx.MockTransport(cs)) as http:
        run = bench.Bench(args(), http)
        await run._score(case, fleet_doc)
        await run.count_exchanges([case, unknown])
    assert case.earlier_contacts == ["CT-OLD"]
    assert case.cs_exchanges == 4 and unknown.cs_exchanges == 0
    report = bench.summarize([case, unknown], args(), 1.0, {}, {})
    assert report["mean_cs_exchanges"] == 4.0  # cases the desk answered nothing are left out


# One customer and a $20 mug delivered five days ago: a data file of the order system's shape.
SAM = {
    "customer_id": "K-7",
    "name": "Sam Lee",
    "email": "sam@example.com",
    "phone": "+1 206 555 0100",
    "address": "1 Main Street, Seattle, WA 98101",
    "prime": False,
}
MUG = {
    "order_id": "901-0000001-0000001",
    "customer_id": "K-7",
    "order_date": "-9d",
    "promised_delivery_date": "-6d",
    "delivered_date": "-5d",
    "status": "delivered",
    "seller": "retailer",
    "payment_method": "card",
    "total": 20.0,
    "items": [{"sku": "X", "title": "Mug", "category": "kitchen", "price": 20.0, "quantity": 1}],
}


def mock_cs_app(tmp_path: Path, customers: list[dict], orders: list[dict]):
    from mock_cs_service.app import create_app
    from mock_cs_service.config import Settings

    data = tmp_path / "orders.json"
    data.write_text(json.dumps({"customers": customers, "orders": orders}))
    settings = Settings(
        var_dir=tmp_path, mock_data=data, policy_dir=REPO / "policies", log_level="ERROR"
    )
    return create_app(settings)


async def test_the_bench_reads_customers_from_the_order_system_whatever_the_data(tmp_path):
    app = mock_cs_app(tmp_path, [SAM], [MUG])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        run = bench.Bench(args("--persona", "adversarial", "--channel", "text"), http)
        orders = await run.orders()
        assert [o["order_id"] for o in orders] == ["901-0000001-0000001"]
        assert await run.ledger() == []
        await run.reset_cs()
        await run.configure_cs("adversarial")
        config = (await http.get(f"{CS}/v1/admin/config")).json()
        assert config["persona"] == "adversarial" and config["channel"] == "text"
    scenarios = generate(orders, 30, seed=1)  # one order is enough
    assert len(scenarios) == 30 and {s.order_id for s in scenarios} == {MUG["order_id"]}


async def test_entitlement_and_compliance_are_the_desks_own_terms(tmp_path):
    """A $20 mug delivered five days ago and broken: the retailer refunds at most $20."""
    app = mock_cs_app(tmp_path, [SAM], [MUG])
    broken = scenario(0, order_id=MUG["order_id"], desired_outcome="full_refund")
    cases = [result(broken, "resolved", "CT-A", None), result(broken, "resolved", "CT-B", None)]
    cases[0].grants = [booked("CT-A", "full_refund", 20.0)]
    cases[1].grants = [booked("CT-B", "full_refund", 35.0)]  # more than the order cost
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        run = bench.Bench(args(), http)
        await run.check_entitlements(cases)
    run.check_compliance(cases)
    assert [c.entitled and c.askable for c in cases] == [True, True]
    assert cases[0].item_value == 20.0 and cases[0].entitled_value == 20.0
    assert [c.compliant for c in cases] == [[True], [False]]


async def test_without_a_customer_list_the_bench_probes_the_usual_ids():
    known = {"C-1001", "C-1002"}

    def order_system(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.url.path == "/v1/customers":
            return httpx.Response(404, json={"detail": "Not Found"})
        if parts[2] == "customers" and parts[3] in known:
            order = {"order_id": f"{parts[3]}-order", "items": [{"title": "Lamp"}]}
            return httpx.Response(200, json={"orders": [order]})
        return httpx.Response(404, json={"detail": "no such customer"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(order_system)) as http:
        orders = await bench.Bench(args(), http).orders()
    assert [(o["customer_id"], o["order_id"]) for o in orders] == [
        ("C-1001", "C-1001-order"),
        ("C-1002", "C-1002-order"),
    ]


class FakeCoordinator:
    """Serves one session document and records what the customer sends."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.sent: list[tuple[str, dict]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=self.doc)
        self.sent.append((request.url.path, json.loads(request.content)))
        return httpx.Response(202, json={"state": self.doc["state"]})


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {"state": "awaiting_customer_input", "question": "Could you describe the damage?"},
            {"text": ["112-4839201-5839201", "cracked"]},  # words, and no claim of a photo
        ),
        (
            {
                "state": "awaiting_clarification",
                "question": "Which order?",
                "choices": [
                    {"id": "c1", "label": "Lamp", "order_id": "111-0000000-0000000"},
                    {"id": "c2", "label": "Countertop Blender", "order_id": ORDER_ID},
                ],
            },
            {"choice": ["c2"]},
        ),
        (
            {
                "state": "awaiting_clarification",
                "question": "Did I get that right?",
                "choices": [
                    {"id": "a", "label": "It never arrived", "problem_type": "not_delivered"},
                    {
                        "id": "b",
                        "label": "Damaged, refund",
                        "problem_type": "damaged_item",
                        "desired_outcome": "full_refund",
                    },
                    {"id": "c", "label": "It arrived damaged", "problem_type": "damaged_item"},
                ],
            },
            {"choice": ["b"]},  # the choice that states most of the case, all of it right
        ),
        (
            {
                "state": "awaiting_clarification",
                "question": "Which order?",
                "choices": [{"id": "c1", "label": "Lamp", "order_id": "111-0000000-0000000"}],
            },
            {"text": [ORDER_ID, "broken"]},  # not among the choices: said in words
        ),
        (
            {"state": "awaiting_clarification", "question": "Which order?", "choices": []},
            {"text": [ORDER_ID, "broken"]},
        ),
    ],
)
async def test_the_simulated_customer_answers_what_the_case_asks(doc, expected):
    coordinator = FakeCoordinator(doc)
    async with httpx.AsyncClient(transport=httpx.MockTransport(coordinator)) as customer:
        run = bench.Bench(args(), customer)
        case = bench.Result(scenario(), session_id="S-1", state=doc["state"])
        answered = await run._answer(customer, case, "/v1/sessions/S-1", {})
    assert answered == 1
    [(path, body)] = coordinator.sent
    assert path == "/v1/sessions/S-1/messages"
    [(field, words)] = expected.items()
    assert set(body) == {field}
    for word in words:
        assert word in body[field]


async def test_the_simulated_customer_adds_a_real_photo_when_cs_asks_for_photos():
    doc = {"state": "awaiting_customer_input", "question": "Photos?", "photos_wanted": True}
    coordinator = FakeCoordinator(doc)
    async with httpx.AsyncClient(transport=httpx.MockTransport(coordinator)) as customer:
        run = bench.Bench(args(), customer)
        case = bench.Result(scenario(), session_id="S-1", state=doc["state"])
        assert await run._answer(customer, case, "/v1/sessions/S-1", {}) == 1
    [(path, body)] = coordinator.sent
    assert path == "/v1/sessions/S-1/photos"
    [photo] = body["photos"]
    image = Image.open(io.BytesIO(base64.b64decode(photo["data"])))
    assert image.format == "JPEG" and image.size == (320, 240)


async def test_the_simulated_customer_approves_and_leaves_other_states_alone():
    coordinator = FakeCoordinator({"state": "negotiating"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(coordinator)) as customer:
        run = bench.Bench(args(), customer)
        case = bench.Result(scenario(), session_id="S-1", state="awaiting_outcome_approval")
        assert await run._answer(customer, case, "/v1/sessions/S-1", {}) == 1
        case.state = "negotiating"
        assert await run._answer(customer, case, "/v1/sessions/S-1", {}) == 0
    assert coordinator.sent == [("/v1/sessions/S-1/decisions", {"decision": "approve"})]


class Heartbeats(httpx.AsyncByteStream):
    """A live event stream that never ends and never reports a change: keep-alives only."""

    async def __aiter__(self):
        while True:
            yield b": keep-alive\n\n"
            await asyncio.sleep(0.01)


async def test_a_case_is_given_up_at_its_timeout_even_inside_a_stream_of_heartbeats():
    def stuck_coordinator(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"session_id": "S-1", "token": "t"})
        if request.url.path.endswith("/events"):
            return httpx.Response(200, stream=Heartbeats())
        return httpx.Response(200, json={"state": "negotiating"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(stuck_coordinator)) as customer:
        run = bench.Bench(args("--case-timeout-s", "0.3"), customer)
        started = time.perf_counter()
        case = await asyncio.wait_for(run.run_case(scenario(), customer), timeout=5)
    assert time.perf_counter() - started < 2
    assert case.lost and case.session_id == "S-1"
    assert [n.split(" in ")[0] for n in case.notes] == ["timed out"]


async def test_a_coordinator_older_than_photos_at_opening_gets_the_case_without_them():
    """bench-compare's baseline refuses the photos field: the same case opens without it."""
    opened = []

    def older_coordinator(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            body = json.loads(request.content)
            if "photos" in body:
                return httpx.Response(422, json={"detail": "extra fields not permitted"})
            opened.append(body)
            return httpx.Response(202, json={"session_id": f"S-{len(opened)}", "token": "t"})
        return httpx.Response(200, json={"state": "failed"})

    photographed = scenario(index=0, problem_type="damaged_item")
    assert bench.photographs_first(photographed)
    async with httpx.AsyncClient(transport=httpx.MockTransport(older_coordinator)) as customer:
        run = bench.Bench(args(), customer)
        run._follow = lambda *a: asyncio.sleep(0, result=None)
        first = await run.run_case(photographed, customer)
        second = await run.run_case(photographed, customer)
    assert (first.session_id, second.session_id) == ("S-1", "S-2")
    assert not run.photos_at_opening and all("photos" not in b for b in opened)


@pytest.mark.integration
def test_bench_follow_through_judges_promises_from_the_desks_books(tmp_path):
    """Days of 1 s and a forgetful desk: every promise is judged from the ledger, broken
    ones are detected in time and chased, none kept is reopened, and every unrecovered case
    has a dispute packet the customer can download. (A day must stay well above the lag of
    a check on a loaded machine: a check late by more than a day is a late detection.)"""
    env = {"CSN_DAY_SECONDS": "1", "CSN_WATCHDOG_INTERVAL_S": "0.05"}
    with running_fleet(tmp_path / "fleet", extra_env=env) as fleet:
        out = tmp_path / "follow.json"
        urls = [
            f"--{flag}={fleet.url(name)}"
            for flag, name in (
                ("coordinator", "coordinator_agent"),
                ("context", "context_agent"),
                ("negotiation", "negotiation_agent"),
                ("cs", "mock_cs_service"),
            )
        ]
        command = [sys.executable, "-m", "csn", "bench", *urls, "--sessions", "12"]
        command += ["--concurrency", "12", "--seed", "5", "--persona", "cooperative"]
        command += ["--follow-through", "--followup", "forgetful", "--json", str(out)]
        done = subprocess.run(
            command, env=fleet.env, cwd=REPO, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "follow-through (judged from the desk's ledger)" in done.stderr
        report = json.loads(out.read_text())
        ledger = httpx.get(f"{fleet.url('mock_cs_service')}/v1/admin/ledger").json()
    follow = report["follow_through"]
    assert follow["trait"] == "forgetful" and follow["day_seconds"] == 1.0
    booked = [a for a in ledger["agreements"] if a["fulfilment"]]
    assert follow["promises"] == len(booked) > 0
    assert follow["kept"] + follow["broken"] == follow["promises"]
    assert follow["broken"] > 0, "a forgetful desk broke nothing: the run proved nothing"
    assert follow["detected_in_time"] == follow["broken"]
    assert follow["reopened_kept"] == 0
    assert follow["recovered"] + follow["unrecovered"] == follow["broken"]
    assert follow["dispute_packets"] == follow["unrecovered"]
    assert set(follow["per_persona"]) == {"cooperative"}
    assert report["lost_sessions"] == 0
    assert set(report["states"]) <= {"fulfilled", "escalated", "failed", "resolved"}
