"""Start real services as real processes on free loopback ports, for integration tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from csn.accounts import demo_account
from csn.supervisor import URL_SETTINGS

REPO = Path(__file__).resolve().parent.parent
ALL_SERVICES = ("mock_cs_service", "context_agent", "negotiation_agent", "coordinator_agent")
TOKEN = "integration-agent-token"
OPS_TOKEN = "integration-ops-token"
PASSWORD = "integration passphrase"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(
    url: str, timeout_s: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    """Poll `url/healthz` until it answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} before it was healthy")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not healthy after {timeout_s} s")


@dataclass
class Fleet:
    """Running services: their URLs, processes and environment."""

    var_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    log_dir: Path | None = None

    accounts: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def account(self, customer_id: str = "C-1001") -> dict[str, str]:
        """Bearer headers of an account linked to the customer (signed up, proved, once)."""
        if customer_id not in self.accounts:
            made = demo_account(
                self.url("coordinator_agent"), self.url("mock_cs_service"), customer_id, PASSWORD
            )
            self.accounts[customer_id] = {"Authorization": f"Bearer {made['token']}"}
        return self.accounts[customer_id]

    def start(self, service: str) -> None:
        """Start (or restart) one service and wait until it is healthy."""
        self.start_as(service, service)

    def start_as(self, name: str, service: str, env: dict[str, str] | None = None) -> None:
        """Start (or restart) an instance of `service` called `name` (its own port, log and
        process; e.g. a second coordinator) and wait until it is healthy."""
        self.ports.setdefault(name, free_port())
        log = open(self.var_dir / f"{name}.log", "ab")  # noqa: SIM115 (lives with the process)
        command = [
            sys.executable,
            "-m",
            "csn",
            "serve",
            service,
            "--port",
            str(self.ports[name]),
        ]
        process = subprocess.Popen(
            command, env={**self.env, **(env or {})}, cwd=REPO, stdout=log, stderr=log
        )
        self.processes[name] = process
        wait_healthy(self.url(name), process=process)

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        """Kill one service the hard way."""
        process = self.processes.pop(service)
        process.send_signal(sig)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.var_dir.glob("*.log")))


def fleet_environment(
    var_dir: Path, ports: dict[str, int], extra: dict[str, str] | None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSN_")}
    env.update(
        CSN_VAR_DIR=str(var_dir),
        CSN_AGENT_TOKEN=TOKEN,
        CSN_OPS_TOKEN=OPS_TOKEN,
        CSN_DATABASE_URL=f"sqlite:///{var_dir / 'coordinator.db'}",
        CSN_POLICY_DIR=str(REPO / "policies"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("ANTHROPIC_API_KEY", None)
    for name, port in ports.items():
        env[URL_SETTINGS[name]] = f"http://127.0.0.1:{port}"
    env.update(extra or {})
    return env


@contextmanager
def running_fleet(
    var_dir: Path, services: tuple[str, ...] = ALL_SERVICES, extra_env: dict[str, str] | None = None
) -> Iterator[Fleet]:
    """Start `services` (in dependency order) on free ports; stop them all afterwards."""
    var_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ALL_SERVICES}
    fleet = Fleet(var_dir, fleet_environment(var_dir, ports, extra_env), ports)
    try:
        for service in services:
            fleet.start(service)
        yield fleet
    finally:
        fleet.stop()
