"""The customer REST API (DESIGN.md section 3) and the ops queue of escalations."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError

from coordinator_agent.case import session_view
from coordinator_agent.feed import wait_for_change
from coordinator_agent.letters import dispute_markdown, dispute_pdf
from coordinator_agent.models import (
    Accepted,
    CreateSession,
    Decision,
    MessageIn,
    Rating,
    Resolution,
    SessionCreated,
    SessionDocument,
)
from coordinator_agent.store import (
    ConcurrencyConflict,
    Escalation,
    EscalationNotFound,
    Event,
    IdempotencyKeyReused,
    NewEvent,
    SessionIntegrityError,
    SessionNotFound,
    SessionStore,
    StoredSession,
    TokenExpired,
    TokenForOtherSession,
    TokenInvalid,
    canonical_json,
)
from coordinator_agent.workflow import InvalidInput, InvalidState, Workflow
from shared.auth import bearer_token_valid
from shared.domain import TERMINAL_STATES, SessionState

MAX_ID_CHARS = 64
HEARTBEAT_S = 15.0
customer_bearer = HTTPBearer(
    auto_error=False, description="The session token from POST /v1/sessions"
)
ops_bearer = HTTPBearer(auto_error=False, description="The ops token (CSN_OPS_TOKEN)")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(customer_bearer)]
OpsCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(ops_bearer)]

_ERRORS: dict[str, Any] = {
    401: {"description": "Missing, invalid or expired token"},
    403: {"description": "The token belongs to another session"},
    404: {"description": "No such session"},
    409: {"description": "Not possible in the session's current state"},
}


def _store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.store
    return store


def _workflow(request: Request) -> Workflow:
    workflow: Workflow = request.app.state.workflow
    return workflow


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def session_access(session_id: str, request: Request, credentials: Credentials) -> str:
    """The session id, once the caller's bearer token proved it may see it."""
    if credentials is None:
        raise _unauthorized("a session token is required (Authorization: Bearer <token>)")
    if len(session_id) > MAX_ID_CHARS or len(credentials.credentials) > 200:
        raise HTTPException(404, "no such session")
    try:
        _store(request).authenticate(session_id, credentials.credentials)
    except (TokenInvalid, TokenExpired) as error:
        raise _unauthorized(str(error)) from None
    except TokenForOtherSession as error:
        raise HTTPException(403, str(error)) from None
    except SessionNotFound:
        raise HTTPException(404, "no such session") from None
    return session_id


def ops_access(request: Request, credentials: OpsCredentials) -> None:
    """Let only holders of the ops token in."""
    expected = request.app.state.settings.ops_token.get_secret_value()
    header = f"Bearer {credentials.credentials}" if credentials else None
    if not bearer_token_valid(header, expected):
        raise _unauthorized("the ops token is required (Authorization: Bearer <CSN_OPS_TOKEN>)")


SessionId = Annotated[str, Depends(session_access)]


def load(request: Request, session_id: str) -> StoredSession:
    """Read a session; one that fails its integrity check is escalated and refused."""
    try:
        return _store(request).get(session_id)
    except SessionNotFound:
        raise HTTPException(404, "no such session") from None
    except SessionIntegrityError as error:
        _workflow(request).quarantine(session_id, error)
        raise HTTPException(
            409, "this session failed its integrity check and was handed to a human"
        ) from None


def _iso(at: float | None) -> str | None:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds") if at else None


def event_json(event: Event) -> dict[str, Any]:
    """One event as the API serves it."""
    return {
        "seq": event.seq,
        "at": _iso(event.at),
        "type": event.type,
        "state": event.state,
        "actor": event.actor,
        "detail": event.detail,
    }


def escalation_json(escalation: Escalation) -> dict[str, Any]:
    """One escalation with its full context, as the ops queue serves it."""
    return {
        "id": escalation.id,
        "session_id": escalation.session_id,
        "reason_code": escalation.reason_code,
        "status": escalation.status,
        "created_at": _iso(escalation.created_at),
        "resolved_at": _iso(escalation.resolved_at),
        "context": escalation.context,
        "resolution": escalation.resolution,
    }


def _act(request: Request, session_id: str, action: Any) -> SessionState:
    """Run a workflow action, mapping its refusals to 409s."""
    load(request, session_id)  # integrity first: never act on a corrupted case
    try:
        state: SessionState = action()
    except InvalidInput as error:
        raise HTTPException(422, str(error)) from None
    except InvalidState as error:
        raise HTTPException(409, str(error)) from None
    except ConcurrencyConflict as error:
        raise HTTPException(409, str(error)) from None
    except SessionIntegrityError:
        load(request, session_id)
        raise
    return state


router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe creation: the same key and body give the same session",
    ),
]


@router.post(
    "",
    status_code=202,
    response_model=SessionCreated,
    responses={409: {"description": "The Idempotency-Key came with a different body"}},
)
async def create_session(
    body: CreateSession, request: Request, idempotency_key: IdempotencyKey = None
) -> SessionCreated:
    """Open a case; it is persisted before the answer, then worked on in the background.

    With an `Idempotency-Key` header a retry (same key, same body) gets the session the
    first request opened, and its token; the same key with another body is a 409.
    """
    store = _store(request)
    fingerprint = canonical_json(body.model_dump(mode="json"))
    if idempotency_key is not None:
        replay = _created_with(store, idempotency_key, fingerprint)
        if replay is not None:
            return replay
    session_id = uuid.uuid4().hex
    doc = SessionDocument(
        id=session_id,
        customer_id=body.customer_id,
        message=body.message,
        order_id=body.order_id,
        auto_approve=body.auto_approve,
        created_at=time.time(),
    )
    created = NewEvent(
        "session_created",
        "customer",
        {"auto_approve": body.auto_approve, "order_id": body.order_id},
    )
    once = (idempotency_key, fingerprint) if idempotency_key is not None else None
    try:
        _, token = store.create(
            session_id, body.customer_id, doc.state, doc.model_dump(mode="json"),
            events=[created], idempotency=once,
        )  # fmt: skip
    except IntegrityError:  # a concurrent request with the same key committed first
        replay = _created_with(store, idempotency_key or "", fingerprint)
        if replay is None:
            raise
        return replay
    _workflow(request).start(session_id)
    return SessionCreated(session_id=session_id, token=token, state=SessionState.RECEIVED)


def _created_with(store: SessionStore, key: str, fingerprint: str) -> SessionCreated | None:
    """The answer a first request with this Idempotency-Key got, if there was one."""
    try:
        found = store.created_with(key, fingerprint)
    except IdempotencyKeyReused as error:
        raise HTTPException(409, str(error)) from None
    if found is None:
        return None
    session_id, token = found
    try:
        state = SessionState(store.get(session_id).state)
    except (SessionNotFound, SessionIntegrityError):
        raise HTTPException(409, "the session this key opened is no longer available") from None
    return SessionCreated(session_id=session_id, token=token, state=state)


@router.get("/{session_id}", responses=_ERRORS)
async def get_session(session_id: SessionId, request: Request) -> dict[str, Any]:
    """The whole case: state, analysis, policies, strategy, proposal, outcome, negotiation."""
    stored = load(request, session_id)
    doc = SessionDocument.model_validate(stored.document)
    view = session_view(doc, _store(request).rating(session_id))
    view["updated_at"] = _iso(stored.updated_at)
    view["created_at"] = _iso(stored.created_at)
    return view


@router.get("/{session_id}/events", responses=_ERRORS)
async def get_events(
    session_id: SessionId,
    request: Request,
    after: Annotated[int, Query(ge=0, le=10**9)] = 0,
    accept: Annotated[str, Header()] = "application/json",
    last_event_id: Annotated[str | None, Header()] = None,
) -> Any:
    """The case's history; with `Accept: text/event-stream`, a live stream of it."""
    load(request, session_id)
    if "text/event-stream" in accept:
        if last_event_id and last_event_id.isdigit():
            after = max(after, int(last_event_id))
        stream = _event_stream(request, session_id, after)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
    events = _store(request).events(session_id, after=after)
    return {"events": [event_json(e) for e in events]}


@router.get(
    "/{session_id}/dispute-packet",
    responses={
        **_ERRORS,
        200: {
            "content": {"application/pdf": {}, "text/markdown": {}},
            "description": "The dispute packet, as PDF or Markdown",
        },
        406: {"description": "Neither PDF nor Markdown is acceptable"},
    },
)
async def dispute_packet(
    session_id: SessionId,
    request: Request,
    format: Annotated[Literal["pdf", "md"] | None, Query()] = None,
    accept: Annotated[str, Header()] = "application/pdf",
) -> Response:
    """The dispute packet of a case whose promise CS broke and did not put right: order facts,
    timeline, CS's words, the policy basis and the deadline to file. `?format=pdf|md` or the
    Accept header (`application/pdf`, `text/markdown`) chooses the rendering."""
    stored = load(request, session_id)
    doc = SessionDocument.model_validate(stored.document)
    if doc.follow is None or doc.follow.dispute_at is None:
        raise HTTPException(
            409,
            "no dispute packet: it is prepared when CS breaks a promise and does not put it right",
        )
    chosen = format or _packet_format(accept)
    events = _store(request).events(session_id, limit=10_000)
    name = f"dispute-packet-{doc.order_id}"
    if chosen == "md":
        text = dispute_markdown(doc, events, doc.follow.dispute_at)
        headers = {"Content-Disposition": f'attachment; filename="{name}.md"'}
        return Response(text, media_type="text/markdown; charset=utf-8", headers=headers)
    pdf = dispute_pdf(doc, events, doc.follow.dispute_at)
    headers = {"Content-Disposition": f'attachment; filename="{name}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


def _packet_format(accept: str) -> str:
    """PDF unless the Accept header asks for Markdown (or only for something else: 406)."""
    wanted = accept.lower()
    if "text/markdown" in wanted and "application/pdf" not in wanted:
        return "md"
    if any(t in wanted for t in ("application/pdf", "*/*", "application/*")) or not wanted:
        return "pdf"
    raise HTTPException(406, "the dispute packet is served as application/pdf or text/markdown")


async def _event_stream(request: Request, session_id: str, after: int) -> AsyncIterator[str]:
    """New events as SSE until the case ends (or the client leaves); a heartbeat when idle.

    Changes made in this process wake the stream at once; the poll interval only bounds
    how late a change made by another coordinator instance is seen.
    """
    store = _store(request)
    poll = request.app.state.settings.sse_poll_s
    last, quiet = after, 0.0
    with request.app.state.feed.subscribe(session_id) as changed:
        while not await request.is_disconnected():
            changed.clear()
            events = store.events(session_id, after=last)
            for event in events:
                last = event.seq
                yield f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event_json(event))}\n\n"
            if events:
                quiet = 0.0
                if events[-1].state in TERMINAL_STATES:
                    continue  # maybe over: confirm on an immediate re-read
            else:
                try:
                    state = store.get(session_id).state
                except (SessionNotFound, SessionIntegrityError):
                    yield "event: end\ndata: {}\n\n"
                    return
                if state in TERMINAL_STATES:
                    yield f"event: end\ndata: {json.dumps({'state': state})}\n\n"
                    return
                quiet += poll
                if quiet >= HEARTBEAT_S:
                    quiet = 0.0
                    yield ": keep-alive\n\n"
            await wait_for_change(changed, poll)


@router.post("/{session_id}/decisions", responses=_ERRORS, response_model=Accepted)
async def decide(session_id: SessionId, body: Decision, request: Request) -> Accepted:
    """Approve or reject what awaits approval: the strategy, or the proposed outcome."""
    state = _act(request, session_id, lambda: _workflow(request).decide(session_id, body))
    return Accepted(session_id=session_id, state=state, detail=f"{body.decision} recorded")


@router.post("/{session_id}/messages", status_code=202, responses=_ERRORS, response_model=Accepted)
async def post_message(session_id: SessionId, body: MessageIn, request: Request) -> Accepted:
    """A clarification (the order id, or one of the offered choices), information CS asked
    for, or a change of mind at an approval."""
    workflow = _workflow(request)
    state = _act(
        request, session_id, lambda: workflow.add_message(session_id, body.text, body.choice)
    )
    return Accepted(session_id=session_id, state=state, detail="message taken into account")


@router.post("/{session_id}/cancel", responses=_ERRORS, response_model=Accepted)
async def cancel(session_id: SessionId, request: Request) -> Accepted:
    """Stop the case for good; during a round with CS, once that round has ended."""
    load(request, session_id)
    try:
        state = await _workflow(request).cancel(session_id)
    except (InvalidState, ConcurrencyConflict) as error:
        raise HTTPException(409, str(error)) from None
    if state == SessionState.NEGOTIATING:
        detail = "the case will be cancelled as soon as the current exchange with CS ends"
    elif state in (SessionState.RESOLVED, SessionState.MONITORING):
        detail = "too late to cancel: CS had already confirmed the agreement"
    else:
        detail = "the case is cancelled"
    return Accepted(session_id=session_id, state=state, detail=detail)


@router.post("/{session_id}/rating", responses=_ERRORS, response_model=Accepted)
async def rate(session_id: SessionId, body: Rating, request: Request) -> Accepted:
    """The customer's satisfaction, once the case is over."""
    stored = load(request, session_id)
    if stored.state not in TERMINAL_STATES:
        raise HTTPException(409, f"the case is still {stored.state}; rate it once it is over")
    _store(request).rate(session_id, body.score, body.comment)
    return Accepted(
        session_id=session_id, state=SessionState(stored.state), detail="thank you for rating"
    )


ops_router = APIRouter(prefix="/v1/ops", tags=["ops"], dependencies=[Depends(ops_access)])


@ops_router.get("/escalations", responses={401: _ERRORS[401]})
async def list_escalations(
    request: Request,
    status: Literal["open", "resolved", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """The human queue: each escalated case with its order, timeline, policies and CS quotes."""
    found = _store(request).escalations(None if status == "all" else status, limit)
    return {"escalations": [escalation_json(e) for e in found]}


@ops_router.post("/escalations/{escalation_id}/resolve", responses=_ERRORS)
async def resolve_escalation(
    escalation_id: str, body: Resolution, request: Request
) -> JSONResponse:
    """Close an escalation; the case ends the way the human decided."""
    store = _store(request)
    try:
        escalation = store.escalation(escalation_id[:MAX_ID_CHARS])
    except EscalationNotFound:
        raise HTTPException(404, "no such escalation") from None
    if escalation.status != "open":
        raise HTTPException(409, f"the escalation is already {escalation.status}")
    _close_session(request, escalation.session_id, body)
    try:
        resolved = store.resolve_escalation(escalation.id, body.model_dump(mode="json"))
    except ConcurrencyConflict as error:
        raise HTTPException(409, str(error)) from None
    return JSONResponse(escalation_json(resolved))


def _close_session(request: Request, session_id: str, body: Resolution) -> None:
    """End the escalated case as resolved or failed; a corrupted one stays quarantined."""
    try:
        stored = _store(request).get(session_id)
    except (SessionNotFound, SessionIntegrityError):
        return
    if stored.state in (SessionState.ESCALATED, SessionState.CS_UNAVAILABLE):
        try:
            _workflow(request).resolve(session_id, body)
        except ConcurrencyConflict as error:
            raise HTTPException(409, str(error)) from None
