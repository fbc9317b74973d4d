"""The async A2A v1.0 client the agents use to call each other, with timeouts and retry."""

from __future__ import annotations

import itertools
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from tenacity import RetryCallState
from tenacity.wait import wait_base

from shared import metrics
from shared.a2a.errors import JSON_RPC_ERROR_CODE_MAP
from shared.a2a.models import (
    CARD_PATH,
    PROTOCOL_VERSION,
    Part,
    Task,
    TaskState,
    data_message,
)
from shared.limits import PEER_KEEPALIVE_S
from shared.logs import current_context, get_logger
from shared.retry import transient_retry

log = get_logger(__name__)


class A2AClientError(Exception):
    """Base class of the client's errors."""


class A2ACallError(A2AClientError):
    """The peer answered with a JSON-RPC error (or refused the call)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.error_class = JSON_RPC_ERROR_CODE_MAP.get(code)


class A2AUnavailable(A2AClientError):
    """The peer could not be reached, or kept failing, after every attempt.

    `down_for_s`: how long the peer has been unreachable from this client (since the first
    failure with no success after it), when the client knows; None otherwise."""

    def __init__(self, message: str, down_for_s: float | None = None) -> None:
        super().__init__(message)
        self.down_for_s = down_for_s


@dataclass(frozen=True)
class SkillResult:
    """A skill call's answer: the task's final state, the artifact's data, the status text."""

    state: TaskState
    output: dict[str, Any]
    message: str
    task_id: str

    @property
    def ok(self) -> bool:
        return self.state == TaskState.COMPLETED

    @property
    def retryable(self) -> bool:
        """Failed for a passing cause (the agent's own dependency is down): try again later."""
        return self.state == TaskState.FAILED and self.output.get("retryable") is True


class A2AClient:
    """Calls one peer agent over JSON-RPC with a bearer token; retries transient failures."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        token: str,
        *,
        peer: str,
        attempts: int = 3,
        timeout_s: float = 30.0,
        wait: wait_base | None = None,
    ) -> None:
        self._http = http
        self._url = url.rstrip("/") + "/"
        self._token = token
        self._peer = peer
        self._attempts = attempts
        self._timeout = timeout_s
        self._wait = wait
        self._down_since: float | None = None  # the first failure with no success since

    async def call_skill(
        self,
        skill: str,
        input: dict[str, Any],
        *,
        metadata: dict[str, Any] | None = None,
        files: Sequence[Part] = (),
    ) -> SkillResult:
        """Send a skill call (with `files` as file parts) and wait for its task to finish or
        ask for input."""
        meta = {**_context_metadata(), **(metadata or {})}
        message = data_message(
            {"skill": skill, "input": input}, text=f"Call {skill}", metadata=meta
        )
        if files:
            message = message.model_copy(update={"parts": [*message.parts, *files]})
        result = await self.request("SendMessage", {"message": message.wire()})
        if "task" not in result:
            raise A2ACallError(-32006, "expected a task in the SendMessage result")
        return _skill_result(Task.model_validate(result["task"]))

    async def get_task(self, task_id: str) -> Task:
        """Fetch a task by id."""
        return Task.model_validate(await self.request("GetTask", {"id": task_id}))

    async def card(self) -> dict[str, Any]:
        """The peer's public agent card."""
        response = await self._http.get(self._url.rstrip("/") + CARD_PATH, timeout=self._timeout)
        response.raise_for_status()
        card: dict[str, Any] = response.json()
        return card

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One JSON-RPC call, retried on transient failures; returns `result`."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await self._request_with_retry(method, params)
        except A2ACallError as error:
            outcome = f"error_{abs(error.code)}"
            raise
        except A2AUnavailable:
            outcome = "unavailable"
            raise
        finally:
            metrics.A2A_CLIENT_CALLS.labels(self._peer, method, outcome).inc()
            metrics.A2A_CLIENT_SECONDS.labels(self._peer, method).observe(
                time.perf_counter() - started
            )

    async def _request_with_retry(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        retrying = transient_retry(self._attempts, on_retry=self._on_retry)
        if self._wait is not None:
            retrying = retrying.copy(wait=self._wait)
        started = time.monotonic()
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._post(method, params)
        except (httpx.TransportError, httpx.HTTPStatusError) as error:
            if self._down_since is None:
                self._down_since = started
            down_for = time.monotonic() - self._down_since
            message = f"{self._peer} unavailable: {type(error).__name__}"
            raise A2AUnavailable(message, down_for_s=down_for) from error
        self._down_since = None
        return _unwrap(response)

    async def _post(self, method: str, params: dict[str, Any]) -> httpx.Response:
        body = {"jsonrpc": "2.0", "id": str(uuid.uuid4()), "method": method, "params": params}
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/json",
            "A2A-Version": PROTOCOL_VERSION,
            "X-Request-ID": current_context().get("request_id", str(uuid.uuid4())),
        }
        response = await self._http.post(  # orjson: several times faster than httpx's json
            self._url, content=orjson.dumps(body), headers=headers, timeout=self._timeout
        )
        if response.status_code in (401, 403):
            raise A2ACallError(response.status_code, f"{self._peer} refused the agent token")
        if response.status_code >= 500 or response.status_code == 429:
            response.raise_for_status()
        return response

    def _on_retry(self, state: RetryCallState) -> None:
        metrics.A2A_CLIENT_RETRIES.labels(self._peer).inc()
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "retrying call to %s (attempt %d): %s",
            self._peer,
            state.attempt_number,
            type(error).__name__,
        )


def _unwrap(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = orjson.loads(response.content)
    except ValueError:
        raise A2ACallError(-32006, f"non-JSON answer (HTTP {response.status_code})") from None
    if not isinstance(payload, dict):
        raise A2ACallError(-32006, "the answer is not a JSON-RPC object")
    if "error" in payload:
        error = payload["error"] or {}
        raise A2ACallError(int(error.get("code", -32603)), str(error.get("message", "")))
    result = payload.get("result")
    if not isinstance(result, dict):
        raise A2ACallError(-32006, "the answer has no result object")
    return result


def _skill_result(task: Task) -> SkillResult:
    output: dict[str, Any] = {}
    for artifact in task.artifacts:
        for part in artifact.parts:
            if isinstance(part.data, dict):
                output = part.data
    text = ""
    if task.status.message:
        text = " ".join(p.text for p in task.status.message.parts if p.text)
    return SkillResult(task.status.state, output, text, task.id)


def _context_metadata() -> dict[str, Any]:
    context = current_context()
    return {k: context[k] for k in ("request_id", "session_id") if k in context}


SHARD_CONNECTIONS = 8  # per pool: httpcore walks its pool (quadratically) twice per request


def peer_http_client(
    transport: httpx.AsyncBaseTransport | None = None, max_connections: int = 512
) -> httpx.AsyncClient:
    """The HTTP client a service uses for its peers: pools sized for many cases in flight.

    httpx keeps only 20 idle connections by default; under load every other call then
    pays a new TCP connection, so keep as many idle as may be busy at once, in pools of
    `SHARD_CONNECTIONS` (see `ShardedTransport`).
    """
    if transport is None:
        shards = max(1, max_connections // SHARD_CONNECTIONS)
        limits = httpx.Limits(
            max_connections=SHARD_CONNECTIONS,
            max_keepalive_connections=SHARD_CONNECTIONS,
            keepalive_expiry=PEER_KEEPALIVE_S,
        )
        transport = ShardedTransport(shards, limits)
    return httpx.AsyncClient(transport=transport)


class ShardedTransport(httpx.AsyncBaseTransport):
    """Spreads requests round-robin over several small connection pools.

    httpcore's pool walks all its connections (more than once) for every request it
    places; with hundreds of connections in one pool that walk costs more than the
    request itself. Several small pools keep it short.
    """

    def __init__(self, shards: int, limits: httpx.Limits) -> None:
        tls = ssl.create_default_context()  # one context for all: building one is slow
        self._pools = [httpx.AsyncHTTPTransport(limits=limits, verify=tls) for _ in range(shards)]
        self._next = itertools.cycle(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
