"""The coordinator's settings (CSN_ environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from shared import limits
from shared.settings import ServiceSettings, dev_secret


class Settings(ServiceSettings):
    """Coordinator settings; the shared base holds the URLs, tokens, key and database URL."""

    port: int = 9000
    # The customer API takes small JSON bodies; messages are capped at 4000 characters.
    max_body_bytes: int = limits.MAX_API_BODY_BYTES
    # ... except where photos come in (a new case, photos added): five at their limit.
    max_photo_body_bytes: int = limits.MAX_PHOTO_BODY_BYTES
    watchdog_interval_s: float = 30.0
    purge_interval_s: float = 3600.0
    retention_days: float = limits.RETENTION_DAYS
    working_state_timeout_s: float = limits.WORKING_STATE_TIMEOUT_S
    negotiation_deadline_s: float = limits.NEGOTIATION_DEADLINE_S
    max_rounds: int = Field(default=limits.MAX_ROUNDS, ge=1, le=limits.MAX_ROUNDS)
    remind_after_s: float = Field(default=limits.REMIND_AFTER_S, gt=0)
    wait_timeout_s: float = Field(default=limits.WAIT_TIMEOUT_S, gt=0)
    cs_retry_schedule_s: tuple[float, ...] = limits.CS_RETRY_SCHEDULE_S
    farewell_retry_s: tuple[float, ...] = limits.FAREWELL_RETRY_S
    sse_poll_s: float = 0.5
    # How long a thread may hold the GIL while another waits for it (Python's default 5 ms).
    # A store thread back from the database waits that long for the busy event loop to let
    # go; with one store thread serving every case (SQLite), those waits queued up.
    gil_switch_interval_s: float = Field(default=0.0005, gt=0, le=0.1)
    agent_max_connections: int = 1024
    agent_outage_grace_s: float = limits.AGENT_OUTAGE_GRACE_S
    # Follow-through, in days of CSN_DAY_SECONDS: a promise is broken this long after its due
    # date; after chasing CS about it, the order system is looked at again this much later.
    promise_grace_days: float = Field(default=limits.PROMISE_GRACE_DAYS, ge=0, le=60)
    promise_recheck_days: float = Field(default=limits.PROMISE_RECHECK_DAYS, gt=0, le=60)
    # The HMAC key of checksums and token hashes: separate from the encryption keys, so
    # rotating those (CSN_ENCRYPTION_KEY=new,old) keeps every hash valid.
    hmac_key: SecretStr = SecretStr("")
    # The retailer's customer profiles (linking an account) sit behind the mock CS's admin
    # token; unset, the mock answers loopback callers only.
    mock_admin_token: SecretStr = SecretStr("")
    cookie_secure: bool = False  # mark the page's session cookie Secure (behind HTTPS)
    # New cases per account per minute (unset: the table's limit). Load tests that play
    # many customers through the few demo accounts raise it (`csn bench-compare` does).
    sessions_per_account: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _fill_hmac_key(self) -> Settings:
        if not self.hmac_key.get_secret_value():
            self.hmac_key = SecretStr(dev_secret(self.var_dir, "hmac_key"))
        return self
