"""The fleet's retry policy, declared once: transient errors only, exponential backoff with jitter."""

from __future__ import annotations

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.limits import RETRY_INITIAL_S, RETRY_MAX_S

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


def is_transient(error: BaseException) -> bool:
    """Connection failures, timeouts, and the HTTP statuses that mean 'try again'."""
    if isinstance(error, httpx.TransportError):
        return True
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in RETRYABLE_STATUS
    return False


def transient_retry(
    attempts: int = 3,
    initial: float = RETRY_INITIAL_S,
    maximum: float = RETRY_MAX_S,
    on_retry: object = None,
) -> AsyncRetrying:
    """An AsyncRetrying for transient errors; re-raises the original error at the end."""
    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait_exponential_jitter(initial=initial, max=maximum, jitter=initial),
        reraise=True,
        before_sleep=on_retry if callable(on_retry) else None,
    )
