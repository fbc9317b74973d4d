"""The Dockerfile: one slim, non-root image whose command chooses the service."""

from __future__ import annotations

import ast
import json
import shlex

import pytest
import yaml

from csn.cli import _parser
from tests.ops.conftest import ROOT, SERVICES


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments) pairs, continuations joined, comments dropped."""
    logical, pending = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) argument list, or a failure naming the shell form."""
    form = json.loads(arguments)
    assert isinstance(form, list) and all(isinstance(a, str) for a in form), arguments
    return form


def test_builds_on_python_311_slim():
    assert instructions()[0] == ("FROM", "python:3.11-slim")


def test_runs_as_a_non_root_user_before_the_command():
    steps = [name for name, _ in instructions()]
    users = [args for name, args in instructions() if name == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert steps.index("USER") < steps.index("CMD")


def test_installs_the_project_with_pip_and_ships_policies_and_mock_data():
    runs = " ".join(args for name, args in instructions() if name == "RUN")
    assert "pip install ." in runs
    copied = {shlex.split(args)[0].rstrip("/") for name, args in instructions() if name == "COPY"}
    assert {"policies", "mock_cs_service", "shared", "csn", "pyproject.toml"} <= copied
    envs = " ".join(args for name, args in instructions() if name == "ENV")
    assert "CSN_MOCK_DATA=/app/mock_cs_service/data/orders.json" in envs
    assert (ROOT / "mock_cs_service/data/orders.json").is_file()


def test_every_copied_source_exists():
    for name, args in instructions():
        if name == "COPY":
            for source in shlex.split(args)[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_default_command_is_an_exec_form_csn_serve_the_cli_accepts():
    (cmd,) = [args for name, args in instructions() if name == "CMD"]
    argv = exec_form(cmd)
    assert argv[:2] == ["csn", "serve"]
    parsed = _parser().parse_args(argv[1:])
    assert parsed.service == "coordinator_agent"


@pytest.mark.parametrize("service", SERVICES)
def test_compose_commands_are_ones_the_cli_accepts(service):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    argv = compose["services"][service]["command"]
    parsed = _parser().parse_args(argv[1:])
    assert (parsed.service, parsed.port) == (service, SERVICES[service])


def test_healthcheck_is_exec_form_python_probing_healthz():
    (check,) = [args for name, args in instructions() if name == "HEALTHCHECK"]
    options, _, command = check.partition("CMD ")
    assert "--interval=" in options
    argv = exec_form(command)
    assert argv[:2] == ["python", "-c"]
    ast.parse(argv[2])
    assert "/healthz" in argv[2]


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", ".env"} <= ignored
