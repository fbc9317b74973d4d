"""The coordinator's settings (CSN_ environment variables)."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from shared.settings import ServiceSettings, dev_secret


class Settings(ServiceSettings):
    """Coordinator settings; the shared base holds the URLs, tokens, key and database URL."""

    port: int = 9000
    # The customer API takes small JSON bodies; messages are capped at 4000 characters.
    max_body_bytes: int = 64_000
    watchdog_interval_s: float = 30.0
    purge_interval_s: float = 3600.0
    retention_days: float = 90.0
    working_state_timeout_s: float = 600.0
    negotiation_deadline_s: float = 1800.0
    max_rounds: int = 20
    sse_poll_s: float = 0.5
    agent_max_connections: int = 1024
    agent_outage_grace_s: float = 30.0
    # The HMAC key of checksums and token hashes: separate from the encryption keys, so
    # rotating those (CSN_ENCRYPTION_KEY=new,old) keeps every hash valid.
    hmac_key: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _fill_hmac_key(self) -> Settings:
        if not self.hmac_key.get_secret_value():
            self.hmac_key = SecretStr(dev_secret(self.var_dir, "hmac_key"))
        return self
