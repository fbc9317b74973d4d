"""Shared paths and the promtool fixture for the operations tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = {
    "coordinator_agent": 9000,
    "context_agent": 9001,
    "negotiation_agent": 9002,
    "mock_cs_service": 9003,
}


@pytest.fixture(scope="session")
def promtool() -> str:
    """The promtool binary; skipped where it is absent outside CI, a failure in CI."""
    path = shutil.which("promtool")
    if path:
        return path
    message = "promtool is not installed (Debian: apt-get install prometheus)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so the Prometheus checks must run")
    pytest.skip(f"{message}; skipping the Prometheus checks outside CI")


def run_promtool(
    promtool: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run promtool from the repo root and return the finished process."""
    return subprocess.run(  # noqa: S603 (a fixed binary with our own arguments)
        [promtool, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60
    )
