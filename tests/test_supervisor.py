"""`csn up` brings the four services up healthy and heals a `kill -9` within 10 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from csn.supervisor import SERVICES
from tests.fleet import REPO, fleet_environment, free_port

pytestmark = pytest.mark.integration


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
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=30)
        out.close()
    output = (tmp_path / "up.out").read_text()
    assert up.returncode == 0, output
    assert "restarting" in output
    assert not any(health(u) for u in urls.values()), "services outlived csn up"


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
