"""Settings of the mock CS service (`CSN_` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from mock_cs_service.desk import MAX_MESSAGE_BYTES, Channel
from mock_cs_service.followup import FollowUpTrait
from mock_cs_service.orders import DEFAULT_DATA
from mock_cs_service.personas import Persona
from mock_cs_service.wording import Wording
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Port 9003; the order data file; the simulation's starting configuration."""

    port: int = 9003
    max_body_bytes: int = MAX_MESSAGE_BYTES  # a message may carry five photos
    mock_data: Path | None = DEFAULT_DATA
    mock_persona: Persona = Persona.COOPERATIVE
    mock_channel: Channel = Channel.STRUCTURED
    mock_wording: Wording = Wording.FIRST  # whose words the text channel speaks
    mock_seed: int = Field(default=0, ge=0)
    mock_latency_ms: int = Field(default=0, ge=0, le=60_000)
    mock_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    mock_timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    mock_timeout_s: float = Field(default=35.0, ge=0.0, le=600.0)
    mock_followup: FollowUpTrait = FollowUpTrait.RELIABLE  # how remedies post after agreement
    # Bearer token of the admin API and customer profiles; unset: open to loopback only.
    mock_admin_token: SecretStr = SecretStr("")
