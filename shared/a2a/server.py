"""The A2A v1.0 JSON-RPC server, written once: card, dispatch, tasks, errors, SSE."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from shared import metrics
from shared.a2a import errors
from shared.a2a.models import (
    CARD_PATH,
    TERMINAL_TASK_STATES,
    AgentCard,
    Artifact,
    CancelTaskParams,
    GetTaskParams,
    ListTasksParams,
    Message,
    Part,
    Role,
    SendMessageParams,
    Task,
    TaskState,
    TaskStatus,
    without_files,
)
from shared.auth import bearer_token_valid
from shared.logs import get_logger, log_context

log = get_logger(__name__)
SUPPORTED_MAJOR = "1"


@dataclass
class SkillContext:
    """What a skill handler may know about the call besides its input."""

    app: FastAPI
    task_id: str
    context_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    files: list[Part] = field(default_factory=list)  # the message's file parts (raw bytes)


SkillHandler = Callable[[Any, SkillContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Skill:
    """One skill: its card entry, its input model and its handler."""

    id: str
    name: str
    description: str
    handler: SkillHandler
    input_model: type[BaseModel] | None = None
    tags: Sequence[str] = ()
    examples: Sequence[str] = ()


class InputRequired(Exception):
    """The skill needs more from the caller: the task waits in INPUT_REQUIRED."""

    def __init__(self, output: dict[str, Any], question: str) -> None:
        super().__init__(question)
        self.output = output
        self.question = question


class SkillError(Exception):
    """The skill cannot do this: the task ends FAILED with this reason.

    `retryable` says the cause is passing (a dependency of the agent is down), so the
    caller may try the same call again later; the task's output carries it.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class SkillOutcome:
    state: TaskState
    output: dict[str, Any] | None
    text: str


class TaskStore:
    """In-memory tasks, oldest dropped past `retention` (the agents keep no state between calls)."""

    def __init__(self, retention: int = 10_000) -> None:
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._retention = retention

    def put(self, task: Task) -> None:
        self._tasks[task.id] = task
        self._tasks.move_to_end(task.id)
        while len(self._tasks) > self._retention:
            self._tasks.popitem(last=False)

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise errors.TaskNotFoundError(f"Task {task_id[:80]!r} not found") from None

    def list(self, params: ListTasksParams) -> list[Task]:
        tasks = reversed(self._tasks.values())
        return [
            t
            for t in tasks
            if (params.context_id is None or t.context_id == params.context_id)
            and (params.status is None or t.status.state == params.status)
        ]


def find_skill_call(message: Message) -> tuple[str, Any] | None:
    """The fleet's convention: a data part `{"skill": id, "input": {...}}`."""
    for part in message.parts:
        if isinstance(part.data, dict) and isinstance(part.data.get("skill"), str):
            return part.data["skill"], part.data.get("input", {})
    return None


def _agent_message(text: str, task: Task) -> Message:
    return Message(
        message_id=str(uuid.uuid4()),
        role=Role.AGENT,
        parts=[Part(text=text)],
        task_id=task.id,
        context_id=task.context_id,
    )


def _trim_history(task: Task, history_length: int | None, artifacts: bool = True) -> Task:
    if history_length is None and artifacts:
        return task
    update: dict[str, Any] = {}
    if history_length is not None:
        update["history"] = task.history[-history_length:] if history_length else []
    if not artifacts:
        update["artifacts"] = []
    return task.model_copy(update=update)


class A2AServer:
    """Serves one agent: its public card and its bearer-protected JSON-RPC endpoint."""

    def __init__(
        self, card: AgentCard, skills: Sequence[Skill], token: str, service: str, retention: int
    ) -> None:
        self.card = card
        self.skills = {s.id: s for s in skills}
        self._token = token
        self._service = service
        self.tasks = TaskStore(retention)
        self._methods: dict[str, Callable[[dict[str, Any], Request], Awaitable[Any]]] = {
            "SendMessage": self._send_message,
            "GetTask": self._get_task,
            "CancelTask": self._cancel_task,
            "ListTasks": self._list_tasks,
        }
        self._streams: dict[str, Callable[[dict[str, Any], Request, Any], Awaitable[Response]]] = {
            "SendStreamingMessage": self._stream_message,
            "SubscribeToTask": self._subscribe,
        }

    def router(self) -> APIRouter:
        """Card at the well-known path; JSON-RPC at `/` (and the interface URL)."""
        router = APIRouter()
        router.add_api_route(CARD_PATH, self._card, methods=["GET"], tags=["a2a"])
        router.add_api_route("/", self.endpoint, methods=["POST"], tags=["a2a"])
        router.add_api_route("/a2a", self.endpoint, methods=["POST"], tags=["a2a"])
        return router

    async def _card(self) -> JSONResponse:
        return JSONResponse(self.card.wire())

    async def endpoint(self, request: Request) -> Response:
        """One JSON-RPC request in, one response (or an SSE stream) out."""
        if not bearer_token_valid(request.headers.get("authorization"), self._token):
            return JSONResponse(
                {"detail": "a valid bearer token is required (Authorization: Bearer <token>)"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="a2a"'},
            )
        rpc_id: Any = None
        method = "unknown"
        started = time.perf_counter()
        try:
            _check_content_type(request.headers.get("content-type"))
            payload = self._parse(await request.body())
            rpc_id = payload.get("id")
            method = self._check_envelope(payload, request)
            if method in self._streams:
                stream = await self._streams[method](payload.get("params") or {}, request, rpc_id)
                self._count(method, "ok", started)
                return stream
            result = await self._methods[method](payload.get("params") or {}, request)
            self._count(method, "ok", started)
            return RPCResponse({"jsonrpc": "2.0", "id": rpc_id, "result": result})
        except errors.A2AError as error:
            self._count(method, error.reason.lower(), started)
            return RPCResponse({"jsonrpc": "2.0", "id": rpc_id, "error": error.to_json()})

    def _count(self, method: str, result: str, started: float) -> None:
        known = method if method in self._methods or method in self._streams else "unknown"
        metrics.A2A_SERVER_REQUESTS.labels(self._service, known, result).inc()
        metrics.A2A_SERVER_SECONDS.labels(self._service, known).observe(
            time.perf_counter() - started
        )

    @staticmethod
    def _parse(body: bytes) -> dict[str, Any]:
        try:
            payload = orjson.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise errors.ParseError() from None
        if isinstance(payload, list):
            raise errors.InvalidRequestError("Batch requests are not supported")
        if not isinstance(payload, dict):
            raise errors.InvalidRequestError("The request must be a JSON object")
        return payload

    def _check_envelope(self, payload: dict[str, Any], request: Request) -> str:
        if payload.get("jsonrpc") != "2.0":
            raise errors.InvalidRequestError('"jsonrpc" must be "2.0"')
        rpc_id = payload.get("id")
        if rpc_id is not None and (isinstance(rpc_id, bool) or not isinstance(rpc_id, str | int)):
            raise errors.InvalidRequestError('"id" must be a string, a number or null')
        method = payload.get("method")
        if not isinstance(method, str):
            raise errors.InvalidRequestError('"method" must be a string')
        params = payload.get("params")
        if params is not None and not isinstance(params, dict):
            raise errors.InvalidParamsError('"params" must be an object')
        version = request.headers.get("a2a-version") or "0.3"
        if version.split(".")[0] != SUPPORTED_MAJOR:
            raise errors.VersionNotSupportedError(
                f"A2A version {version[:20]!r} is not supported; send 'A2A-Version: 1.0'"
            )
        if method in self._methods or method in self._streams:
            return method
        if "PushNotification" in method:
            raise errors.PushNotificationNotSupportedError()
        if method == "GetExtendedAgentCard":
            raise errors.ExtendedCardNotConfiguredError()
        raise errors.MethodNotFoundError(f"Unknown method {method[:80]!r}")

    @staticmethod
    def _validate(model: type[BaseModel], params: dict[str, Any]) -> Any:
        try:
            return model.model_validate(params)
        except ValidationError as error:
            raise errors.InvalidParamsError(_summarize(error)) from None

    # --- methods -------------------------------------------------------------------

    async def _send_message(self, params: dict[str, Any], request: Request) -> dict[str, Any]:
        send = self._validate(SendMessageParams, params)
        task, run = self._start(send, request)
        config = send.configuration
        if config is None or not config.return_immediately:
            await asyncio.shield(run)
        history = config.history_length if config else None
        return {"task": _trim_history(self.tasks.get(task.id), history).wire()}

    async def _stream_message(
        self, params: dict[str, Any], request: Request, rpc_id: Any
    ) -> StreamingResponse:
        send = self._validate(SendMessageParams, params)
        task, run = self._start(send, request)
        return _event_stream(self._task_events(rpc_id, task, run))

    async def _subscribe(
        self, params: dict[str, Any], request: Request, rpc_id: Any
    ) -> StreamingResponse:
        query = self._validate(GetTaskParams, params)
        task = self.tasks.get(query.id)
        if task.status.state in TERMINAL_TASK_STATES:
            raise errors.UnsupportedOperationError(
                f"Task is already {task.status.state.value}: there is nothing to subscribe to"
            )
        return _event_stream(self._task_events(rpc_id, task, self.tasks._runs.get(task.id)))

    async def _task_events(
        self, rpc_id: Any, task: Task, run: asyncio.Task[None] | None
    ) -> AsyncIterator[str]:
        """The task now, then (once its skill is done) its artifacts and final status."""
        yield _sse(rpc_id, {"task": task.wire()})
        if run is None:
            return  # interrupted (waiting for input): nothing more will happen by itself
        await asyncio.shield(run)
        done = self.tasks.get(task.id)
        ids = {"taskId": done.id, "contextId": done.context_id}
        for artifact in done.artifacts:
            yield _sse(rpc_id, {"artifactUpdate": {**ids, "artifact": artifact.wire()}})
        yield _sse(rpc_id, {"statusUpdate": {**ids, "status": done.status.wire()}})

    async def _get_task(self, params: dict[str, Any], request: Request) -> dict[str, Any]:
        query = self._validate(GetTaskParams, params)
        return _trim_history(self.tasks.get(query.id), query.history_length).wire()

    async def _cancel_task(self, params: dict[str, Any], request: Request) -> dict[str, Any]:
        query = self._validate(CancelTaskParams, params)
        task = self.tasks.get(query.id)
        if task.status.state in TERMINAL_TASK_STATES:
            raise errors.TaskNotCancelableError(
                f"Task is already {task.status.state.value} and cannot be canceled"
            )
        run = self.tasks._runs.pop(task.id, None)
        if run is not None:
            run.cancel()
        task.status = TaskStatus(
            state=TaskState.CANCELED, message=_agent_message("Canceled.", task)
        )
        return task.wire()

    async def _list_tasks(self, params: dict[str, Any], request: Request) -> dict[str, Any]:
        query = self._validate(ListTasksParams, params)
        tasks = self.tasks.list(query)
        size = query.page_size or 50
        start = int(query.page_token) if (query.page_token or "").isdigit() else 0
        page = tasks[start : start + size]
        more = start + size < len(tasks)
        return {
            "tasks": [
                _trim_history(t, query.history_length, bool(query.include_artifacts)).wire()
                for t in page
            ],
            "nextPageToken": str(start + size) if more else "",
            "pageSize": size,
            "totalSize": len(tasks),
        }

    # --- running skills ------------------------------------------------------------

    def _start(self, send: SendMessageParams, request: Request) -> tuple[Task, asyncio.Task[None]]:
        """Create (or continue) the task for this message and start its skill."""
        message = send.message
        call = self._resolve(message)  # bad input is a -32602 before any task exists
        if message.task_id:
            task = self.tasks.get(message.task_id)
            if task.status.state != TaskState.INPUT_REQUIRED:
                raise errors.UnsupportedOperationError(
                    f"Task is {task.status.state.value}; only a task awaiting input takes messages"
                )
        else:
            task = Task(
                id=str(uuid.uuid4()),
                context_id=message.context_id or str(uuid.uuid4()),
                status=TaskStatus(state=TaskState.SUBMITTED),
            )
        message = message.model_copy(update={"task_id": task.id, "context_id": task.context_id})
        files = [p for p in message.parts if p.raw is not None]
        task.history.append(without_files(message))
        task.status = TaskStatus(state=TaskState.WORKING)
        self.tasks.put(task)
        metadata = {**(send.metadata or {}), **(message.metadata or {})}
        context = SkillContext(request.app, task.id, task.context_id, metadata, files)
        run = asyncio.create_task(self._run(task, call, context))
        self.tasks._runs[task.id] = run
        run.add_done_callback(lambda _: self.tasks._runs.pop(task.id, None))
        return task, run

    def _resolve(self, message: Message) -> tuple[Skill, Any] | str:
        """The skill and its validated input, or why the message is rejected."""
        call = find_skill_call(message)
        if call is None:
            known = ", ".join(sorted(self.skills))
            return (
                'No skill call found: send a data part {"skill": <id>, "input": {...}}. '
                f"Skills: {known}"
            )
        skill_id, raw_input = call
        skill = self.skills.get(skill_id)
        if skill is None:
            return f"Unknown skill {skill_id[:80]!r}; skills: {', '.join(sorted(self.skills))}"
        if skill.input_model is None:
            return skill, raw_input
        try:
            return skill, skill.input_model.model_validate(raw_input)
        except ValidationError as error:
            raise errors.InvalidParamsError(
                f"Invalid input for skill {skill.id}: {_summarize(error)}"
            ) from None

    async def _run(self, task: Task, call: tuple[Skill, Any] | str, context: SkillContext) -> None:
        ids = {k: context.metadata.get(k) for k in ("request_id", "session_id")}
        with log_context(task_id=task.id, **ids):
            if isinstance(call, str):
                outcome = SkillOutcome(TaskState.REJECTED, None, call)
            else:
                outcome = await self._invoke(*call, context)
                metrics.SKILL_CALLS.labels(call[0].id, outcome.state.value).inc()
        if task.status.state == TaskState.CANCELED:
            return
        if outcome.output is not None:
            task.artifacts = [Artifact(name="result", parts=[Part(data=outcome.output)])]
        reply = _agent_message(outcome.text, task)
        task.history.append(reply)
        task.status = TaskStatus(state=outcome.state, message=reply)

    @staticmethod
    async def _invoke(skill: Skill, value: Any, context: SkillContext) -> SkillOutcome:
        try:
            output = await skill.handler(value, context)
        except InputRequired as need:
            return SkillOutcome(TaskState.INPUT_REQUIRED, need.output, need.question)
        except SkillError as error:
            output = {"error": str(error), "retryable": error.retryable}
            return SkillOutcome(TaskState.FAILED, output, str(error))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("skill %s failed unexpectedly", skill.id)
            return SkillOutcome(TaskState.FAILED, {"error": "internal error"}, "Internal error")
        return SkillOutcome(TaskState.COMPLETED, output, f"{skill.id} completed")


def _check_content_type(content_type: str | None) -> None:
    """JSON-RPC bodies are JSON; a request that says otherwise is refused (-32005)."""
    if content_type is None:
        return
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise errors.ContentTypeNotSupportedError(
            f"Content-Type {media[:60]!r} is not supported; send application/json"
        )


class RPCResponse(JSONResponse):
    """A JSON-RPC answer rendered by orjson: several times faster than the stdlib's `json`,
    on every skill call an agent answers."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def _event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream")


def _sse(rpc_id: Any, result: dict[str, Any]) -> str:
    return f"data: {orjson.dumps({'jsonrpc': '2.0', 'id': rpc_id, 'result': result}).decode()}\n\n"


def _summarize(error: ValidationError) -> str:
    """A short, readable summary of what is wrong with the input (no input values echoed)."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in error.errors()[:5]
    ]
    return "; ".join(problems)
