"""Every test: no Anthropic key from the developer's environment, so no test can call Claude."""

from __future__ import annotations

import pytest

from tests.postgres import database_url, postgres_server  # noqa: F401  (shared fixtures)


@pytest.fixture(autouse=True)
def _no_anthropic_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("CSN_ANTHROPIC_API_KEY", "")  # wins over a key in .env
