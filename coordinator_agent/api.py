"""The customer REST API (DESIGN.md section 3) and the ops queue of escalations."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from coordinator_agent.account_api import (
    AccountId,
    accounts_of,
    presented_token,
    signed_in_account,
    too_many,
)
from coordinator_agent.accounts import AccountStore, Throttled
from coordinator_agent.case import session_view
from coordinator_agent.evidence import CleanPhoto, PhotoRejected, clean_photo
from coordinator_agent.feed import wait_for_change
from coordinator_agent.letters import dispute_markdown, dispute_pdf
from coordinator_agent.models import (
    Accepted,
    CreateSession,
    Decision,
    MessageIn,
    PhotoIn,
    PhotoRecord,
    PhotosIn,
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
    NewPhoto,
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
from shared import limits
from shared.auth import bearer_token_valid
from shared.domain import TERMINAL_STATES, SessionState

P = ParamSpec("P")
R = TypeVar("R")

MAX_ID_CHARS = 64
HEARTBEAT_S = 15.0
customer_bearer = HTTPBearer(
    auto_error=False,
    description="The account token (POST /v1/auth/login) or a session's own token",
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


async def _offload(
    request: Request, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run blocking store work in the coordinator's store threads (never on the event loop)."""
    return await _workflow(request).offload(work, *args, **kwargs)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def session_access(session_id: str, request: Request, credentials: Credentials) -> str:
    """The session id, once the caller proved they may see it: the account that opened it
    (bearer token or the page's cookie), or the session's own token (a share link)."""
    presented = presented_token(request, credentials)
    if presented is None:
        raise _unauthorized("a token is required (Authorization: Bearer <token>)")
    token, via_cookie = presented
    if len(session_id) > MAX_ID_CHARS or len(token) > 200:
        raise HTTPException(404, "no such session")
    # One trip to a store thread for every check (each trip waits its turn behind the cases).
    await _offload(request, _check_access, request, session_id, token, via_cookie)
    return session_id


def _check_access(request: Request, session_id: str, token: str, via_cookie: bool) -> None:
    """Raise the HTTP error unless `token` opens `session_id` (runs in a store thread)."""
    account_id = signed_in_account(request, token, via_cookie)
    if account_id is not None:
        if not accounts_of(request).owns(account_id, session_id):
            raise HTTPException(404, "no such session")
        return
    if via_cookie:
        raise _unauthorized("your sign-in expired; sign in again")
    try:
        _store(request).authenticate(session_id, token)
    except (TokenInvalid, TokenExpired) as error:
        raise _unauthorized(str(error)) from None
    except TokenForOtherSession as error:
        raise HTTPException(403, str(error)) from None
    except SessionNotFound:
        raise HTTPException(404, "no such session") from None


def ops_access(request: Request, credentials: OpsCredentials) -> None:
    """Let only holders of the ops token in."""
    expected = request.app.state.settings.ops_token.get_secret_value()
    header = f"Bearer {credentials.credentials}" if credentials else None
    if not bearer_token_valid(header, expected):
        raise _unauthorized("the ops token is required (Authorization: Bearer <CSN_OPS_TOKEN>)")


SessionId = Annotated[str, Depends(session_access)]


async def load(request: Request, session_id: str) -> StoredSession:
    """Read a session; one that fails its integrity check is escalated and refused."""
    try:
        return await _offload(request, _store(request).get, session_id)
    except SessionNotFound:
        raise HTTPException(404, "no such session") from None
    except SessionIntegrityError as error:
        await _offload(request, _workflow(request).quarantine, session_id, error)
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


async def _act(request: Request, session_id: str, action: Any) -> SessionState:
    """Run a workflow action (in a store thread), mapping its refusals to 409s."""
    await load(request, session_id)  # integrity first: never act on a corrupted case
    try:
        state: SessionState = await _offload(request, action)
    except InvalidInput as error:
        raise HTTPException(422, str(error)) from None
    except InvalidState as error:
        raise HTTPException(409, str(error)) from None
    except ConcurrencyConflict as error:
        raise HTTPException(409, str(error)) from None
    except SessionIntegrityError:
        await load(request, session_id)
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
    responses={
        401: _ERRORS[401],
        403: {"description": "customer_id is not one of the account's linked customers"},
        409: {"description": "The Idempotency-Key came with a different body"},
        429: {"description": "Too many new cases for this account; see Retry-After"},
    },
)
async def create_session(
    body: CreateSession,
    request: Request,
    account_id: AccountId,
    idempotency_key: IdempotencyKey = None,
) -> SessionCreated:
    """Open a case for the signed-in account; it is persisted before the answer, then worked
    on in the background.

    `customer_id` must be one of the account's linked retailer customers (it may be left
    out when there is exactly one). With an `Idempotency-Key` header a retry (same key,
    same body, same account) gets the session the first request opened, and its token; the
    same key with another body is a 409.
    """
    store, accounts = _store(request), accounts_of(request)
    customer_id = _linked_customer(
        await _offload(request, accounts.links, account_id), body.customer_id
    )
    fields = body.model_dump(mode="json", exclude={"photos"})
    fields["photos"] = [hashlib.sha256(p.data.encode()).hexdigest() for p in body.photos]
    fingerprint = canonical_json({"account": account_id, **fields})
    if idempotency_key is not None:
        replay = await _offload(request, _created_with, store, idempotency_key, fingerprint)
        if replay is not None:
            return replay
    try:
        await _offload(request, accounts.check_session_rate, account_id)
    except Throttled as error:
        raise too_many(error) from None
    photos = await cleaned_photos(body.photos)  # every one good, or nothing is stored
    session_id = uuid.uuid4().hex
    now = time.time()
    doc = SessionDocument(
        id=session_id,
        customer_id=customer_id,
        message=body.message,
        order_id=body.order_id,
        auto_approve=body.auto_approve,
        created_at=now,
        photos=[_record(i, p, now) for i, p in enumerate(photos, start=1)],
    )
    created = NewEvent(
        "session_created",
        "customer",
        {"auto_approve": body.auto_approve, "order_id": body.order_id, "photos": len(photos)},
    )
    new_photos = [NewPhoto(i, p.content_type, p.data) for i, p in enumerate(photos, start=1)]
    once = (idempotency_key, fingerprint) if idempotency_key is not None else None
    try:
        _, token = await _offload(
            request, store.create,
            session_id, customer_id, doc.state, doc.model_dump(mode="json"),
            events=[created], idempotency=once, owner=account_id, new_photos=new_photos,
        )  # fmt: skip
    except IntegrityError:  # a concurrent request with the same key committed first
        key = idempotency_key or ""
        replay = await _offload(request, _created_with, store, key, fingerprint)
        if replay is None:
            raise
        return replay
    _workflow(request).start(session_id)
    return SessionCreated(session_id=session_id, token=token, state=SessionState.RECEIVED)


async def cleaned_photos(photos: list[PhotoIn]) -> list[CleanPhoto]:
    """Each photo checked by its bytes and re-encoded without metadata (in a worker thread:
    decoding is CPU work); the first that is not a photo we take is a 4xx naming it."""
    cleaned = []
    for number, photo in enumerate(photos, start=1):
        try:
            cleaned.append(await run_in_threadpool(clean_photo, photo.raw()))
        except PhotoRejected as error:
            raise HTTPException(error.status, f"photo {number}: {error}") from None
        except ValueError as error:
            raise HTTPException(422, f"photo {number}: {error}") from None
    return cleaned


def _record(seq: int, photo: CleanPhoto, at: float) -> PhotoRecord:
    return PhotoRecord(
        seq=seq,
        content_type=photo.content_type,
        size=len(photo.data),
        width=photo.width,
        height=photo.height,
        added_at=at,
    )


def _linked_customer(links: list[str], wanted: str | None) -> str:
    """The retailer customer a new case is for: one of the account's links."""
    if wanted is not None:
        if wanted not in links:
            raise HTTPException(403, "this customer id is not linked to your account")
        return wanted
    if not links:
        raise HTTPException(403, "link your retailer account first (POST /v1/accounts/me/links)")
    if len(links) > 1:
        raise HTTPException(422, "several retailer accounts are linked: give customer_id")
    return links[0]


@router.get("", responses={401: _ERRORS[401]})
async def list_sessions(
    request: Request,
    account_id: AccountId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The account's cases, newest first: id, state, order, the first words, times."""
    listed = await _offload(
        request, _listing, _store(request), accounts_of(request), account_id, limit
    )
    return {"sessions": listed}


def _listing(
    store: SessionStore, accounts: AccountStore, account_id: str, limit: int
) -> list[dict[str, Any]]:
    listed = []
    for case in accounts.cases(account_id, limit):
        summary: dict[str, Any] = {"order_id": None, "customer_id": None, "message": None}
        try:
            doc = store.get(case["session_id"]).document
            summary = {
                "order_id": doc.get("order_id"),
                "customer_id": doc.get("customer_id"),
                "message": str(doc.get("message") or "")[:200],
            }
        except (SessionNotFound, SessionIntegrityError):
            pass  # listed by its state alone; opening it hands it to a human
        listed.append(
            {
                "session_id": case["session_id"],
                "state": case["state"],
                "created_at": _iso(case["created_at"]),
                "updated_at": _iso(case["updated_at"]),
                **summary,
            }
        )
    return listed


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
    stored = await load(request, session_id)
    doc = SessionDocument.model_validate(stored.document)
    view = session_view(doc, await _offload(request, _store(request).rating, session_id))
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
    await load(request, session_id)
    if "text/event-stream" in accept:
        if last_event_id and last_event_id.isdigit():
            after = max(after, int(last_event_id))
        stream = _counted(request, _event_stream(request, session_id, after))
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
    events = await _offload(request, _store(request).events, session_id, after=after)
    return {"events": [event_json(e) for e in events]}


def _counted(request: Request, stream: AsyncIterator[str]) -> AsyncIterator[str]:
    """The stream, counted against its account's cap of live streams (429 above it)."""
    account_id = getattr(request.state, "account_id", None)
    if account_id is None:  # a share link: one session's token, one session
        return stream
    live: dict[str, int] = request.app.state.live_streams
    if live.get(account_id, 0) >= limits.LIVE_STREAMS_PER_ACCOUNT:
        raise HTTPException(
            429, "too many live views open for this account; close one and retry",
            headers={"Retry-After": "5"},
        )  # fmt: skip
    live[account_id] = live.get(account_id, 0) + 1

    async def counted() -> AsyncIterator[str]:
        try:
            async for chunk in stream:
                yield chunk
        finally:
            live[account_id] -= 1
            if live[account_id] <= 0:
                del live[account_id]

    return counted()


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
    stored = await load(request, session_id)
    doc = SessionDocument.model_validate(stored.document)
    if doc.follow is None or doc.follow.dispute_at is None:
        raise HTTPException(
            409,
            "no dispute packet: it is prepared when CS breaks a promise and does not put it right",
        )
    chosen = format or _packet_format(accept)
    events = await _offload(request, _store(request).events, session_id, limit=10_000)
    name = f"dispute-packet-{doc.order_id}"
    if chosen == "md":
        text = dispute_markdown(doc, events, doc.follow.dispute_at)
        headers = {"Content-Disposition": f'attachment; filename="{name}.md"'}
        return Response(text, media_type="text/markdown; charset=utf-8", headers=headers)
    pdf = await run_in_threadpool(dispute_pdf, doc, events, doc.follow.dispute_at)
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
    # Only another coordinator on a shared database writes without waking our feed, unless
    # its changes are relayed (PostgreSQL NOTIFY): then polling is only a safety net.
    feed = request.app.state.feed
    poll = request.app.state.settings.sse_poll_s if store.shared else HEARTBEAT_S
    if feed.relayed:
        poll = max(poll, limits.SSE_RELAY_POLL_S)
    last, quiet = after, 0.0
    with feed.subscribe(session_id) as changed:
        while not await request.is_disconnected():
            changed.clear()
            events = feed.recent(session_id, last)  # what this process just wrote, if
            if events is None:  # they follow on from `last`; else from the store
                events = await _offload(request, store.events, session_id, after=last)
            for event in events:
                last = event.seq
                yield f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event_json(event))}\n\n"
            if events:
                quiet = 0.0
                if events[-1].state in TERMINAL_STATES:
                    continue  # maybe over: confirm on an immediate re-read
            else:
                state = await _offload(request, store.state, session_id)
                if state is None:  # gone, or quarantined
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
    state = await _act(request, session_id, lambda: _workflow(request).decide(session_id, body))
    return Accepted(session_id=session_id, state=state, detail=f"{body.decision} recorded")


@router.post("/{session_id}/messages", status_code=202, responses=_ERRORS, response_model=Accepted)
async def post_message(session_id: SessionId, body: MessageIn, request: Request) -> Accepted:
    """A clarification (the order id, or one of the offered choices), information CS asked
    for, or a change of mind at an approval."""
    workflow = _workflow(request)
    state = await _act(
        request, session_id, lambda: workflow.add_message(session_id, body.text, body.choice)
    )
    return Accepted(session_id=session_id, state=state, detail="message taken into account")


@router.post(
    "/{session_id}/photos",
    status_code=201,
    responses={
        **_ERRORS,
        409: {"description": "The case is over"},
        413: {"description": "A photo (or the request) is too large"},
        415: {"description": "A file is not a JPEG, PNG or HEIC image (read from its bytes)"},
        422: {"description": "Not base64, an unreadable image, or more photos than a case takes"},
    },
    response_model=Accepted,
)
async def add_photos(session_id: SessionId, body: PhotosIn, request: Request) -> Accepted:
    """Evidence for the case: JPEG, PNG or HEIC photos (base64), at most 5 MB each and five
    a case. Each is checked by its bytes, not its name, and encoded again without its
    metadata (EXIF with GPS position, XMP, comments); HEIC becomes JPEG. All are stored, or
    none. A case waiting for the photos customer service asked for carries on with them."""
    photos = await cleaned_photos(body.photos)
    workflow = _workflow(request)
    state = await _act(request, session_id, lambda: workflow.add_photos(session_id, photos))
    count = len(photos)
    detail = f"{count} photo{'s' if count > 1 else ''} added"
    if state == SessionState.NEGOTIATING:
        detail += "; they go to customer service with our next message"
    return Accepted(session_id=session_id, state=state, detail=detail)


@router.post("/{session_id}/cancel", responses=_ERRORS, response_model=Accepted)
async def cancel(session_id: SessionId, request: Request) -> Accepted:
    """Stop the case for good; during a round with CS, once that round has ended."""
    await load(request, session_id)
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
    stored = await load(request, session_id)
    if stored.state not in TERMINAL_STATES:
        raise HTTPException(409, f"the case is still {stored.state}; rate it once it is over")
    await _offload(request, _store(request).rate, session_id, body.score, body.comment)
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
    wanted = None if status == "all" else status
    found = await _offload(request, _store(request).escalations, wanted, limit)
    return {"escalations": [escalation_json(e) for e in found]}


@ops_router.post("/escalations/{escalation_id}/resolve", responses=_ERRORS)
async def resolve_escalation(
    escalation_id: str, body: Resolution, request: Request
) -> JSONResponse:
    """Close an escalation; the case ends the way the human decided."""
    store = _store(request)
    try:
        escalation = await _offload(request, store.escalation, escalation_id[:MAX_ID_CHARS])
    except EscalationNotFound:
        raise HTTPException(404, "no such escalation") from None
    if escalation.status != "open":
        raise HTTPException(409, f"the escalation is already {escalation.status}")
    await _offload(request, _close_session, request, escalation.session_id, body)
    try:
        resolution = body.model_dump(mode="json")
        resolved = await _offload(request, store.resolve_escalation, escalation.id, resolution)
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
