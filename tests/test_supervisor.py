"""`csn up` brings the four services up healthy, heals a `kill -9` within 10 s, and points the
agents at the CS desk the operator names in CSN_CS_URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from csn import supervisor as supervisor_module
from csn.accounts import demo_account
from csn.supervisor import (
    HEALTH_TIMEOUT_S,
    SERVICES,
    Supervisor,
    external_cs_url,
    fleet_env,
    parse_ports,
)
from tests.fleet import PASSWORD, REPO, fleet_environment, free_port, running_fleet


def wait_for(predicate, timeout_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError


def health(url: str) -> dict | None:
    try:
        response = httpx.get(url + "/healthz", timeout=0.5)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


@pytest.mark.integration
def test_csn_up_starts_all_and_restarts_a_killed_service(tmp_path):
    ports = {name: free_port() for name in SERVICES}
    env = fleet_environment(tmp_path, ports, None)
    overrides = [f"--port={name}={port}" for name, port in ports.items()]
    # Files, not pipes: nobody reads a pipe until the end, and a full one blocks its writers.
    out = (tmp_path / "up.out").open("w")
    up = subprocess.Popen(
        [sys.executable, "-m", "csn", "up", *overrides, "--log-dir", str(tmp_path / "logs")],
        env=env,
        cwd=REPO,
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_for(lambda: all(health(u) for u in urls.values()), 60)
        for name, url in urls.items():
            victim = health(url)["pid"]
            os.kill(victim, signal.SIGKILL)
            healed = wait_for(lambda u=url, v=victim: (h := health(u)) and h["pid"] != v, 10)
            print(f"{name} healed in {healed:.2f} s")
    finally:
        output = stopped(up, out, tmp_path / "up.out")
    assert "restarting" in output
    assert not any(health(u) for u in urls.values()), "services outlived csn up"


def stopped(up: subprocess.Popen, out, log: Path) -> str:
    """Stop `csn up` as Ctrl-C would; it must exit cleanly. Returns what it printed."""
    up.send_signal(signal.SIGTERM)
    up.wait(timeout=30)
    out.close()
    output = log.read_text()
    assert up.returncode == 0, output
    return output


def processes_listening_on(ports) -> list[str]:
    """Command lines of live processes started with one of these ports."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in words and any(str(p).encode() in words for p in ports):
            found.append(b" ".join(words).decode(errors="replace"))
    return found


@pytest.mark.integration
def test_a_signal_during_start_up_stops_everything_it_started(tmp_path):
    ports = {name: free_port() for name in SERVICES}
    env = fleet_environment(tmp_path, ports, None)
    overrides = [f"--port={name}={port}" for name, port in ports.items()]
    with (tmp_path / "up.out").open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "csn", "up", *overrides, "--log-dir", str(tmp_path / "logs")],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: len(processes_listening_on(ports.values())) == len(ports), 20)
        up.send_signal(signal.SIGTERM)  # the services are starting, none is healthy yet
        assert up.wait(timeout=30) == 0
    assert processes_listening_on(ports.values()) == []


def test_the_agents_use_the_local_mock_unless_csn_cs_url_names_another_desk(monkeypatch):
    ports = parse_ports(9100, [])
    monkeypatch.delenv("CSN_CS_URL", raising=False)
    env = fleet_env("127.0.0.1", ports)
    assert env["CSN_CS_URL"] == "http://127.0.0.1:9103"
    assert env["CSN_CONTEXT_URL"] == "http://127.0.0.1:9101"
    env = fleet_env("127.0.0.1", ports, "https://desk.example.com")
    assert env["CSN_CS_URL"] == "https://desk.example.com"
    assert env["CSN_CONTEXT_URL"] == "http://127.0.0.1:9101"  # the fleet's own stay local


def test_csn_cs_url_comes_from_the_environment_then_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    assert external_cs_url({}, dotenv) is None
    dotenv.write_text("CSN_CS_URL=http://desk.internal:8080/\n")
    assert external_cs_url({}, dotenv) == "http://desk.internal:8080"
    assert external_cs_url({"CSN_CS_URL": "http://other:1"}, dotenv) == "http://other:1"
    assert external_cs_url({"CSN_CS_URL": "  "}, tmp_path / "missing") is None


def test_without_the_mock_the_supervisor_starts_only_the_agents():
    ports = parse_ports(None, [])
    everything = Supervisor(ports)
    agents_only = Supervisor(ports, cs_url="http://desk:1", start_mock=False)
    assert {c.name for c in everything.children} == set(SERVICES)
    assert {c.name for c in agents_only.children} == set(SERVICES) - {"mock_cs_service"}
    assert agents_only.env["CSN_CS_URL"] == "http://desk:1"


@pytest.mark.integration
def test_csn_up_points_the_fleet_at_the_desk_named_by_csn_cs_url(tmp_path):
    """A case negotiated under `csn up --no-mock` is booked in the named desk's ledger."""
    with running_fleet(tmp_path / "desk", services=("mock_cs_service",)) as desk:
        external = desk.url("mock_cs_service")
        ports = {name: free_port() for name in SERVICES}  # the local mock's stays unused
        env = fleet_environment(tmp_path, ports, {"CSN_CS_URL": external})
        overrides = [f"--port={name}={port}" for name, port in ports.items()]
        command = [sys.executable, "-m", "csn", "up", "--no-mock", *overrides]
        with (tmp_path / "up.out").open("w") as out:
            up = subprocess.Popen(
                [*command, "--log-dir", str(tmp_path / "logs")],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            coordinator = f"http://127.0.0.1:{ports['coordinator_agent']}"
            try:
                wait_for(lambda: health(coordinator), 60)
                state = resolve_a_case(coordinator, external)
                agreements = httpx.get(f"{external}/v1/admin/ledger").json()["agreements"]
                local_mock = health(f"http://127.0.0.1:{ports['mock_cs_service']}")
            finally:
                up.send_signal(signal.SIGTERM)
                up.wait(timeout=30)
    output = (tmp_path / "up.out").read_text()
    assert f"CS desk: {external}" in output, output
    assert state == "monitoring"  # agreed; the refund is now watched
    assert [a["order_id"] for a in agreements] == ["112-4839201-5839201"]
    assert local_mock is None  # --no-mock: nothing listens on the local mock's port


def resolve_a_case(coordinator: str, cs_url: str) -> str:
    """Submit the sample blender case, approve what awaits approval, return its final state."""
    account = demo_account(coordinator, cs_url, "C-1001", PASSWORD)
    body = {
        "customer_id": "C-1001",
        "message": "Order 112-4839201-5839201: my blender arrived cracked. I want a full refund.",
        "auto_approve": True,
    }
    headers = {"Authorization": f"Bearer {account['token']}"}
    created = httpx.post(
        f"{coordinator}/v1/sessions", json=body, headers=headers, timeout=10
    ).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    url = f"{coordinator}/v1/sessions/{created['session_id']}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc = httpx.get(url, headers=headers, timeout=10).json()
        if doc["state"] in (
            "resolved",
            "monitoring",
            "failed",
            "escalated",
            "cancelled",
            "cs_unavailable",
        ):
            return doc["state"]
        if doc["awaiting"] in ("strategy", "outcome"):
            httpx.post(f"{url}/decisions", json={"decision": "approve"}, headers=headers)
        time.sleep(0.2)
    raise TimeoutError(doc["state"])


@pytest.mark.integration
def test_csn_up_demo_seeds_an_account_per_customer_and_resolves_the_sample_case(tmp_path):
    ports = {name: free_port() for name in SERVICES}
    credentials = tmp_path / "credentials.json"
    env = fleet_environment(tmp_path, ports, {"CSN_CREDENTIALS": str(credentials)})
    overrides = [f"--port={name}={port}" for name, port in ports.items()]
    coordinator = f"http://127.0.0.1:{ports['coordinator_agent']}"
    cs = f"http://127.0.0.1:{ports['mock_cs_service']}"
    with (tmp_path / "up.out").open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "csn", "up", "--demo", *overrides, "--log-dir", str(tmp_path)],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for(lambda: credentials.exists(), 90)
            token = json.loads(credentials.read_text())[coordinator]["token"]
            headers = {"Authorization": f"Bearer {token}"}

            def resolved() -> bool:  # CS agreed: the refund is now watched (monitoring)
                listed = httpx.get(f"{coordinator}/v1/sessions", headers=headers).json()
                return [c["state"] for c in listed["sessions"]] == ["monitoring"]

            wait_for(resolved, 60)
            customers = httpx.get(f"{cs}/v1/customers").json()["customers"]
            password = (tmp_path / "secrets" / "demo_password").read_text().strip()
            output = (tmp_path / "up.out").read_text()
            for customer in customers:  # each printed, each can sign in with the printed password
                profile = httpx.get(f"{cs}/v1/customers/{customer['customer_id']}").json()
                assert profile["email"] in output
                login = {"email": profile["email"], "password": password}
                signed_in = httpx.post(f"{coordinator}/v1/auth/login", json=login)
                assert signed_in.status_code == 200
                me = httpx.get(
                    f"{coordinator}/v1/accounts/me",
                    headers={"Authorization": f"Bearer {signed_in.json()['token']}"},
                )
                assert me.json()["links"] == [customer["customer_id"]]
            assert password in output and f"{coordinator}/" in output
        finally:
            up.send_signal(signal.SIGTERM)
            up.wait(timeout=30)


class LateHealth:
    """A /healthz that answers after `delay_s` (None: never), on a real socket."""

    def __init__(self, delay_s: float | None) -> None:
        delay = delay_s

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(delay if delay is not None else 3600)
                body = b'{"status": "ok"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def supervising(delay_s: float | None, program: str = "import time; time.sleep(60)"):
    """A supervisor of one live process (running `program`) whose /healthz answers after
    `delay_s`; restarts are recorded, not made."""
    health = LateHealth(delay_s)
    supervisor = Supervisor({"coordinator_agent": health.port})
    [child] = supervisor.children
    child.process = subprocess.Popen([sys.executable, "-c", program])
    child.healthy_once, child.answered_at = True, time.monotonic()
    restarts: list[str] = []
    supervisor._restart = lambda c, why: restarts.append(why)
    try:
        yield supervisor, restarts
    finally:
        child.process.kill()
        child.process.wait()
        health.close()


def test_a_busy_service_that_answers_late_is_not_restarted():
    """Under 1,000 cases in flight /healthz may take seconds: late is alive."""
    with (
        supervising(delay_s=1.5) as (supervisor, restarts),
        httpx.Client(timeout=HEALTH_TIMEOUT_S) as http,
    ):
        [child] = supervisor.children
        for _ in range(4):
            before = child.answered_at
            supervisor.check(http)
            assert child.answered_at > before  # the late answer counts
    assert restarts == []


def test_a_service_silent_for_the_whole_window_is_restarted(monkeypatch):
    monkeypatch.setattr(supervisor_module, "HUNG_AFTER_S", 1.0)
    with supervising(delay_s=None) as (supervisor, restarts), httpx.Client(timeout=0.3) as http:
        supervisor.check(http)
        assert restarts == []  # one miss is no verdict
        deadline = time.monotonic() + 5
        while not restarts and time.monotonic() < deadline:
            supervisor.check(http)
    assert len(restarts) == 1 and restarts[0].startswith("not answering")


def test_a_silent_service_that_keeps_working_is_restarted_only_after_a_long_while(monkeypatch):
    """1,000 cases in flight can keep a service from answering for a minute: while it uses CPU
    it is busy, not stuck; only a far longer silence means it spins."""
    monkeypatch.setattr(supervisor_module, "HUNG_AFTER_S", 1.0)
    monkeypatch.setattr(supervisor_module, "SPINNING_AFTER_S", 4.0)
    busy = "import time\nwhile True: sum(range(10_000))"
    with (
        supervising(delay_s=None, program=busy) as (supervisor, restarts),
        httpx.Client(timeout=0.3) as http,
    ):
        started = time.monotonic()
        while not restarts and time.monotonic() - started < 8:
            supervisor.check(http)
        waited = time.monotonic() - started
    assert len(restarts) == 1 and waited >= 3.5
