"""`csn bench-a2a`: A2A SendMessage round trip over loopback, next to a bare FastAPI echo.

Both endpoints live in one uvicorn process started for the run, so the ratio between
them shows what the protocol layer (JSON-RPC, task bookkeeping, auth) costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from shared.a2a.client import A2AClient
from shared.a2a.server import Skill, SkillContext
from shared.service import create_service_app
from shared.settings import ServiceSettings

TOKEN = "bench-a2a-token"  # noqa: S105 (a throwaway token for a local benchmark)


class EchoInput(BaseModel):
    text: str


async def echo(inp: EchoInput, ctx: SkillContext) -> dict[str, str]:
    return {"echo": inp.text}


def create_app() -> FastAPI:
    """An echo agent (built like every service) plus a bare FastAPI echo route."""
    settings = ServiceSettings(agent_token=TOKEN, log_level="WARNING")
    skill = Skill("echo", "Echo", "Echoes its input.", echo, EchoInput)
    app = create_service_app(settings, name="echo_agent", description="Echo.", skills=[skill])

    @app.post("/echo")
    async def bare_echo(body: EchoInput) -> dict[str, str]:
        return {"echo": body.text}

    return app


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds."""
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50_ms": cut[49] * 1000, "p95_ms": cut[94] * 1000, "p99_ms": cut[98] * 1000}


async def measure(base: str, count: int) -> dict[str, dict[str, float]]:
    """Alternate the two calls so machine noise hits both alike."""
    a2a_times: list[float] = []
    bare_times: list[float] = []
    async with httpx.AsyncClient(timeout=10) as http:
        agent = A2AClient(http, base, TOKEN, peer="echo_agent")
        for i in range(count + 50):
            started = time.perf_counter()
            await agent.call_skill("echo", {"text": f"hello {i}"})
            middle = time.perf_counter()
            response = await http.post(base + "/echo", json={"text": f"hello {i}"})
            response.raise_for_status()
            if i >= 50:  # warm-up
                a2a_times.append(middle - started)
                bare_times.append(time.perf_counter() - middle)
    return {"a2a_send_message": percentiles(a2a_times), "bare_fastapi": percentiles(bare_times)}


def main(argv: list[str] | None = None) -> int:
    """Entry point of `csn bench-a2a`."""
    parser = argparse.ArgumentParser(prog="csn bench-a2a", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--port", type=int, default=9190)
    args = parser.parse_args(argv)
    base = f"http://127.0.0.1:{args.port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "csn.bench_a2a:create_app",
        "--factory",
        "--port",
        str(args.port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    env = {**os.environ, "CSN_VAR_DIR": os.environ.get("CSN_VAR_DIR", "var")}
    server = subprocess.Popen(command, env=env)  # noqa: S603 (our own command)
    try:
        _wait(base)
        result: dict[str, Any] = asyncio.run(measure(base, args.requests))
    finally:
        server.terminate()
        server.wait(timeout=10)
    ratio = result["a2a_send_message"]["p50_ms"] / result["bare_fastapi"]["p50_ms"]
    print(f"{args.requests} sequential requests over loopback, one uvicorn process")
    for name, figures in result.items():
        cells = "  ".join(f"{k} {v:6.2f}" for k, v in figures.items())
        print(f"  {name:<18} {cells}")
    print(f"  A2A / bare at p50: {ratio:.2f}x")
    return 0


def _wait(base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the echo agent did not start")
