"""The negotiation agent's settings (CSN_ environment variables, `.env` honoured)."""

from __future__ import annotations

from pydantic import Field

from negotiation_agent.strategy import HARD_DEADLINE_S, HARD_MAX_ROUNDS
from shared import limits
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Port 9002; the concession tactic and the CS call budget."""

    port: int = 9002
    # A negotiate call may carry the case's photos (file parts) for CS.
    max_body_bytes: int = limits.MAX_PHOTO_BODY_BYTES
    negotiation_beta: float = Field(default=0.3, gt=0.0, le=10.0)
    negotiation_max_rounds: int = Field(default=8, ge=1, le=HARD_MAX_ROUNDS)
    negotiation_deadline_s: int = Field(default=HARD_DEADLINE_S, ge=1, le=HARD_DEADLINE_S)
    negotiation_floor_share: float = Field(default=0.8, ge=0.0, le=1.0)
    # First backoff of a retried CS call, in seconds; 0 retries at once (tests).
    cs_retry_initial_s: float = Field(default=0.5, ge=0.0, le=30.0)
