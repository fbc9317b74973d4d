"""An echo agent built by the shared app factory, served in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from shared.a2a.models import part_bytes
from shared.a2a.server import InputRequired, Skill, SkillContext, SkillError
from shared.service import create_service_app
from shared.settings import ServiceSettings


class EchoInput(BaseModel):
    text: str
    delay_s: float = 0.0


async def echo(inp: EchoInput, ctx: SkillContext) -> dict[str, Any]:
    if inp.delay_s:
        await asyncio.sleep(inp.delay_s)
    if inp.text == "?":
        raise InputRequired({"partial": True}, "Which order do you mean?")
    if inp.text == "fail":
        raise SkillError("cannot echo that")
    if inp.text == "boom":
        raise RuntimeError("unexpected")
    if ctx.files:  # what the call's file parts held, as the skill received them
        files = [[f.filename, f.media_type, len(part_bytes(f))] for f in ctx.files]
        return {"echo": inp.text, "files": files}
    return {"echo": inp.text}


ECHO = Skill("echo", "Echo", "Echoes its input.", echo, EchoInput, tags=("test",))


@pytest.fixture
def settings(tmp_path) -> ServiceSettings:
    return ServiceSettings(port=9999, var_dir=tmp_path, agent_token="test-token-123")


@pytest.fixture
def echo_app(settings):
    return create_service_app(settings, name="echo_agent", description="Echo.", skills=[ECHO])


@pytest.fixture
async def http(echo_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=echo_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        yield client
