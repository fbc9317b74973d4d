"""Benchmark of policy lookup: in-process (shipped and 10x corpus) and over the A2A round trip.

`python -m context_agent.bench` (the fleet wires it as `csn bench-policies`). The A2A part
starts the context agent with uvicorn on a free loopback port and an order system: the
real mock CS service in a subprocess, or, when that cannot start, a small order fixture
served by this benchmark itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from context_agent.policies import CATEGORIES, CaseFacts, PolicyIndex, case_facts, load_policies
from shared.domain import DesiredOutcome, Order, ProblemType

TARGET_IN_PROCESS_P95_MS = 5.0
TARGET_A2A_P95_MS = 50.0
TARGET_ANALYZE_P95_MS = 20.0
DEFAULT_POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
_STATUSES = ("delivered",) * 6 + ("in_transit", "shipped", "lost", "returned", "cancelled")


# ---------------------------------------------------------------- statistics


def summarize(samples_s: Sequence[float], wall_s: float) -> dict[str, float]:
    """p50/p95/p99 in milliseconds and lookups per second."""
    ordered = sorted(samples_s)

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)

    return {
        "n": len(ordered),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(ordered), 3),
        "lookups_per_s": round(len(ordered) / wall_s, 1) if wall_s > 0 else 0.0,
    }


# ---------------------------------------------------------------- synthetic cases


def synthetic_order(rng: random.Random, today: date, index: int) -> dict[str, Any]:
    """One plausible order record, dates relative to today."""
    category = rng.choice(CATEGORIES)
    status = rng.choice(_STATUSES)
    ordered = today - timedelta(days=rng.randint(1, 120))
    promised = ordered + timedelta(days=rng.randint(1, 5))
    delivered = (
        promised + timedelta(days=rng.randint(-1, 4))
        if status in ("delivered", "returned")
        else None
    )
    if delivered and delivered > today:
        delivered = today
    price = round(rng.choice((8.99, 14.5, 29.99, 59.0, 129.99, 249.0, 899.0)), 2)
    return {
        "order_id": f"{100 + index % 900:03d}-{rng.randrange(10**7):07d}-{index:07d}",
        "customer_id": f"C-B{index % 50:03d}",
        "order_date": ordered.isoformat(),
        "promised_delivery_date": promised.isoformat(),
        "delivered_date": delivered.isoformat() if delivered else None,
        "status": status,
        "seller": rng.choice(("retailer", "retailer", "third_party")),
        "payment_method": "card",
        "total": price,
        "prime": rng.random() < 0.5,
        "items": [
            {
                "sku": f"SKU-{index}",
                "title": f"{category} item {index}",
                "category": category,
                "price": price,
                "quantity": 1,
            }
        ],
    }


def synthetic_cases(count: int, seed: int, today: date) -> list[CaseFacts]:
    """Case facts over varied orders, problems and goals."""
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        record = synthetic_order(rng, today, i)
        cases.append(
            case_facts(
                Order.model_validate(record),
                rng.choice(list(ProblemType)),
                rng.choice(list(DesiredOutcome)),
                today,
                prime=record["prime"],
            )
        )
    return cases


# ---------------------------------------------------------------- the 10x corpus


def write_scaled_corpus(source: Path, target: Path, factor: int) -> int:
    """Copy every policy `factor` times with new ids, later dates and varied wording."""
    count = 0
    for path in sorted(source.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        pid = re.search(r"^policy_id:\s*(\S+)", text, re.MULTILINE)
        if pid is None:
            continue
        head, _, rest = pid.group(1).partition("-")
        for k in range(factor):
            new_id = f"{head[:4]}{chr(65 + k)}-{rest}" if k else pid.group(1)
            variant = text.replace(f"policy_id: {pid.group(1)}", f"policy_id: {new_id}", 1)
            variant = re.sub(
                r"^effective_date: (\d{4})-(\d\d)-(\d\d)",
                lambda m, k=k: (
                    f"effective_date: {int(m.group(1)) - k // 4}-{m.group(2)}-{m.group(3)}"
                ),
                variant,
                count=1,
                flags=re.MULTILINE,
            )
            variant += f"\nRegional variant {k} of this policy, issued for market {k}.\n"
            (target / f"{new_id.lower()}.md").write_text(variant, encoding="utf-8")
            count += 1
    return count


def bench_in_process(
    index: PolicyIndex, cases: Sequence[CaseFacts], rounds: int
) -> dict[str, float]:
    """Time `PolicyIndex.lookup` over the cases, `rounds` times each."""
    for case in cases[:50]:
        index.lookup(case)  # warm up
    samples = []
    wall = time.perf_counter()
    for _ in range(rounds):
        for case in cases:
            started = time.perf_counter()
            index.lookup(case)
            samples.append(time.perf_counter() - started)
    return summarize(samples, time.perf_counter() - wall)


# ---------------------------------------------------------------- servers for the A2A run


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: FastAPI, port: int) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a background thread; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def order_fixture_app(orders: Sequence[dict[str, Any]]) -> FastAPI:
    """A minimal order system: the two GET endpoints of the mock CS service."""
    by_id = {o["order_id"]: o for o in orders}
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/orders/{order_id}")
    async def order(order_id: str) -> Any:
        found = by_id.get(order_id)
        return found if found else JSONResponse({"detail": "no such order"}, status_code=404)

    @app.get("/v1/customers/{customer_id}/orders")
    async def customer_orders(customer_id: str) -> Any:
        return {
            "customer_id": customer_id,
            "orders": [o for o in orders if o["customer_id"] == customer_id],
        }

    return app


@contextmanager
def mock_cs_subprocess(var_dir: Path) -> Iterator[str | None]:
    """The real mock CS service in a subprocess; yields its URL, or None if it cannot start."""
    port = free_port()
    env = {
        **os.environ,
        "CSN_VAR_DIR": str(var_dir),
        "CSN_PORT": str(port),
        "CSN_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "mock_cs_service.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(  # noqa: S603 (our own command)
        command,
        env=env,
        stdout=subprocess.DEVNULL,  # noqa: S603
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield url if _wait_healthy(url, process) else None
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 20) -> bool:
    """Poll /healthz until it answers, the process dies, or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


async def _orders(http: httpx.AsyncClient, cs_url: str) -> list[tuple[str, str]]:
    """(order id, customer id) of the orders the mock CS service knows."""
    found: list[tuple[str, str]] = []
    for n in range(1001, 1051):
        response = await http.get(f"{cs_url}/v1/customers/C-{n}/orders")
        if response.status_code != 200:
            continue
        found += [(o["order_id"], o["customer_id"]) for o in response.json().get("orders", [])]
    return found


async def _timed(client: Any, skill: str, calls: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Time one skill over a list of calls (after 20 warm-up calls)."""
    for call in calls[:20]:
        await client.call_skill(skill, call)
    samples = []
    wall = time.perf_counter()
    for call in calls:
        started = time.perf_counter()
        result = await client.call_skill(skill, call)
        samples.append(time.perf_counter() - started)
        if result.state not in (
            "TASK_STATE_COMPLETED",
            "TASK_STATE_FAILED",
            "TASK_STATE_INPUT_REQUIRED",
        ):
            raise RuntimeError(f"unexpected task state {result.state}")
    return summarize(samples, time.perf_counter() - wall)


async def _a2a_lookups(
    url: str, token: str, cs_url: str, fallback: Sequence[tuple[str, str]], count: int, seed: int
) -> dict[str, Any]:
    """Time lookup_policies and analyze_issue (customer messages of the corpus' test split)."""
    from shared.a2a.client import A2AClient
    from shared.language.reader import training_records

    rng = random.Random(seed)
    messages = [r["text"][:4000] for r in training_records("test")[0]]
    async with httpx.AsyncClient() as http:
        orders = await _orders(http, cs_url) or list(fallback)
        client = A2AClient(http, url, token, peer="context_agent", attempts=1)
        lookups = [
            {
                "order_id": rng.choice(orders)[0],
                "problem_type": rng.choice(list(ProblemType)).value,
                "desired_outcome": rng.choice(list(DesiredOutcome)).value,
            }
            for _ in range(count)
        ]
        analyses = []
        for _ in range(count):
            order_id, customer_id = rng.choice(orders)
            analyses.append(
                {"customer_id": customer_id, "order_id": order_id, "message": rng.choice(messages)}
            )
        return {
            "lookup": await _timed(client, "lookup_policies", lookups),
            "analyze": await _timed(client, "analyze_issue", analyses),
        }


def bench_a2a(policy_dir: Path, count: int, seed: int, use_mock_cs: bool) -> dict[str, Any]:
    """Start an order system and the context agent on loopback; time lookups over A2A."""
    from context_agent.app import create_app
    from context_agent.config import Settings

    rng = random.Random(seed)
    fixture = [synthetic_order(rng, date.today(), i) for i in range(200)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        _order_system(Path(tmp), fixture, use_mock_cs) as (cs_url, kind),
    ):
        token = secrets.token_urlsafe(24)
        settings = Settings(
            port=free_port(),
            var_dir=Path(tmp),
            agent_token=token,
            cs_url=cs_url,
            policy_dir=policy_dir,
            log_level="WARNING",
        )
        with serve_in_thread(create_app(settings), settings.port) as url:
            stats = asyncio.run(
                _a2a_lookups(
                    url,
                    token,
                    cs_url,
                    [(o["order_id"], o["customer_id"]) for o in fixture],
                    count,
                    seed,
                )
            )
    return {"order_system": kind, **stats["lookup"], "analyze_issue": stats["analyze"]}


@contextmanager
def _order_system(
    var_dir: Path, fixture: Sequence[dict[str, Any]], use_mock_cs: bool
) -> Iterator[tuple[str, str]]:
    """The real mock CS service when it starts, else the built-in fixture."""
    if use_mock_cs:
        with mock_cs_subprocess(var_dir) as url:
            if url is not None:
                yield url, "mock_cs_service"
                return
    with serve_in_thread(order_fixture_app(fixture), free_port()) as url:
        yield url, "bench fixture"


# ---------------------------------------------------------------- the report


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every part of the benchmark and return the report."""
    today = date.today()
    cases = synthetic_cases(args.cases, args.seed, today)
    report: dict[str, Any] = {
        "targets_ms": {"in_process_p95": TARGET_IN_PROCESS_P95_MS, "a2a_p95": TARGET_A2A_P95_MS}
    }
    shipped = load_policies(args.policy_dir)
    report["in_process_shipped"] = {
        "policies": len(shipped),
        **bench_in_process(PolicyIndex(shipped), cases, args.rounds),
    }
    out(_line("in-process, shipped corpus", report["in_process_shipped"]))
    with tempfile.TemporaryDirectory() as tmp:
        written = write_scaled_corpus(Path(args.policy_dir), Path(tmp), args.scale)
        started = time.perf_counter()
        scaled = load_policies(tmp)
        load_s = time.perf_counter() - started
        report["in_process_scaled"] = {
            "policies": written,
            "load_s": round(load_s, 3),
            **bench_in_process(PolicyIndex(scaled), cases, args.rounds),
        }
    out(_line(f"in-process, {args.scale}x corpus", report["in_process_scaled"]))
    if not args.no_a2a:
        report["a2a"] = bench_a2a(
            Path(args.policy_dir), args.a2a_calls, args.seed, not args.fixture_only
        )
        out(_line(f"A2A round trip ({report['a2a']['order_system']})", report["a2a"]))
        out(_line("A2A analyze_issue (test-split messages)", report["a2a"]["analyze_issue"]))
    report["targets_met"] = _targets_met(report)
    return report


def _line(label: str, stats: dict[str, Any]) -> str:
    size = f" [{stats['policies']} policies]" if "policies" in stats else ""
    return (
        f"{label}{size}: n={stats['n']} p50={stats['p50_ms']:.3f} ms "
        f"p95={stats['p95_ms']:.3f} ms p99={stats['p99_ms']:.3f} ms "
        f"{stats['lookups_per_s']:.0f} lookups/s"
    )


def _targets_met(report: dict[str, Any]) -> bool:
    in_process = all(
        report[k]["p95_ms"] < TARGET_IN_PROCESS_P95_MS
        for k in ("in_process_shipped", "in_process_scaled")
    )
    a2a = "a2a" not in report or (
        report["a2a"]["p95_ms"] < TARGET_A2A_P95_MS
        and report["a2a"]["analyze_issue"]["p95_ms"] < TARGET_ANALYZE_P95_MS
    )
    return in_process and a2a


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="csn bench-policies", description=__doc__.split("\n")[0])
    parser.add_argument("--policy-dir", type=Path, default=DEFAULT_POLICY_DIR)
    parser.add_argument("--cases", type=int, default=500, help="distinct synthetic cases")
    parser.add_argument("--rounds", type=int, default=4, help="in-process passes over the cases")
    parser.add_argument("--scale", type=int, default=10, help="size factor of the generated corpus")
    parser.add_argument("--a2a-calls", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-a2a", action="store_true", help="skip the A2A round trip")
    parser.add_argument(
        "--fixture-only",
        action="store_true",
        help="serve orders from the built-in fixture, not the mock CS service",
    )
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, print, optionally write JSON; 1 with --check when targets are missed."""
    args = parse_args(argv)
    report = run(args)
    print("targets met" if report["targets_met"] else "targets MISSED")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 1 if args.check and not report["targets_met"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
