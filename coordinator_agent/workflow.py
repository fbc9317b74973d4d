"""The journey of one case over A2A: analysis, policies, strategy, rounds with CS, outcome.

Each case runs as an asyncio task under a per-session lock. Every step reads the case,
calls one agent, and writes the result with optimistic concurrency, so a customer's
decision or a cancel written meanwhile wins and the step simply re-reads. Negotiation
rounds are checkpointed one by one; a restarted coordinator replays at most the round
in flight, with the same idempotency key, so CS never receives a message twice.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, Protocol, TypeVar

from coordinator_agent import promises as follow_through
from coordinator_agent.case import (
    close_attempt,
    describe_for_cs,
    escalation_context,
    find_order_id,
    photos_wanted,
)
from coordinator_agent.evidence import CleanPhoto
from coordinator_agent.leases import CaseLeases, LocalLeases, Taken, takeover_detail
from coordinator_agent.letters import complaint_letter, filing_deadline
from coordinator_agent.models import (
    WORKING_STATES,
    CustomerMessage,
    Decision,
    Negotiation,
    NegotiationAction,
    PhotoRecord,
    Resolution,
    SessionDocument,
)
from coordinator_agent.promises import RUNG_NAMES, FollowThrough, Rung
from coordinator_agent.store import (
    ConcurrencyConflict,
    LeaseLost,
    NewEscalation,
    NewEvent,
    NewPhoto,
    OutboxItem,
    SessionIntegrityError,
    SessionNotFound,
    SessionStore,
    StoredSession,
    StoreThreads,
)
from shared import limits, metrics
from shared.a2a.client import A2ACallError, A2AUnavailable, SkillResult
from shared.a2a.models import Part, TaskState, file_part
from shared.domain import (
    MONITORING_STATES,
    RETRYING_STATES,
    TERMINAL_STATES,
    WAITING_STATES,
    SessionState,
)
from shared.logs import get_logger, log_context

log = get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

COORDINATOR = "coordinator"
WATCHDOG = "watchdog"
FAREWELL = "farewell"  # the outbox item that closes an abandoned CS contact
CONTEXT = "context_agent"
NEGOTIATION = "negotiation_agent"
MAX_WRITE_RETRIES = 5
# A monitored case's next check, as this process last read or wrote it, is trusted this long
# (another coordinator may have checked it meanwhile); so a pass reads only the cases due.
CHECK_SCHEDULE_CACHE_S = 60.0
# The lease owner whose task drives the case being written: its writes are fenced by the
# lease. Set by `run` while it holds the lease; store threads inherit it with the context.
_DRIVER: contextvars.ContextVar[str | None] = contextvars.ContextVar("lease_driver", default=None)


class SkillCaller(Protocol):
    """What the workflow needs of an agent: call one skill (shared A2AClient fits)."""

    async def call_skill(
        self,
        skill: str,
        input: dict[str, Any],
        *,
        metadata: dict[str, Any] | None = None,
        files: Sequence[Part] = (),
    ) -> SkillResult: ...


class InvalidState(Exception):
    """The customer asked for something the case's current state does not allow."""


class InvalidInput(ValueError):
    """The customer's input does not fit what the case asked (e.g. an unknown choice)."""


class Escalate(Exception):
    """Raised inside a step: hand the case to a human with this reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    """The workflow's bounds."""

    max_rounds: int = limits.MAX_ROUNDS
    negotiation_deadline_s: float = limits.NEGOTIATION_DEADLINE_S
    working_state_timeout_s: float = limits.WORKING_STATE_TIMEOUT_S
    # An agent that crashed is back within 10 s under `csn up`: keep retrying the step from
    # its checkpoint this long before calling the agent down for good.
    agent_outage_grace_s: float = limits.AGENT_OUTAGE_GRACE_S
    agent_retry_interval_s: float = 2.0
    remind_after_s: float = limits.REMIND_AFTER_S
    wait_timeout_s: float = limits.WAIT_TIMEOUT_S
    cs_retry_schedule_s: tuple[float, ...] = limits.CS_RETRY_SCHEDULE_S
    farewell_retry_s: tuple[float, ...] = limits.FAREWELL_RETRY_S
    cancel_wait_s: float = 5.0  # how long a cancel waits for the round in flight to end
    day_s: float = limits.DAY_SECONDS  # one (simulated) day of promises and checks
    promise_grace_days: float = limits.PROMISE_GRACE_DAYS
    promise_recheck_days: float = limits.PROMISE_RECHECK_DAYS


@dataclass
class Step:
    """One write the workflow wants: new state, events, maybe an escalation."""

    state: SessionState
    events: list[NewEvent]
    actor: str = COORDINATOR
    escalation: NewEscalation | None = None
    # The negotiate call that closes an open CS contact: goes to the outbox with the write.
    walk_away: dict[str, Any] | None = None
    new_photos: Sequence[NewPhoto] = ()  # evidence the customer added, stored with the write


class Workflow:
    """Drives cases through their journey; the API calls its customer and ops actions."""

    def __init__(
        self,
        store: SessionStore,
        context: SkillCaller,
        negotiation: SkillCaller,
        *,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        threads: StoreThreads | None = None,
        leases: CaseLeases | None = None,
    ) -> None:
        self._store = store
        # Which instance drives which case, when several share the database (SQLite: one).
        self._leases: CaseLeases = leases or LocalLeases()
        # The store blocks: every piece of work that touches it runs in these threads, as a
        # whole (read, decide, write), and only the asyncio bookkeeping stays on the loop.
        self._threads = threads or StoreThreads()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context = context
        self._negotiation = negotiation
        self._limits = limits or Limits()
        self._clock = clock
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: defaultdict[str, set[asyncio.Task[None]]] = defaultdict(set)
        self._farewells: set[asyncio.Task[Any]] = set()  # outbox deliveries in flight
        self._delivering: set[str] = set()  # outbox items being delivered by this process
        self._check_at: dict[str, tuple[float, float]] = {}  # id -> (next check, when seen)
        # A case to be driven, as this process just wrote it: the next step starts from it
        # instead of reading it back. Every write of this process goes through `_save`, so
        # the version kept is the newest unless another process wrote (another coordinator,
        # `csn rotate-keys`): then the step's save fails with ConcurrencyConflict and the
        # retry reads.
        self._written: dict[str, StoredSession] = {}
        self._steps: dict[str, Callable[[StoredSession, SessionDocument], Awaitable[None]]] = {
            SessionState.RECEIVED: self._receive,
            SessionState.ANALYZING: self._analyze,
            SessionState.PLANNING: self._plan,
            SessionState.NEGOTIATING: self._negotiate_round,
            SessionState.MONITORING: self._check_promises,
            SessionState.FOLLOWING_UP: self._follow_up,
        }

    # -- running cases --------------------------------------------------------------------

    def start(self, session_id: str) -> asyncio.Task[None]:
        """Run the case in the background until it waits for someone or ends."""
        task = asyncio.create_task(self.run(session_id), name=f"case-{session_id}")
        tasks = self._tasks[session_id]
        tasks.add(task)
        task.add_done_callback(lambda done: self._forget(session_id, done))
        return task

    async def offload(self, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run blocking store work (a read, a read-decide-write) in a store thread."""
        self._loop = asyncio.get_running_loop()
        return await self._threads.run(work, *args, **kwargs)

    def _on_loop(self, callback: Callable[[], Any]) -> None:
        """Run `callback` on the event loop: now if we are on it, else as soon as it can."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a store thread
            assert self._loop is not None, "store work runs through offload()"
            self._loop.call_soon_threadsafe(callback)
            return
        callback()

    def running(self, session_id: str) -> bool:
        """Whether a task is driving this case now."""
        return any(not t.done() for t in self._tasks.get(session_id, ()))

    async def run(self, session_id: str) -> None:
        """Advance the case step by step; returns when it waits for a person or is over, or
        when another coordinator instance drives it."""
        with log_context(session_id=session_id):
            async with self._locks[session_id]:
                while await self._drive(session_id):
                    pass

    async def _drive(self, session_id: str) -> bool:
        """Drive the case under its lease. True when it must be driven again: someone wrote a
        working state just as the lease was given back (and may have failed to take it)."""
        taken = await self._leases.acquire(session_id)
        if taken is None:
            return False  # another instance drives it; a write of ours is seen by it
        driver = _DRIVER.set(self._leases.owner)
        try:
            if taken.previous_owner is not None:
                await self.offload(self._note_takeover, taken)
            while self._leases.holds(session_id) and await self._advance(session_id):
                pass
        except LeaseLost:
            log.warning("another coordinator instance took the case over; leaving it")
            return False
        finally:
            _DRIVER.reset(driver)
            self._written.pop(session_id, None)
            await self._leases.release(session_id)
        if not self._leases.shared:
            return False
        return await self.offload(self._store.state, session_id) in WORKING_STATES

    def _note_takeover(self, taken: Taken) -> None:
        detail = takeover_detail(taken, self._clock())
        metrics.LEASE_TAKEOVERS.inc()
        metrics.LEASE_TAKEOVER_SECONDS.observe(detail["after_s"])
        log.info("took the case over from a silent instance after %s s", detail["after_s"])
        self._store.note(taken.session_id, [NewEvent("taken_over", COORDINATOR, detail)])

    async def keep_leases(self) -> None:
        """Renew this instance's leases, and take over the cases nobody drives (their
        instance died): a periodic job, while several coordinators share the database."""
        if not self._leases.shared:
            return
        renewed_at = 0.0
        while True:
            try:
                if time.monotonic() - renewed_at >= limits.LEASE_RENEW_S:
                    renewed_at = time.monotonic()
                    for session_id in await self._leases.renew():
                        log.warning("lease lost; another instance drives the case now")
                        for task in self._tasks.get(session_id, ()):
                            task.cancel()
                for session_id in await self._leases.claimable(WORKING_STATES):
                    if not self.running(session_id):
                        self.start(session_id)
            except Exception:  # the job must outlive a database hiccup
                log.exception("lease pass failed")
            await asyncio.sleep(limits.LEASE_SCAN_S)

    def resume_all(self) -> int:
        """Start every case a previous process left in a working state (one instance; when
        several share the database, `keep_leases` takes over the cases nobody drives)."""
        if self._leases.shared:
            return 0
        ids = self._store.ids_in_states(WORKING_STATES)
        for session_id in ids:
            self.start(session_id)
        if ids:
            log.info("resuming %d cases from their last checkpoint", len(ids))
        return len(ids)

    async def stop(self) -> None:
        """Cancel every running case task (their checkpoints stay for the next start) and give
        the leases back, so other instances take the cases over at once."""
        tasks = [t for group in self._tasks.values() for t in group] + list(self._farewells)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._leases.close()

    async def watchdog_once(self) -> list[str]:
        """Escalate cases stuck in a working state; restart those nobody drives. Returns escalated."""
        escalated = []
        now = self._clock()
        # Only the cases idle past the timeout are read (every case in flight was, each pass).
        stale = now - self._limits.working_state_timeout_s
        ids = self._store.ids_in_states
        for session_id in await self.offload(ids, WORKING_STATES, updated_before=stale):
            stored = await self.offload(self._load_or_quarantine, session_id)
            if stored is None or stored.updated_at >= stale:
                continue
            await self._cancel_tasks(session_id)
            reason = f"no progress in state {stored.state} for {int(now - stored.updated_at)} s"
            await self.offload(
                self._write_escalation, session_id, "stuck", reason, actor="watchdog"
            )
            escalated.append(session_id)
        if not self._leases.shared:  # shared: the lease job takes over unleased cases
            for session_id in await self.offload(ids, WORKING_STATES):
                if session_id not in escalated and not self.running(session_id):
                    self.start(session_id)
        await self.offload(self.watch_waiting)
        await self.offload(self.retry_cs_due)
        await self.offload(self.check_promises_due)
        await self.deliver_outbox()
        return escalated

    def refresh_gauges(self) -> None:
        """Set the sessions-by-state gauge from the store."""
        counts = self._store.count_by_state()
        for state in SessionState:
            metrics.SESSIONS_BY_STATE.labels(state.value).set(counts.get(state.value, 0))

    # -- waits for the customer: reminders, then `expired` ----------------------------------

    def watch_waiting(self) -> None:
        """Remind customers a case waits for; expire the waits that ran out."""
        now = self._clock()
        # Nothing is due on a case written more recently than the shortest period (a wait
        # begins, and a reminder is, a write): only those few are read and decrypted.
        quiet = min(self._limits.remind_after_s, self._limits.wait_timeout_s)
        for session_id in self._store.ids_in_states(WAITING_STATES, updated_before=now - quiet):
            stored = self._load_or_quarantine(session_id)
            if stored is None:
                continue
            doc = SessionDocument.model_validate(stored.document)
            waited = now - (doc.waiting_since or stored.updated_at)
            try:
                if waited >= self._limits.wait_timeout_s:
                    self._act(session_id, self._apply_expiry, start=False)
                elif waited >= (doc.reminders + 1) * self._limits.remind_after_s:
                    self._act(session_id, self._apply_reminder, start=False)
            except (InvalidState, ConcurrencyConflict):
                continue  # the customer acted meanwhile: the wait is over or restarted

    def _apply_reminder(self, doc: SessionDocument) -> Step:
        state = self._waiting_state(doc)
        doc.reminders += 1
        expires_at = (doc.waiting_since or self._clock()) + self._limits.wait_timeout_s
        detail = {
            "awaiting": state.value,
            "reminder": doc.reminders,
            "expires_at": _iso(expires_at),
            "text": "Your case is waiting for you; it will be closed if nothing happens by then.",
        }
        metrics.REMINDERS.labels(state.value).inc()
        return Step(state, [NewEvent("reminder", WATCHDOG, detail)], WATCHDOG)

    def _apply_expiry(self, doc: SessionDocument) -> Step:
        state = self._waiting_state(doc)
        days = self._limits.wait_timeout_s / 86400
        doc.reason = f"no answer from the customer within {days:g} days ({state.value})"
        event = NewEvent("expired", WATCHDOG, {"awaiting": state.value, "reason": doc.reason})
        farewell = self._walk_away_request(doc)
        return Step(SessionState.EXPIRED, [event], WATCHDOG, walk_away=farewell)

    @staticmethod
    def _waiting_state(doc: SessionDocument) -> SessionState:
        state = SessionState(doc.state)
        if state not in WAITING_STATES:
            raise InvalidState(f"the session no longer waits: it is {state.value}")
        return state

    # -- follow-through: promises checked on a schedule kept in the store -----------------

    def _agreed_step(
        self, doc: SessionDocument, outcome: dict[str, Any], events: list[NewEvent]
    ) -> Step:
        """CS confirmed: monitor the promises its terms make, or resolve if none can be checked."""
        now, day = self._clock(), self._limits.day_s
        entitlement = (doc.policies or {}).get("entitlement")
        promises = follow_through.promises_from(
            outcome, entitlement, now, day, self._limits.promise_grace_days
        )
        if not promises:
            return Step(SessionState.RESOLVED, events)
        state = doc.negotiation.state or {}
        follow = FollowThrough(
            agreed_at=now,
            terms=outcome.get("offer") or {},
            cs_quote=str(outcome.get("cs_quote") or "")[:1000],
            contact_id=state.get("contact_id")
            if isinstance(state.get("contact_id"), str)
            else None,
            promises=promises,
        )
        follow.next_check_at = follow_through.first_check_at(follow, day)
        doc.follow = follow
        metrics.PROMISES.labels("made").inc(len(promises))
        detail = {
            "promises": [_promise_detail(p) for p in promises],
            "text": "CS agreed. We will check that it keeps its word: "
            + "; ".join(p.describe() for p in promises)
            + ".",
            "next_check_at": _iso(follow.next_check_at or now),
        }
        return Step(SessionState.MONITORING, [*events, NewEvent("monitoring", COORDINATOR, detail)])

    def check_promises_due(self) -> list[str]:
        """Start the check of every monitored case whose check is due. Returns them."""
        started, now = [], self._clock()
        monitored = self._store.ids_in_states(MONITORING_STATES)
        for gone in set(self._check_at) - set(monitored):
            del self._check_at[gone]
        for session_id in monitored:
            known = self._check_at.get(session_id)
            not_due = known and known[0] > now and now - known[1] < CHECK_SCHEDULE_CACHE_S
            if self.running(session_id) or not_due:
                continue
            stored = self._load_or_quarantine(session_id)
            if stored is None or stored.state not in MONITORING_STATES:
                continue
            doc = SessionDocument.model_validate(stored.document)
            self._remember_check(doc, now)
            if self._check_due(doc):
                self._on_loop(lambda sid=session_id: self.start(sid))  # type: ignore[misc]
                started.append(session_id)
        return started

    def _remember_check(self, doc: SessionDocument, now: float) -> None:
        if doc.follow is not None and doc.follow.next_check_at is not None:
            self._check_at[doc.id] = (doc.follow.next_check_at, now)

    def _check_due(self, doc: SessionDocument) -> bool:
        follow = doc.follow
        return follow is not None and (follow.next_check_at or 0.0) <= self._clock()

    async def _check_promises(self, stored: StoredSession, doc: SessionDocument) -> None:
        """Read the order system (via the context agent) and judge every open promise."""
        follow = doc.follow
        assert follow is not None
        request = {"order_id": doc.order_id, "customer_id": doc.customer_id}
        try:
            result, _ = await self._call(self._context, CONTEXT, "check_order", request, doc)
        except (A2AUnavailable, A2ACallError) as error:
            result, reason = None, str(error)
        else:
            reason = "" if result.ok else _failure(result)
        follow.checks += 1
        if result is None or not result.ok:  # try again a little later; nothing is judged
            follow.next_check_at = self._clock() + self._limits.day_s / 4
            detail = {"reason": reason[:300], "next_check_at": _iso(follow.next_check_at)}
            event = NewEvent("promise_check_failed", COORDINATOR, detail)
            await self.offload(self._save, stored, doc, Step(SessionState.MONITORING, [event]))
            return
        output = result.output

        def judged() -> None:  # judging may read the history (the complaint letter)
            self._save(stored, doc, self._judge(doc, follow, output))

        await self.offload(judged)

    def _judge(self, doc: SessionDocument, follow: FollowThrough, order: dict[str, Any]) -> Step:
        """Kept promises are noted; all kept ends the case; a broken one climbs the ladder."""
        now, events = self._clock(), []
        for promise in follow.open_promises():
            posted = follow_through.kept(promise, order, follow.agreed_at, follow.contact_id)
            if posted is None:
                continue
            recovered = promise.status == "broken"
            promise.status, promise.kept_at, promise.posted = (
                "recovered" if recovered else "kept",
                now,
                posted,
            )
            metrics.PROMISES.labels(promise.status).inc()
            if recovered and promise.kind == "refund" and promise.amount:
                follow.recovered_amount += promise.amount
                metrics.PROMISE_RECOVERED_AMOUNT.inc(promise.amount)
            detail = {**_promise_detail(promise), "posted": posted, "recovered": recovered}
            events.append(NewEvent("promise_kept", COORDINATOR, detail))
        if not follow.open_promises():
            recovered = any(p.status == "recovered" for p in follow.promises)
            text = (
                "CS kept its word after we chased it: " if recovered else "CS kept its word: "
            ) + "; ".join(f"{p.describe()}: {p.posted}" for p in follow.promises)
            detail = {"text": text, "recovered_amount": round(follow.recovered_amount, 2)}
            events.append(NewEvent("fulfilled", COORDINATOR, detail))
            return Step(SessionState.FULFILLED, events)
        for promise in follow.open_promises():
            if promise.status == "pending" and now >= promise.grace_until:
                promise.status, promise.broken_at = "broken", now
                follow.broken_at = follow.broken_at or now
                metrics.PROMISES.labels("broken").inc()
                detail = {**_promise_detail(promise), "detected_at": _iso(now)}
                events.append(NewEvent("promise_broken", COORDINATOR, detail))
        if any(p.status == "broken" for p in follow.promises):
            return self._climb(doc, follow, events)
        follow.next_check_at = follow_through.next_check_at(follow, now, self._limits.day_s)
        return Step(SessionState.MONITORING, events)

    def _climb(self, doc: SessionDocument, follow: FollowThrough, events: list[NewEvent]) -> Step:
        """The next rung after a broken promise: chase CS (with the customer's approval)."""
        rung = Rung(min(follow.rung + 1, Rung.DISPUTE))
        if rung == Rung.DISPUTE:
            return self._dispute_step(doc, follow, events, "CS did not keep its word")
        follow.next_check_at = None
        if rung == Rung.COMPLAINT:
            follow.complaint_letter = complaint_letter(
                doc, self._store.events(doc.id), self._clock()
            )
        if doc.auto_approve:
            detail = {"stage": "follow_up", "rung": int(rung), "auto": True}
            events.append(NewEvent("decision", COORDINATOR, detail))
            return Step(SessionState.FOLLOWING_UP, events)
        doc.question = (
            f"CS has not kept its word. Shall we {_RUNG_ASKS[rung]}? "
            "Approve to go ahead, or reject to stop and get a dispute packet instead."
        )
        detail = {"rung": int(rung), "name": RUNG_NAMES[rung], "question": doc.question}
        events.append(NewEvent("follow_up_proposed", COORDINATOR, detail))
        return Step(SessionState.AWAITING_FOLLOW_UP_APPROVAL, events)

    def _dispute_step(
        self, doc: SessionDocument, follow: FollowThrough, events: list[NewEvent], why: str
    ) -> Step:
        """The last rung: a dispute packet for the card issuer; the case goes to a human."""
        now = self._clock()
        follow.rung, follow.dispute_at, follow.next_check_at = int(Rung.DISPUTE), now, None
        for promise in follow.open_promises():
            promise.status = "unrecovered"
            metrics.PROMISES.labels("unrecovered").inc()
        metrics.FOLLOW_UP_RUNGS.labels(RUNG_NAMES[Rung.DISPUTE]).inc()
        deadline = filing_deadline(doc)
        detail = {
            "rung": int(Rung.DISPUTE),
            "name": RUNG_NAMES[Rung.DISPUTE],
            "download": f"/v1/sessions/{doc.id}/dispute-packet",
            "filing_deadline": deadline,
            "text": "A dispute packet for your card issuer or payment provider is ready to "
            f"download; file it by {deadline}.",
        }
        events.append(NewEvent("dispute_packet", COORDINATOR, detail))
        reason = f"{why}: a dispute packet is ready for the customer (file by {deadline})"
        return self._escalation_step(doc.id, doc, "promise_broken", reason, events)

    async def _follow_up(self, stored: StoredSession, doc: SessionDocument) -> None:
        """Contact CS again about the broken promise, citing the agreement and CS's words."""
        follow = doc.follow
        if follow is None or doc.cancel_requested:
            await self.offload(self._save, stored, doc, self._cancelled_step(doc, []))
            return
        rung = Rung(min(follow.rung + 1, Rung.COMPLAINT))
        broken = [p for p in follow.promises if p.status == "broken"]
        request: dict[str, Any] = {
            "session_id": doc.id,
            "rung": int(rung),
            "customer_id": doc.customer_id,
            "order_id": doc.order_id,
            "problem_type": (doc.analysis or {}).get("problem_type", "other"),
            "agreement": {
                "date": follow_through.iso_date(follow.agreed_at),
                "terms": follow.terms,
                "cs_quote": follow.cs_quote,
                "reference": follow.contact_id,
                "promises": [p.describe() for p in broken],
            },
        }
        if rung == Rung.COMPLAINT and follow.complaint_letter:
            request["letter"] = follow.complaint_letter
        result, event = await self._call(self._negotiation, NEGOTIATION, "follow_up", request, doc)
        if not result.ok:
            raise Escalate("follow_up_failed", f"the follow-up failed: {_failure(result)}")
        output = result.output
        now = self._clock()
        if output.get("status") == "cs_unavailable":  # try this rung again at the next check
            follow.next_check_at = now + self._limits.day_s / 4
            detail = {"rung": int(rung), "reason": str(output.get("reason") or "")[:300]}
            events = [event, NewEvent("follow_up_unavailable", NEGOTIATION, detail)]
            await self.offload(self._save, stored, doc, Step(SessionState.MONITORING, events))
            return
        follow.rung = int(rung)
        record = {
            "rung": int(rung),
            "name": RUNG_NAMES[rung],
            "at": now,
            "contact_id": str(output.get("contact_id") or "")[:100],
            "sent": str(output.get("sent") or "")[:8000],
            "cs_text": str(output.get("cs_text") or "")[:1000],
        }
        follow.rungs.append(record)
        follow.next_check_at = now + self._limits.promise_recheck_days * self._limits.day_s
        metrics.FOLLOW_UP_RUNGS.labels(RUNG_NAMES[rung]).inc()
        detail = {k: v for k, v in record.items() if k != "at"}
        detail["next_check_at"] = _iso(follow.next_check_at)
        events = [event, NewEvent("follow_up", NEGOTIATION, detail)]
        await self.offload(self._save, stored, doc, Step(SessionState.MONITORING, events))

    # -- cs_unavailable: resumed on a schedule, then escalated ----------------------------

    def _cs_unavailable_step(
        self,
        stored: StoredSession,
        doc: SessionDocument,
        outcome: dict[str, Any],
        events: list[NewEvent],
    ) -> Step:
        """CS stayed down through the round's retries: schedule a resume, or escalate."""
        doc.outcome = outcome  # its alternatives are what the customer can do meanwhile
        schedule = self._limits.cs_retry_schedule_s
        if doc.cs_retries >= len(schedule):
            reason = (
                f"customer service unavailable after {doc.cs_retries} retries: "
                f"{outcome.get('reason')}"
            )
            return self._escalation_step(stored.id, doc, "cs_unavailable", reason, events)
        doc.cs_retry_at = self._clock() + schedule[doc.cs_retries]
        detail = {
            "retry": doc.cs_retries + 1,
            "of": len(schedule),
            "at": _iso(doc.cs_retry_at),
            "reason": str(outcome.get("reason") or "")[:300],
            "alternatives": outcome.get("alternatives") or [],
        }
        events.append(NewEvent("cs_retry_scheduled", COORDINATOR, detail))
        return Step(SessionState.CS_UNAVAILABLE, events)

    def retry_cs_due(self) -> list[str]:
        """Resume, from their checkpoint, the cases whose CS retry is due. Returns them."""
        resumed = []
        for session_id in self._store.ids_in_states(RETRYING_STATES):
            stored = self._load_or_quarantine(session_id)
            if stored is None:
                continue
            doc = SessionDocument.model_validate(stored.document)
            if doc.cs_retry_at is not None and doc.cs_retry_at > self._clock():
                continue
            try:
                self._act(session_id, self._apply_cs_retry)
            except (InvalidState, ConcurrencyConflict):
                continue
            resumed.append(session_id)
        return resumed

    def _apply_cs_retry(self, doc: SessionDocument) -> Step:
        if SessionState(doc.state) not in RETRYING_STATES:
            raise InvalidState(f"the session is {doc.state}")
        now = self._clock()
        paused = now - (doc.cs_unavailable_since or now)
        if doc.negotiation.started_at is not None:  # the outage does not eat the deadline
            doc.negotiation.started_at += paused
        doc.cs_retries += 1
        doc.cs_retry_at, doc.cs_unavailable_since, doc.outcome = None, None, None
        detail = {"retry": doc.cs_retries, "of": len(self._limits.cs_retry_schedule_s)}
        return Step(SessionState.NEGOTIATING, [NewEvent("cs_retry", COORDINATOR, detail)])

    # -- the outbox: farewells to CS, delivered until done --------------------------------

    async def deliver_outbox(self) -> int:
        """Deliver every due outbox item once; returns how many were delivered."""
        delivered = 0
        for item in await self.offload(self._store.outbox_due):
            if item.id in self._delivering:
                continue
            if self._leases.shared and not await self.offload(
                self._store.outbox_claim, item.id, self._clock() + limits.negotiate_timeout_s()
            ):
                continue  # another coordinator instance delivers it
            self._delivering.add(item.id)
            try:
                delivered += await self._deliver(item)
            finally:
                self._delivering.discard(item.id)
        return delivered

    async def _deliver(self, item: OutboxItem) -> bool:
        """Close one abandoned CS contact; retried on the farewell schedule, then given up."""
        with log_context(session_id=item.session_id):
            try:
                result = await self._negotiation.call_skill(
                    "negotiate", item.request, metadata={"session_id": item.session_id}
                )
                if result.retryable:
                    raise A2AUnavailable(result.message[:200])
            except A2AUnavailable as error:
                error_text = f"negotiation agent unavailable: {error}"
                return await self.offload(self._retry_delivery, item, error_text)
            except A2ACallError as error:
                return await self.offload(self._give_up_delivery, item, f"refused: {error}")
            if not result.ok:
                failed = f"failed: {_failure(result)}"
                return await self.offload(self._give_up_delivery, item, failed)
            events = [
                NewEvent("cs_contact_closed", NEGOTIATION, {"attempt": item.request["attempt"]})
            ]
            round_ = result.output.get("round")
            if isinstance(round_, dict):
                detail = {
                    k: round_.get(k) for k in ("round", "sent", "cs_text", "cs_offer", "decision")
                }
                events.insert(
                    0,
                    NewEvent(
                        "cs_exchange", NEGOTIATION, {**detail, "attempt": item.request["attempt"]}
                    ),
                )
            await self.offload(self._store.outbox_done, item.id, "closed")
            await self.offload(self._store.note, item.session_id, events)
            metrics.CS_CONTACT_CLOSINGS.labels("closed").inc()
            return True

    def _retry_delivery(self, item: OutboxItem, error: str) -> bool:
        schedule = self._limits.farewell_retry_s
        if item.attempts >= len(schedule):
            return self._give_up_delivery(item, error)
        self._store.outbox_retry(item.id, self._clock() + schedule[item.attempts], error)
        metrics.CS_CONTACT_CLOSINGS.labels("retry").inc()
        return False

    def _give_up_delivery(self, item: OutboxItem, error: str) -> bool:
        log.warning("could not close the CS contact: %s", error[:200])
        self._store.outbox_done(item.id, f"gave up: {error}")
        event = NewEvent("cs_contact_not_closed", COORDINATOR, {"reason": error[:300]})
        self._store.note(item.session_id, [event])
        metrics.CS_CONTACT_CLOSINGS.labels("gave_up").inc()
        return False

    def deliver_outbox_soon(self) -> None:
        """Deliver the due outbox items in the background (e.g. those owed before a restart)."""
        self._kick_outbox()

    def _kick_outbox(self) -> None:
        """Deliver what was just written to the outbox now, in the background (tracked)."""
        self._on_loop(self._start_delivery)

    def _start_delivery(self) -> None:
        task = asyncio.create_task(self.deliver_outbox(), name="outbox")
        self._farewells.add(task)
        task.add_done_callback(self._farewells.discard)

    # -- customer and ops actions ---------------------------------------------------------

    def decide(self, session_id: str, decision: Decision) -> SessionState:
        """Approve or reject what awaits approval; returns the new state."""
        return self._act(session_id, lambda doc: self._apply_decision(doc, decision))

    def add_message(self, session_id: str, text: str, choice: str | None = None) -> SessionState:
        """A clarification while one is awaited (words or a choice), information CS asked the
        customer for, or a change of mind at an approval."""
        return self._act(session_id, lambda doc: self._apply_message(doc, text, choice))

    def add_photos(self, session_id: str, photos: Sequence[CleanPhoto]) -> SessionState:
        """Evidence for the case (stored with the case's write); a case waiting for the photos
        CS asked for carries on with them."""
        return self._act(session_id, lambda doc: self._apply_photos(doc, photos))

    async def cancel(self, session_id: str) -> SessionState:
        """Stop the case for good (and tell CS, if a conversation is open).

        During a round with CS the cancel is queued behind it: the round ends and is
        recorded, then the case is cancelled and its contact closed through the outbox (or
        it is resolved, if CS had already confirmed an agreement). Waits a little for that.
        """
        state = await self.offload(self._act, session_id, self._apply_cancel, start=False)
        if state != SessionState.NEGOTIATING:
            await self._cancel_tasks(session_id)  # analysis or planning: nothing reached CS
            return state
        if not self.running(session_id):
            self.start(session_id)
        tasks = list(self._tasks.get(session_id, ()))
        if tasks:
            await asyncio.wait(tasks, timeout=self._limits.cancel_wait_s)
        return SessionState((await self.offload(self._store.get, session_id)).state)

    def resolve(self, session_id: str, resolution: Resolution) -> None:
        """Close an escalated case the way the human decided."""
        for _ in range(MAX_WRITE_RETRIES):
            stored = self._store.get(session_id)
            doc = SessionDocument.model_validate(stored.document)
            doc.outcome = {
                "status": "resolved_by_human" if resolution.state == "resolved" else "failed",
                "offer": resolution.offer.model_dump() if resolution.offer else None,
                "reason": resolution.note,
            }
            doc.reason = resolution.note
            state = SessionState(resolution.state)
            doc.state = state
            event = NewEvent("escalation_resolved", "ops", {"note": resolution.note})
            try:
                self._store.save(stored, state, _dump(doc), actor="ops", events=[event])
                return
            except ConcurrencyConflict:
                continue
        raise ConcurrencyConflict()

    def quarantine(self, session_id: str, error: SessionIntegrityError) -> None:
        """Take a session that failed its integrity check out of service and escalate it."""
        log.error("session failed its integrity check: %s", error)
        timeline = self._store.events(session_id)
        context = {
            "session_id": session_id,
            "reason_code": "integrity",
            "reason": str(error),
            "timeline": [
                {"seq": e.seq, "at": e.at, "type": e.type, "state": e.state, "actor": e.actor}
                for e in timeline
            ],
        }
        escalation = NewEscalation(str(uuid.uuid4()), "integrity", context)
        self._store.quarantine(session_id, escalation)

    # -- the steps ------------------------------------------------------------------------

    async def _advance(self, session_id: str) -> bool:
        """Run the step the case's state calls for; False when there is nothing to do."""
        stored = self._written.pop(session_id, None)
        if stored is None:
            stored = await self.offload(self._load_or_quarantine, session_id)
        if stored is None:
            return False
        step = self._steps.get(stored.state)
        if step is None:
            return False
        doc = SessionDocument.model_validate(stored.document)
        if stored.state in MONITORING_STATES and not self._check_due(doc):
            return False  # the next check is scheduled in the document
        try:
            await step(stored, doc)
        except ConcurrencyConflict:
            return True  # the customer or ops wrote first: re-read and carry on from there
        except Escalate as need:
            await self.offload(self._escalate, stored, doc, need.code, need.reason)
        except A2AUnavailable as error:
            # down this long: as the client saw the agent (a busy fleet is no outage), else
            # since the case last moved
            down = error.down_for_s
            if down is None:
                down = self._clock() - stored.updated_at
            if down < self._limits.agent_outage_grace_s:
                log.warning("agent unavailable, retrying the step from its checkpoint: %s", error)
                await asyncio.sleep(self._limits.agent_retry_interval_s)
                return True
            await self.offload(self._escalate, stored, doc, "agent_unavailable", str(error))
        except A2ACallError as error:
            await self.offload(
                self._escalate, stored, doc, "agent_error", f"an agent refused a call: {error}"
            )
        except (asyncio.CancelledError, LeaseLost):
            raise
        except SessionIntegrityError as error:  # the row was altered behind the step's back
            await self.offload(self.quarantine, session_id, error)
            return False
        except Exception as error:  # a bug must escalate the case, never strand it
            log.exception("workflow step failed in state %s", stored.state)
            await self.offload(self._escalate, stored, doc, "internal_error", type(error).__name__)
        return True

    def _escalate(
        self, stored: StoredSession, doc: SessionDocument, code: str, reason: str
    ) -> None:
        """Escalate with what this step learned; if someone wrote meanwhile, from a re-read."""
        log.warning("escalating case: %s", code, extra={"fields": {"reason_code": code}})
        doc.reason = reason
        escalation = self._new_escalation(stored.id, doc, code, reason)
        event = NewEvent("escalated", COORDINATOR, {"reason_code": code, "reason": reason})
        try:
            self._save(stored, doc, Step(SessionState.ESCALATED, [event], escalation=escalation))
        except ConcurrencyConflict:
            self._write_escalation(stored.id, code, reason)

    async def _receive(self, stored: StoredSession, doc: SessionDocument) -> None:
        await self.offload(self._save, stored, doc, Step(SessionState.ANALYZING, []))

    async def _analyze(self, stored: StoredSession, doc: SessionDocument) -> None:
        change = next(
            (m for m in doc.messages if m.kind == "change_of_mind" and not m.handled), None
        )
        if change is not None:
            await self._analyze_change(stored, doc, change)
            return
        order_id = doc.order_id
        request: dict[str, Any] = {
            "customer_id": doc.customer_id,
            "message": doc.full_text(),
            **{
                k: v
                for k, v in doc.hints.items()
                if k in ("problem_type", "desired_outcome", "asked")
            },
        }
        if order_id:
            request["order_id"] = order_id
        result, event = await self._call(self._context, CONTEXT, "analyze_issue", request, doc)
        for message in doc.messages:
            message.handled = True
        if result.state in (TaskState.FAILED, TaskState.REJECTED):
            doc.reason = f"the issue could not be analyzed: {_failure(result)}"
            await self.offload(self._save, stored, doc, Step(SessionState.FAILED, [event]))
            return
        analysis = result.output
        doc.analysis = analysis
        if (
            result.state == TaskState.INPUT_REQUIRED
            or analysis.get("needs_clarification")
            or not analysis.get("order_id")
        ):
            doc.question = str(
                analysis.get("question") or result.message or "Which order is this about?"
            )
            doc.choices = _choices(analysis.get("choices"))
            if analysis.get("order_id"):
                doc.order_id = str(analysis["order_id"])
            await self.offload(
                self._save, stored, doc, Step(SessionState.AWAITING_CLARIFICATION, [event])
            )
            return
        doc.order_id = str(analysis["order_id"])
        doc.question = None
        doc.choices = []
        await self.offload(self._save, stored, doc, Step(SessionState.PLANNING, [event]))

    async def _analyze_change(
        self, stored: StoredSession, doc: SessionDocument, change: CustomerMessage
    ) -> None:
        """Read a change of mind for a new goal, then re-plan with it."""
        request: dict[str, Any] = {"customer_id": doc.customer_id, "message": change.text}
        if doc.order_id:
            request["order_id"] = doc.order_id
        result, event = await self._call(self._context, CONTEXT, "analyze_issue", request, doc)
        change.handled = True
        wanted = result.output.get("desired_outcome")
        if result.state != TaskState.FAILED and wanted and wanted != "unspecified":
            doc.goal = wanted
        await self.offload(self._save, stored, doc, Step(SessionState.PLANNING, [event]))

    async def _plan(self, stored: StoredSession, doc: SessionDocument) -> None:
        analysis = doc.analysis or {}
        request = {
            "order_id": doc.order_id,
            "problem_type": analysis.get("problem_type", "other"),
            "desired_outcome": doc.goal or analysis.get("desired_outcome", "unspecified"),
            "customer_id": doc.customer_id,
        }
        lookup, lookup_event = await self._call(
            self._context, CONTEXT, "lookup_policies", request, doc
        )
        if not lookup.ok:
            raise Escalate("policy_lookup_failed", f"policy lookup failed: {_failure(lookup)}")
        doc.policies = lookup.output
        entitlement = lookup.output.get("entitlement") or {}
        if entitlement.get("needs_human"):
            raise Escalate("policy_conflict", f"conflicting policies: {entitlement.get('reason')}")
        if not entitlement.get("entitled"):
            doc.reason = f"no policy entitles this order to a remedy: {entitlement.get('reason')}"
            await self.offload(self._save, stored, doc, Step(SessionState.FAILED, [lookup_event]))
            return
        plan_input: dict[str, Any] = {"analysis": analysis, "lookup": lookup.output}
        if doc.goal:
            plan_input["goal"] = doc.goal
        if doc.floor_amount is not None:
            plan_input["floor_amount"] = doc.floor_amount
        plan, plan_event = await self._call(
            self._negotiation, NEGOTIATION, "plan_strategy", plan_input, doc
        )
        if not plan.ok:
            raise Escalate("strategy_failed", f"no strategy could be planned: {_failure(plan)}")
        if plan.output.get("validated") is False:
            raise Escalate("strategy_invalid", "the strategy did not pass policy validation")
        doc.strategy = plan.output
        events = [lookup_event, plan_event]
        if doc.auto_approve:
            self._start_negotiation(doc)
            events.append(NewEvent("decision", COORDINATOR, {"stage": "strategy", "auto": True}))
            await self.offload(self._save, stored, doc, Step(SessionState.NEGOTIATING, events))
        else:
            await self.offload(
                self._save, stored, doc, Step(SessionState.AWAITING_STRATEGY_APPROVAL, events)
            )

    async def _negotiate_round(self, stored: StoredSession, doc: SessionDocument) -> None:
        if doc.cancel_requested:  # queued while no round was in flight (or before a restart)
            await self.offload(self._save, stored, doc, self._cancelled_step(doc, []))
            return
        negotiation = doc.negotiation
        if negotiation.started_at is None:
            negotiation.started_at = self._clock()
        if negotiation.action == NegotiationAction.CONTINUE:
            self._check_negotiation_limits(doc)
        request = {
            "session_id": doc.id,
            "attempt": doc.attempt,
            "customer_id": doc.customer_id,
            "order_id": doc.order_id,
            "problem_type": (doc.analysis or {}).get("problem_type", "other"),
            "strategy": doc.strategy,
            "state": negotiation.state,
            "action": negotiation.action,
            "case": describe_for_cs(doc),
            "photos_available": len(doc.photos),
        }
        customer_input = doc.customer_input()
        if customer_input:
            request["customer_input"] = customer_input
        files: list[Part] = []
        # The agent asked (CS wants to see them), or the chat opens: its greeting may ask.
        opening = negotiation.state is None
        if (negotiation.send_photos or opening) and doc.photos:
            files = await self.offload(self._photo_parts, doc)
        result, event = await self._call(
            self._negotiation, NEGOTIATION, "negotiate", request, doc, files=files
        )
        if not result.ok:
            raise Escalate("negotiation_failed", f"the negotiation failed: {_failure(result)}")
        await self.offload(
            self._commit_round, stored, result.output, event, sent_input=bool(customer_input)
        )

    def _photo_parts(self, doc: SessionDocument) -> list[Part]:
        """The case's photos as A2A file parts (their bytes, no metadata: it was stripped)."""
        names = {p.seq: p.filename for p in doc.photos}
        return [
            file_part(p.data, p.content_type, names.get(p.seq, f"photo-{p.seq}"))
            for p in self._store.photos(doc.id)
        ]

    def _commit_round(
        self, started: StoredSession, output: dict[str, Any], event: NewEvent, *, sent_input: bool
    ) -> None:
        """Record a round on the case as it is now: a cancel that came meanwhile is seen.

        The case as now is the version the round `started` from unless this process wrote
        another meanwhile (kept by `_save`) or another process did (the save fails: re-read)."""
        stored = self._written.pop(started.id, None) or started
        for _ in range(MAX_WRITE_RETRIES):
            doc = SessionDocument.model_validate(stored.document)
            events = [event, *self._record_round(doc, output)]
            doc.negotiation.send_photos = output.get("needs_photos") is True
            if sent_input and output.get("round"):  # the customer's answer reached CS
                for message in doc.messages:
                    message.handled = message.handled or message.kind == "customer_input"
            step = self._after_round(stored, doc, output, events)
            try:
                self._save(stored, doc, step)
                return
            except ConcurrencyConflict:
                stored = self._store.get(started.id)
        raise ConcurrencyConflict()

    def _after_round(
        self,
        stored: StoredSession,
        doc: SessionDocument,
        output: dict[str, Any],
        events: list[NewEvent],
    ) -> Step:
        """Where a recorded round leads: on, to the customer, to an end, or to a cancel."""
        if stored.state != SessionState.NEGOTIATING:  # ended meanwhile: keep the exchange
            return Step(SessionState(stored.state), events, NEGOTIATION)
        outcome = output.get("outcome") or {}
        status = outcome.get("status") if output.get("done") else None
        if status == "accepted":  # CS confirmed: a cancel that came during it is too late
            doc.outcome = outcome
            if doc.cancel_requested:
                doc.cancel_requested = False
                detail = {"reason": "CS had already confirmed the agreement"}
                events.append(NewEvent("cancel_too_late", COORDINATOR, detail))
            return self._agreed_step(doc, outcome, events)
        if doc.cancel_requested:
            return self._cancelled_step(doc, events)
        if status is None:
            return Step(SessionState.NEGOTIATING, events, NEGOTIATION)
        return self._finish_negotiation(stored, doc, outcome, events)

    def _check_negotiation_limits(self, doc: SessionDocument) -> None:
        strategy = doc.strategy or {}
        max_rounds = min(
            _as_int(strategy.get("max_rounds"), limits.MAX_ROUNDS), self._limits.max_rounds
        )
        if len(doc.negotiation.rounds) >= max_rounds:
            raise Escalate("too_many_rounds", f"no agreement after {max_rounds} rounds")
        started = doc.negotiation.started_at or self._clock()
        if self._clock() - started > self._limits.negotiation_deadline_s:
            raise Escalate("negotiation_timeout", "no agreement within the negotiation deadline")

    def _record_round(self, doc: SessionDocument, output: dict[str, Any]) -> list[NewEvent]:
        """Checkpoint the agent's state and the round it ran."""
        state = output.get("state")
        if not isinstance(state, dict):
            raise Escalate("agent_error", "the negotiation agent returned no state")
        doc.negotiation.state = state
        exchanges = state.get("exchanges")
        round_ = output.get("round")
        if not isinstance(round_, dict):
            return []
        doc.negotiation.rounds.append({**round_, "attempt": doc.attempt})
        if isinstance(exchanges, int) and exchanges >= 0:
            doc.negotiation.cs_exchanges = exchanges
        elif round_.get("cs_text"):
            doc.negotiation.cs_exchanges += 1
        keys = ("round", "sent", "cs_text", "cs_offer", "decision", "attachments")
        detail = {k: round_.get(k) for k in keys if k != "attachments" or round_.get(k)}
        return [NewEvent("cs_exchange", NEGOTIATION, {**detail, "attempt": doc.attempt})]

    def _finish_negotiation(
        self,
        stored: StoredSession,
        doc: SessionDocument,
        outcome: dict[str, Any],
        events: list[NewEvent],
    ) -> Step:
        status = outcome.get("status")
        if status == "agreement" and doc.negotiation.action == NegotiationAction.CONTINUE:
            doc.proposal = outcome
            return Step(SessionState.AWAITING_OUTCOME_APPROVAL, events)
        if status == "needs_input":
            doc.question = str(outcome.get("question") or outcome.get("reason") or "")[:1000]
            doc.negotiation.paused_at = self._clock()
            return Step(SessionState.AWAITING_CUSTOMER_INPUT, events)
        if status == "cs_unavailable":
            return self._cs_unavailable_step(stored, doc, outcome, events)
        if status == "no_agreement" and outcome.get("cs_closed"):
            if doc.cs_reopens < limits.CS_CHAT_REOPENS:
                return self._new_chat(doc, events)
        doc.outcome = outcome
        reason = str(outcome.get("reason") or f"negotiation ended with {status!r}")
        return self._escalation_step(stored.id, doc, "no_agreement", reason, events)

    def _new_chat(self, doc: SessionDocument, events: list[NewEvent]) -> Step:
        """CS closed the chat without an agreement: the same plan, in a new conversation (a new
        attempt, so its idempotency keys are new); the closed one stays in the history."""
        strategy = doc.strategy
        close_attempt(doc, "CS closed the chat without an agreement")
        doc.strategy = strategy
        doc.cs_reopens += 1
        self._start_negotiation(doc)
        event = NewEvent("cs_chat_reopened", COORDINATOR, {"attempt": doc.attempt})
        return Step(SessionState.NEGOTIATING, [*events, event])

    def _escalation_step(
        self, session_id: str, doc: SessionDocument, code: str, reason: str, events: list[NewEvent]
    ) -> Step:
        """Escalate in the same write as the round that led there (the round is kept)."""
        log.warning("escalating case: %s", code, extra={"fields": {"reason_code": code}})
        doc.reason = reason
        escalation = self._new_escalation(session_id, doc, code, reason)
        event = NewEvent("escalated", COORDINATOR, {"reason_code": code, "reason": reason})
        return Step(SessionState.ESCALATED, [*events, event], escalation=escalation)

    # -- customer transitions (pure on the document) --------------------------------------

    def _apply_decision(self, doc: SessionDocument, decision: Decision) -> Step:
        state = SessionState(doc.state)
        detail = {"decision": decision.decision, "reason": decision.reason}
        if decision.new_goal:
            detail["new_goal"] = decision.new_goal
        if state == SessionState.AWAITING_STRATEGY_APPROVAL:
            event = NewEvent("decision", "customer", {**detail, "stage": "strategy"})
            return self._decide_strategy(doc, decision, event)
        if state == SessionState.AWAITING_OUTCOME_APPROVAL:
            event = NewEvent("decision", "customer", {**detail, "stage": "outcome"})
            return self._decide_outcome(doc, decision, event)
        if state == SessionState.AWAITING_FOLLOW_UP_APPROVAL and doc.follow is not None:
            event = NewEvent("decision", "customer", {**detail, "stage": "follow_up"})
            doc.question = None
            if decision.decision == "approve":
                return Step(SessionState.FOLLOWING_UP, [event], "customer")
            why = "the customer chose not to chase CS further"
            return self._dispute_step(doc, doc.follow, [event], why)
        raise InvalidState(f"nothing awaits approval: the session is {state.value}")

    def _decide_strategy(self, doc: SessionDocument, decision: Decision, event: NewEvent) -> Step:
        if decision.decision == "approve":
            self._start_negotiation(doc)
            return Step(SessionState.NEGOTIATING, [event], "customer")
        if decision.new_goal is None and decision.floor_amount is None:
            doc.reason = "the customer rejected the strategy"
            return Step(SessionState.CANCELLED, [event], "customer")
        doc.goal = decision.new_goal or doc.goal
        doc.floor_amount = decision.floor_amount
        doc.strategy = None
        return Step(SessionState.PLANNING, [event], "customer")

    def _decide_outcome(self, doc: SessionDocument, decision: Decision, event: NewEvent) -> Step:
        if decision.decision == "approve":
            doc.negotiation.action = NegotiationAction.ACCEPT
            return Step(SessionState.NEGOTIATING, [event], "customer")
        farewell = self._walk_away_request(doc)
        if decision.new_goal is None and decision.floor_amount is None:
            reason = "the customer rejected the best outcome CS offered"
            context = escalation_context(
                doc, self._store.events(doc.id), "customer_rejected", reason
            )
            doc.escalation = _escalation_summary("customer_rejected", reason)
            doc.reason = reason
            escalation = NewEscalation(doc.escalation["id"], "customer_rejected", context)
            return Step(SessionState.ESCALATED, [event], "customer", escalation, farewell)
        close_attempt(doc, f"customer rejected the outcome: {decision.reason or 'new goal'}")
        doc.goal = decision.new_goal or doc.goal
        doc.floor_amount = decision.floor_amount
        return Step(SessionState.PLANNING, [event], "customer", walk_away=farewell)

    def _apply_message(self, doc: SessionDocument, text: str, choice: str | None = None) -> Step:
        state = SessionState(doc.state)
        now = self._clock()
        if state == SessionState.AWAITING_CLARIFICATION:
            return self._clarify(doc, text, choice, now)
        if choice:
            raise InvalidState(f"the session is {state.value}: there is no choice to make")
        if state == SessionState.AWAITING_CUSTOMER_INPUT:
            doc.messages.append(CustomerMessage(at=now, kind="customer_input", text=text))
            doc.question = None
            _resume_clock(doc.negotiation, now)
            event = NewEvent("message", "customer", {"kind": "customer_input", "text": text})
            return Step(SessionState.NEGOTIATING, [event], "customer")
        if state in (
            SessionState.AWAITING_STRATEGY_APPROVAL,
            SessionState.AWAITING_OUTCOME_APPROVAL,
        ):
            farewell = None
            if state == SessionState.AWAITING_OUTCOME_APPROVAL:
                farewell = self._walk_away_request(doc)
                close_attempt(doc, "the customer changed their mind")
            doc.messages.append(CustomerMessage(at=now, kind="change_of_mind", text=text))
            event = NewEvent("message", "customer", {"kind": "change_of_mind", "text": text})
            return Step(SessionState.ANALYZING, [event], "customer", walk_away=farewell)
        raise InvalidState(
            f"the session is {state.value}: messages are taken while it awaits a clarification, "
            "information CS asked for, or an approval"
        )

    def _apply_photos(self, doc: SessionDocument, photos: Sequence[CleanPhoto]) -> Step:
        state = SessionState(doc.state)
        if state in TERMINAL_STATES:
            raise InvalidState(f"the case is {state.value}: photos can no longer be added")
        if len(doc.photos) + len(photos) > limits.MAX_PHOTOS_PER_CASE:
            raise InvalidInput(
                f"a case takes at most {limits.MAX_PHOTOS_PER_CASE} photos; "
                f"this one has {len(doc.photos)}"
            )
        now, wanted = self._clock(), photos_wanted(doc)
        first = max((p.seq for p in doc.photos), default=0) + 1
        new = [NewPhoto(first + i, p.content_type, p.data) for i, p in enumerate(photos)]
        doc.photos += [
            PhotoRecord(
                seq=n.seq, content_type=n.content_type, size=len(n.data),
                width=p.width, height=p.height, added_at=now,
            )
            for n, p in zip(new, photos, strict=True)
        ]  # fmt: skip
        detail = {"count": len(new), "photos": len(doc.photos)}
        events = [NewEvent("photos_added", "customer", detail)]
        if wanted:  # what CS asked for: carry on, and send them
            doc.question = None
            _resume_clock(doc.negotiation, now)
            return Step(SessionState.NEGOTIATING, events, "customer", new_photos=new)
        return Step(state, events, "customer", new_photos=new)

    def _clarify(self, doc: SessionDocument, text: str, choice: str | None, now: float) -> Step:
        """The customer's answer to a clarification: one of the choices, or words."""
        picked = _pick_choice(doc.choices, choice, text)
        if choice and picked is None:
            raise InvalidInput(f"unknown choice {choice!r}: pick one of the offered choices")
        reading_question = any(
            c.get("problem_type") or c.get("desired_outcome") for c in doc.choices
        )
        if reading_question:
            doc.hints["asked"] = True
        detail: dict[str, Any] = {"kind": "clarification", "text": text}
        if picked is not None:
            doc.order_id = picked.get("order_id") or doc.order_id
            for key in ("problem_type", "desired_outcome"):
                if picked.get(key):
                    doc.hints[key] = picked[key]
            detail["choice"] = picked["id"]
        else:
            doc.order_id = find_order_id(text) or doc.order_id
        doc.messages.append(
            CustomerMessage(
                at=now,
                kind="clarification",
                text=text or (picked["label"] if picked else ""),
                choice=detail.get("choice"),
            )
        )
        return Step(SessionState.ANALYZING, [NewEvent("message", "customer", detail)], "customer")

    def _apply_cancel(self, doc: SessionDocument) -> Step:
        state = SessionState(doc.state)
        if state in TERMINAL_STATES:
            raise InvalidState(f"the session is already {state.value}")
        if state == SessionState.NEGOTIATING:  # a round may be in flight: queue behind it
            event = [] if doc.cancel_requested else [NewEvent("cancel_requested", "customer")]
            doc.cancel_requested = True
            return Step(SessionState.NEGOTIATING, event, "customer")
        return self._cancelled_step(doc, [])

    def _cancelled_step(self, doc: SessionDocument, events: list[NewEvent]) -> Step:
        """Cancel the case, closing its CS contact (from its latest checkpoint) if open."""
        doc.reason = "cancelled by the customer"
        doc.cancel_requested = False
        farewell = self._walk_away_request(doc)
        cancelled = NewEvent("cancelled", "customer")
        return Step(SessionState.CANCELLED, [*events, cancelled], "customer", walk_away=farewell)

    # -- helpers --------------------------------------------------------------------------

    def _act(
        self, session_id: str, transition: Callable[[SessionDocument], Step], start: bool = True
    ) -> SessionState:
        """Apply a customer transition with optimistic concurrency, then let the case run."""
        for _ in range(MAX_WRITE_RETRIES):
            stored = self._store.get(session_id)
            doc = SessionDocument.model_validate(stored.document)
            step = transition(doc)
            try:
                self._save(stored, doc, step)
            except ConcurrencyConflict:
                continue
            if start and step.state in WORKING_STATES:
                self._on_loop(lambda: self.start(session_id))
            return step.state
        raise ConcurrencyConflict("the session is busy; try again")

    def _walk_away_request(self, doc: SessionDocument) -> dict[str, Any] | None:
        """The negotiate call that closes the current CS contact, if one is open."""
        state = doc.negotiation.state or {}
        if not state.get("contact_id") or state.get("status") in {
            "closed",
            "accepted",
            "no_agreement",  # the agent already said goodbye, or CS closed the contact
        }:
            return None
        return {
            "session_id": doc.id,
            "attempt": doc.attempt,
            "customer_id": doc.customer_id,
            "order_id": doc.order_id,
            "problem_type": (doc.analysis or {}).get("problem_type", "other"),
            "strategy": doc.strategy,
            "state": state,
            "action": NegotiationAction.WALK_AWAY.value,
        }

    def _start_negotiation(self, doc: SessionDocument) -> None:
        doc.negotiation = Negotiation(started_at=self._clock())

    def _save(self, stored: StoredSession, doc: SessionDocument, step: Step) -> StoredSession:
        if step.state != stored.state:
            self._enter(doc, step.state)
        doc.state = step.state
        owed = None
        if step.walk_away is not None:
            owed = OutboxItem(FAREWELL, step.walk_away)
        saved = self._store.save(
            stored,
            step.state.value,
            _dump(doc),
            actor=step.actor,
            events=step.events,
            escalation=step.escalation,
            owed=owed,
            new_photos=step.new_photos,
            fence=_DRIVER.get(),
        )
        if owed is not None:
            self._kick_outbox()
        if step.state in MONITORING_STATES:
            self._remember_check(doc, self._clock())
        if step.state in WORKING_STATES:  # a step follows: it starts from this version
            self._written[saved.id] = saved
        return saved

    def _enter(self, doc: SessionDocument, state: SessionState) -> None:
        """Start the clocks of a wait: for the customer, or for CS to come back."""
        if state in WAITING_STATES:
            doc.waiting_since, doc.reminders = self._clock(), 0
        elif state in RETRYING_STATES:
            doc.cs_unavailable_since = self._clock()

    async def _call(
        self,
        agent: SkillCaller,
        peer: str,
        skill: str,
        request: dict[str, Any],
        doc: SessionDocument,
        files: Sequence[Part] = (),
    ) -> tuple[SkillResult, NewEvent]:
        """Call a skill (with `files` as file parts, if any); returns its result and the event
        that records the call."""
        started = time.perf_counter()
        meta = {"session_id": doc.id}
        if files:
            result = await agent.call_skill(skill, request, metadata=meta, files=files)
        else:
            result = await agent.call_skill(skill, request, metadata=meta)
        if result.retryable:  # the agent is up, but something it needs is not (yet)
            raise A2AUnavailable(f"{peer} cannot answer {skill} yet: {result.message[:200]}")
        detail = {
            "skill": skill,
            "task_state": str(result.state),
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if files:
            detail["files"] = len(files)
        return result, NewEvent("agent_call", peer, detail)

    def _new_escalation(
        self, session_id: str, doc: SessionDocument, code: str, reason: str
    ) -> NewEscalation:
        context = escalation_context(doc, self._store.events(session_id), code, reason)
        doc.escalation = _escalation_summary(code, reason)
        return NewEscalation(doc.escalation["id"], code, context)

    def _write_escalation(
        self, session_id: str, code: str, reason: str, actor: str = COORDINATOR
    ) -> None:
        """Escalate the case as it now stands (re-read, so a concurrent write is not lost)."""
        log.warning("escalating case: %s", code, extra={"fields": {"reason_code": code}})
        for _ in range(MAX_WRITE_RETRIES):
            stored = self._load_or_quarantine(session_id)
            if stored is None or stored.state in TERMINAL_STATES:
                return
            doc = SessionDocument.model_validate(stored.document)
            doc.reason = reason
            escalation = self._new_escalation(session_id, doc, code, reason)
            event = NewEvent("escalated", actor, {"reason_code": code, "reason": reason})
            try:
                self._save(stored, doc, Step(SessionState.ESCALATED, [event], actor, escalation))
                return
            except ConcurrencyConflict:
                continue

    def _load_or_quarantine(self, session_id: str) -> StoredSession | None:
        try:
            return self._store.get(session_id)
        except SessionNotFound:
            return None
        except SessionIntegrityError as error:
            self.quarantine(session_id, error)
            return None

    async def _cancel_tasks(self, session_id: str) -> None:
        current = asyncio.current_task()
        tasks = [t for t in self._tasks.get(session_id, ()) if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, session_id: str, task: asyncio.Task[None]) -> None:
        tasks = self._tasks.get(session_id)
        if tasks is None:
            return
        tasks.discard(task)
        if not tasks:
            self._tasks.pop(session_id, None)
            lock = self._locks.get(session_id)
            if lock is not None and not lock.locked():
                self._locks.pop(session_id, None)


def _resume_clock(negotiation: Negotiation, now: float) -> None:
    """Take the time the talk waited on the customer off the negotiation's clock."""
    if negotiation.started_at is not None and negotiation.paused_at is not None:
        negotiation.started_at += max(0.0, now - negotiation.paused_at)
    negotiation.paused_at = None


def _choices(raw: Any) -> list[dict[str, str]]:
    """The analysis' choices, kept to their known string fields."""
    keys = ("id", "label", "problem_type", "desired_outcome", "order_id")
    if not isinstance(raw, list):
        return []
    return [
        {k: str(c[k])[:200] for k in keys if isinstance(c.get(k), str)}
        for c in raw[:6]
        if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("label"), str)
    ]


def _pick_choice(
    choices: list[dict[str, str]], choice: str | None, text: str
) -> dict[str, str] | None:
    """The choice named by its id, or by words that are exactly its id, label or number."""
    wanted = (choice or text or "").strip().casefold().rstrip(".")
    for number, option in enumerate(choices, 1):
        if wanted in (option["id"].casefold(), option["label"].casefold(), str(number)):
            return option
    return None


def _dump(doc: SessionDocument) -> dict[str, Any]:
    return doc.model_dump(mode="json")


def _failure(result: SkillResult) -> str:
    return str(result.output.get("error") or result.message or result.state)[:500]


def _as_int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


_RUNG_ASKS = {
    Rung.RECONTACT: "contact CS again, citing the agreement and its own words",
    Rung.SUPERVISOR: "ask CS for a supervisor",
    Rung.COMPLAINT: "send the retailer a formal written complaint",
}


def _promise_detail(promise: follow_through.Promise) -> dict[str, Any]:
    """A promise as events show it to the customer."""
    return {
        "promise": promise.id,
        "kind": promise.kind,
        "type": promise.type,
        "amount": promise.amount,
        "currency": promise.currency,
        "days": promise.days,
        "days_source": promise.days_source,
        "due_date": follow_through.iso_date(promise.due_at),
        "due_at": _iso(promise.due_at),
        "grace_until": _iso(promise.grace_until),
        "status": promise.status,
        "text": promise.describe(),
    }


def _escalation_summary(code: str, reason: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "reason_code": code, "reason": reason, "status": "open"}
