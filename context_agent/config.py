"""The context agent's settings (CSN_ environment variables, `.env` honoured)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Port 9001; where the policies and rule tables live; the order-system call budget."""

    port: int = 9001
    policy_dir: Path = Path("policies")
    rules_file: Path | None = None  # None: the rule tables shipped with the package
    order_timeout_s: float = Field(default=5.0, gt=0, le=60)
    order_max_attempts: int = Field(default=3, ge=1, le=10)
    order_retry_initial_s: float = Field(default=0.1, ge=0, le=10)
    order_cache_ttl_s: float = Field(default=5.0, ge=0, le=300)
    policy_limit: int = Field(default=10, ge=1, le=100)
