"""`csn up`: start the fleet, wait until healthy, restart what dies, stop cleanly.

Hand-written on purpose: supervisord and honcho run their own daemon or config file
and know nothing of our health endpoints; we need "restart within 10 s", health-gated
start-up and port overrides, which is a short poll loop over `subprocess`.

The agents find their peers on the ports started here, except the CS desk: `CSN_CS_URL`,
when the operator sets it (environment, or `.env`), points them at another desk, and
`start_mock=False` leaves the local mock out.

With replicas (`csn up --replicas coordinator_agent=2,...`) a service's port belongs to its
load balancer (HAProxy, see `csn.balancer`), which is supervised like the services, and its
instances listen next to it; every instance is restarted when it dies. Where everything
listens is written to `<var dir>/fleet.json` (the chaos benchmark kills instances by it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from dotenv import dotenv_values

from csn.balancer import Backend, check_config, haproxy_binary, haproxy_config, instance_port

SERVICES: dict[str, int] = {
    "mock_cs_service": 9003,
    "context_agent": 9001,
    "negotiation_agent": 9002,
    "coordinator_agent": 9000,
}
URL_SETTINGS = {
    "mock_cs_service": "CSN_CS_URL",
    "context_agent": "CSN_CONTEXT_URL",
    "negotiation_agent": "CSN_NEGOTIATION_URL",
    "coordinator_agent": "CSN_COORDINATOR_URL",
}
POLL_S = 0.25
# Liveness: the process is alive and answers /healthz now and then. A busy service (1,000
# cases in flight) answers late or, for a while, not at all, yet works: each probe waits
# long, and a silent service counts as hung after a whole window in which it also used no
# CPU (stuck), or after a much longer one even while it used CPU (spinning).
HEALTH_TIMEOUT_S = 5.0
HUNG_AFTER_S = 60.0
SPINNING_AFTER_S = 600.0


@dataclass
class Child:
    """One supervised process: a service instance, or the load balancer (`command`)."""

    name: str
    port: int
    service: str = ""  # the service it runs (default: its name)
    env: dict[str, str] | None = None  # on top of the fleet's environment
    command: list[str] | None = None  # not a service: the balancer
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    answered_at: float = 0.0  # its last /healthz answer (monotonic)
    working_at: float = 0.0  # the last pass that saw it use CPU
    cpu_s: float | None = None  # its CPU time then
    healthy_once: bool = False
    backoff_s: float = 0.0
    next_start_at: float = 0.0


class Supervisor:
    """Keeps every service of the fleet running on its port."""

    def __init__(
        self,
        ports: dict[str, int],
        host: str = "127.0.0.1",
        log=print,
        log_dir: Path | None = None,
        cs_url: str | None = None,
        start_mock: bool = True,
        replicas: dict[str, int] | None = None,
        var_dir: Path = Path("var"),
    ) -> None:
        self.host = host
        self.ports = ports
        started = {n: p for n, p in ports.items() if start_mock or n != "mock_cs_service"}
        self.replicas = {n: c for n, c in (replicas or {}).items() if c > 1 and n in started}
        self.backends = [
            Backend(name, host, ports[name], tuple(instance_port(ports[name], i + 1)
                                                    for i in range(count)))
            for name, count in self.replicas.items()
        ]  # fmt: skip
        self.children = self._children(started)
        self.env = fleet_env(host, ports, cs_url)
        self.log_dir = log_dir
        self.var_dir = var_dir
        self._log = log
        self._stopping = False

    def _children(self, started: dict[str, int]) -> list[Child]:
        """The balancer first (the agents' peers are behind it), then every instance."""
        children = []
        if self.backends:
            children.append(Child("haproxy", self.backends[0].port))
        balanced = {b.service: b for b in self.backends}
        for name, port in started.items():
            backend = balanced.get(name)
            if backend is None:
                children.append(Child(name, port, service=name))
                continue
            public = {"CSN_PUBLIC_URL": f"http://{self.host}:{port}"}  # the agent card's URL
            children += [
                Child(f"{name}-{number}", instance, service=name, env=public)
                for number, instance in enumerate(backend.instance_ports, 1)
            ]
        return children

    def url(self, child: Child) -> str:
        return f"http://{self.host}:{child.port}"

    def prepare(self) -> None:
        """Write the balancer's configuration (checked by HAProxy) and the fleet file.
        RuntimeError when HAProxy is needed but missing or refuses the configuration."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.backends:
            binary = haproxy_binary()
            if binary is None:
                raise RuntimeError(
                    "--replicas needs HAProxy as the load balancer: apt-get install haproxy"
                )
            config = self.var_dir / "haproxy.cfg"
            config.write_text(haproxy_config(self.backends))
            complaint = check_config(binary, str(config))
            if complaint:
                raise RuntimeError(f"HAProxy refused {config}: {complaint}")
            self.children[0].command = [binary, "-f", str(config), "-db"]
        (self.var_dir / "fleet.json").write_text(json.dumps(self.layout(), indent=2))

    def layout(self) -> dict[str, dict[str, object]]:
        """Each service's address and its instances' (the same when it runs alone)."""
        services: dict[str, dict[str, object]] = {}
        for child in self.children:
            if child.command is None:
                entry = services.setdefault(
                    child.service,
                    {"url": f"http://{self.host}:{self.ports[child.service]}", "instances": []},
                )
                entry["instances"].append(self.url(child))  # type: ignore[attr-defined]
        return {"services": services}

    def start_all(self) -> None:
        self.prepare()
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        command = child.command or [
            sys.executable, "-m", "csn", "serve", child.service, "--port", str(child.port),
            "--host", self.host,
        ]  # fmt: skip
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{child.name}.log", "ab")  # noqa: SIM115 (the child owns it)
        child.process = subprocess.Popen(  # noqa: S603 (our own command)
            command, env={**self.env, **(child.env or {})}, stdout=output, stderr=output
        )
        if output is not None:
            output.close()  # the child has its own copy of the descriptor
        child.started_at = time.monotonic()
        child.healthy_once, child.cpu_s = False, None

    def handle_signals(self) -> None:
        """From now on SIGINT/SIGTERM stop the fleet cleanly, whatever stage we are at."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def wait_healthy(self, timeout_s: float = 60.0) -> bool:
        """Block until every service answers /healthz (through its balancer too, if it has
        one), restarting any that dies meanwhile."""
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=HEALTH_TIMEOUT_S) as http:
            while time.monotonic() < deadline and not self._stopping:
                self.check(http)
                if all(c.healthy_once for c in self.children) and self._balanced(http):
                    return True
                time.sleep(POLL_S)
        return False

    def check(self, http: httpx.Client) -> None:
        """One supervision pass: restart the dead and the hung, note who is healthy.
        The live are probed side by side, so a slow answer delays no one else's restart."""
        alive = []
        for child in self.children:
            if self._stopping:
                return
            process = child.process
            if process is None or process.poll() is not None:
                self._restart(child, "exited" if process else "not started")
            else:
                alive.append(child)
        with ThreadPoolExecutor(max_workers=max(1, len(alive))) as probes:
            answers = list(probes.map(lambda c: self._healthy(http, c), alive))
        now = time.monotonic()
        for child, healthy in zip(alive, answers, strict=True):
            cpu_s = cpu_seconds(child.process.pid) if child.process else None
            if cpu_s is not None and child.cpu_s is not None and cpu_s > child.cpu_s:
                child.working_at = now
            child.cpu_s = cpu_s
            if healthy:
                child.answered_at, child.healthy_once = now, True
            elif child.healthy_once and not self._stopping and self._hung(child, now):
                self._restart(child, f"not answering for {now - child.answered_at:.0f} s")

    @staticmethod
    def _hung(child: Child, now: float) -> bool:
        """Silent for the whole window while using no CPU, or for far longer while using it."""
        silent_for = now - child.answered_at
        idle_for = now - max(child.answered_at, child.working_at)
        return idle_for >= HUNG_AFTER_S or silent_for >= SPINNING_AFTER_S

    def _balanced(self, http: httpx.Client) -> bool:
        """Every balancer has an instance in its rotation (it passed a readiness check)."""
        for backend in self.backends:
            try:
                url = f"http://{backend.host}:{backend.port}/healthz"
                if http.get(url).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    def _healthy(self, http: httpx.Client, child: Child) -> bool:
        if child.command is not None:  # the balancer: it accepts connections
            try:
                with socket.create_connection((self.host, child.port), timeout=1):
                    return True
            except OSError:
                return False
        try:
            return http.get(self.url(child) + "/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def _restart(self, child: Child, why: str) -> None:
        now = time.monotonic()
        if now < child.next_start_at:
            return
        # A crash loop is spaced out (0.5 s doubling to 5 s), still inside the 10 s promise.
        quick = now - child.started_at < 5
        child.backoff_s = min(5.0, child.backoff_s * 2 or 0.5) if quick else 0.0
        child.next_start_at = now + child.backoff_s
        if child.process and child.process.poll() is None:
            child.process.kill()
            child.process.wait()
        child.restarts += 1
        self._log(f"{child.name} {why}; restarting (restart #{child.restarts})")
        self._spawn(child)

    def run_forever(self) -> None:
        """Supervise until SIGINT/SIGTERM (see `handle_signals`)."""
        with httpx.Client(timeout=HEALTH_TIMEOUT_S) as http:
            while not self._stopping:
                self.check(http)
                time.sleep(POLL_S)

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stopping = True

    def stop_all(self, grace_s: float = 10.0) -> None:
        """SIGTERM every child, then SIGKILL whoever is still there after `grace_s`."""
        self._stopping = True
        alive = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in alive:
            process.terminate()
        deadline = time.monotonic() + grace_s
        for process in alive:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process has used so far (Linux's /proc); None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def fleet_env(host: str, ports: dict[str, int], cs_url: str | None = None) -> dict[str, str]:
    """The children's environment: ours, plus where each peer listens (CS at `cs_url` if set)."""
    env = dict(os.environ)
    for name, port in ports.items():
        env[URL_SETTINGS[name]] = f"http://{host}:{port}"
    if cs_url:
        env[URL_SETTINGS["mock_cs_service"]] = cs_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def external_cs_url(
    environ: Mapping[str, str] | None = None, dotenv: Path = Path(".env")
) -> str | None:
    """The CS desk the operator chose with `CSN_CS_URL` (environment first, then `.env`)."""
    environ = os.environ if environ is None else environ
    name = URL_SETTINGS["mock_cs_service"]
    chosen = environ.get(name) or (dotenv_values(dotenv).get(name) if dotenv.is_file() else None)
    return (chosen or "").strip().rstrip("/") or None


def parse_ports(base: int | None, overrides: list[str]) -> dict[str, int]:
    """Default ports, shifted by `--base-port`, then `name=port` overrides."""
    shift = 0 if base is None else base - 9000
    ports = {name: port + shift for name, port in SERVICES.items()}
    for item in overrides:
        name, _, port = item.partition("=")
        if name not in ports or not port.isdigit():
            raise ValueError(f"--port takes service=port, e.g. context_agent=9101 (got {item!r})")
        ports[name] = int(port)
    return ports
