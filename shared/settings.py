"""One typed settings base for every service: `CSN_` environment variables, `.env` honoured."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import limits

GENERATED_SECRETS = ("agent_token", "ops_token", "encryption_key")


def dev_secret(var_dir: Path, name: str) -> str:
    """Read a generated development secret from `var/`, creating it on first use."""
    path = var_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = _new_secret(name)
    # Create exclusively so two services starting at once agree on one value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _new_secret(name: str) -> str:
    if name == "encryption_key":
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    return secrets.token_urlsafe(32)


class ServiceSettings(BaseSettings):
    """Settings every service shares; each service subclasses it in its `config.py`."""

    model_config = SettingsConfigDict(
        env_prefix="CSN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = 9000
    public_url: str = ""  # the URL peers reach this service at, for its agent card
    var_dir: Path = Path("var")
    log_level: str = "INFO"
    log_json: bool = True
    max_body_bytes: int = 1_000_000

    agent_token: SecretStr = SecretStr("")
    ops_token: SecretStr = SecretStr("")
    encryption_key: SecretStr = SecretStr("")

    coordinator_url: str = "http://127.0.0.1:9000"
    context_url: str = "http://127.0.0.1:9001"
    negotiation_url: str = "http://127.0.0.1:9002"
    cs_url: str = "http://127.0.0.1:9003"

    policy_dir: Path = Path("policies")
    mock_data: Path | None = None
    database_url: str = ""

    a2a_timeout_s: float = limits.A2A_TIMEOUT_S
    a2a_max_attempts: int = limits.A2A_MAX_ATTEMPTS
    cs_timeout_s: float = limits.CS_TIMEOUT_S
    cs_max_attempts: int = limits.CS_MAX_ATTEMPTS
    task_retention: int = 10_000
    # How long a simulated day lasts (promise due dates, the mock's postings): small in tests.
    day_seconds: float = Field(default=limits.DAY_SECONDS, gt=0)

    # Optional: with ANTHROPIC_API_KEY, Claude checks the reader and rewords our messages.
    anthropic_api_key: SecretStr | None = None
    claude_model: str = "claude-sonnet-4-5"

    @model_validator(mode="before")
    @classmethod
    def _read_anthropic_key(cls, data: Any) -> Any:
        # ANTHROPIC_API_KEY is the SDK's own name; honour it without the CSN_ prefix.
        if isinstance(data, dict) and "anthropic_api_key" not in data:
            key = os.environ.get("ANTHROPIC_API_KEY")
            if key:
                data["anthropic_api_key"] = key
        return data

    @model_validator(mode="after")
    def _fill_dev_secrets(self) -> ServiceSettings:
        for name in GENERATED_SECRETS:
            if not getattr(self, name).get_secret_value():
                setattr(self, name, SecretStr(dev_secret(self.var_dir, name)))
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'coordinator.db'}"
        return self
