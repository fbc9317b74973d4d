"""`csn up` brings the four services up healthy and heals a `kill -9` within 10 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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
    up = subprocess.Popen(
        [sys.executable, "-m", "csn", "up", *overrides],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
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
        output = up.communicate(timeout=30)[0]
    assert up.returncode == 0, output
    assert "restarting" in output
    assert not any(health(u) for u in urls.values()), "services outlived csn up"
