"""A2A file parts: a skill call carries files to the skill; the agent keeps only their names."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from shared.a2a.client import A2AClient
from shared.a2a.models import file_part, part_bytes
from shared.service import LargeBodies, create_service_app
from tests.shared.conftest import ECHO

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # bytes that are not text


async def test_files_reach_the_skill_and_the_task_keeps_only_their_names(echo_app) -> None:
    transport = httpx.ASGITransport(app=echo_app)
    async with httpx.AsyncClient(transport=transport) as http:
        client = A2AClient(http, "http://agent", "test-token-123", peer="echo")
        files = [file_part(PHOTO, "image/jpeg", "photo-1.jpg"), file_part(b"png", "image/png", "b")]
        result = await client.call_skill("echo", {"text": "hi"}, files=files)
        assert result.ok
        assert result.output["files"] == [
            ["photo-1.jpg", "image/jpeg", len(PHOTO)],
            ["b", "image/png", 3],
        ]
        task = await client.get_task(result.task_id)
    kept = json.dumps(task.wire())
    assert files[0].raw not in kept and '"raw"' not in kept
    parts = task.history[0].parts
    assert [p.data for p in parts if isinstance(p.data, dict) and "file" in p.data] == [
        {"file": "photo-1.jpg", "mediaType": "image/jpeg", "bytes": len(PHOTO)},
        {"file": "b", "mediaType": "image/png", "bytes": 3},
    ]


def test_a_file_part_round_trips_its_bytes_and_refuses_what_is_not_base64() -> None:
    part = file_part(PHOTO, "image/jpeg", "photo-1.jpg")
    assert part.wire() == {
        "raw": part.raw, "mediaType": "image/jpeg", "filename": "photo-1.jpg"
    }  # fmt: skip
    assert part_bytes(part) == PHOTO
    with pytest.raises(ValueError, match="base64"):
        part_bytes(part.model_copy(update={"raw": "not base64!"}))


async def test_large_bodies_only_on_their_paths_and_only_with_credentials(settings) -> None:
    settings.max_body_bytes = 1_000
    app = create_service_app(
        settings, name="echo_agent", description="Echo.", skills=[ECHO],
        large_bodies=LargeBodies(re.compile(r"/big"), 100_000),
    )  # fmt: skip
    body = b"x" * 50_000
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://a"
    ) as http:
        signed = {"Authorization": "Bearer anything"}
        assert (await http.post("/big", content=body, headers=signed)).status_code == 404  # read
        assert (await http.post("/big", content=body)).status_code == 413  # no credentials
        assert (await http.post("/", content=body, headers=signed)).status_code == 413
        too_big = b"x" * 100_001
        assert (await http.post("/big", content=too_big, headers=signed)).status_code == 413
