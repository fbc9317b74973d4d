"""Leases: which coordinator instance drives a case, when several share one database.

An instance takes a case's lease before it drives the case, renews all its leases while they
run, and gives a lease back when the case waits for someone or ends. A lease that is not
renewed (its instance died or stalled) runs out after `LEASE_TTL_S`; every instance scans for
such cases and the first to take the lease resumes the case from its last checkpoint, with
the same idempotency keys. Writes made while driving are fenced by the lease (see
`SessionStore.save`), so a stalled instance that wakes up late cannot write over the one
that took over.

On PostgreSQL a lease is taken with `SELECT ... FOR UPDATE SKIP LOCKED` (an instance never
waits behind another's claim) and a compare-and-set, which also keeps SQLite correct: the
storage suite runs `LeaseStore` on both. The coordinator itself uses `LocalLeases` on SQLite,
which is one instance's database: every lease is granted at once.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, outerjoin, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coordinator_agent.store import StoreThreads, case_leases, sessions
from shared import limits
from shared.logs import get_logger

log = get_logger(__name__)

RENEW_BATCH = 500  # case ids per renewing statement


def lease_owner() -> str:
    """This process's name as a lease owner: host, process id and a random part (a restarted
    process never passes for its predecessor)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Taken:
    """A lease just taken; `previous_owner` is set when it was taken over from another."""

    session_id: str
    previous_owner: str | None = None
    previous_renewed_at: float | None = None  # the previous owner's last sign of life


class LeaseStore:
    """The lease rows: take, renew, give back, and find the cases nobody drives."""

    def __init__(
        self,
        engine: Engine,
        owner: str,
        *,
        ttl_s: float = limits.LEASE_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self.owner = owner
        self._ttl_s = ttl_s
        self._clock = clock
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    def acquire(self, session_id: str) -> Taken | None:
        """Take the case's lease if it is free, expired or already ours; None if another holds
        it (or is taking it right now: its row is locked, and skipped, not waited for)."""
        now = self._clock()
        with self._engine.begin() as conn:
            row = conn.execute(
                select(case_leases)
                .where(case_leases.c.session_id == session_id)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:  # no lease, or one being written by another instance
                inserted = conn.execute(
                    self._insert(case_leases)
                    .values(
                        session_id=session_id,
                        owner=self.owner,
                        expires_at=now + self._ttl_s,
                        renewed_at=now,
                    )  # fmt: skip
                    .on_conflict_do_nothing(index_elements=["session_id"])
                    .returning(case_leases.c.session_id)
                ).first()
                return Taken(session_id) if inserted is not None else None
            if row.owner != self.owner and row.expires_at > now:
                return None
            # Compare-and-set on what was read: correct even where rows are not locked.
            claimed = conn.execute(
                update(case_leases)
                .where(
                    and_(
                        case_leases.c.session_id == session_id,
                        case_leases.c.owner == row.owner,
                        case_leases.c.expires_at == row.expires_at,
                    )
                )
                .values(owner=self.owner, expires_at=now + self._ttl_s, renewed_at=now)
            )
            if claimed.rowcount != 1:
                return None
        if row.owner == self.owner:
            return Taken(session_id)
        return Taken(session_id, row.owner, row.renewed_at)

    def renew(self, session_ids: Iterable[str]) -> set[str]:
        """Extend the leases of these cases that this owner still holds; returns those.

        Only the cases named: a lease this process no longer tracks (a release that failed,
        an acquisition cancelled halfway) is left to run out, so another instance takes the
        case over rather than nobody driving it forever.
        """
        wanted, renewed = sorted(set(session_ids)), set()
        now = self._clock()
        with self._engine.begin() as conn:
            for start in range(0, len(wanted), RENEW_BATCH):
                rows = conn.execute(
                    update(case_leases)
                    .where(
                        and_(
                            case_leases.c.owner == self.owner,
                            case_leases.c.session_id.in_(wanted[start : start + RENEW_BATCH]),
                        )
                    )
                    .values(expires_at=now + self._ttl_s, renewed_at=now)
                    .returning(case_leases.c.session_id)
                )
                renewed.update(rows.scalars())
        return renewed

    def release(self, session_id: str) -> None:
        """Give the case's lease back (if it is still ours)."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(case_leases).where(
                    and_(case_leases.c.session_id == session_id, case_leases.c.owner == self.owner)
                )
            )

    def release_all(self) -> None:
        """Give back every lease this owner holds (a clean shutdown: others take over now)."""
        with self._engine.begin() as conn:
            conn.execute(delete(case_leases).where(case_leases.c.owner == self.owner))

    def holder(self, session_id: str) -> str | None:
        """Who holds the case's lease now (expired or not); None when nobody."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(case_leases.c.owner).where(case_leases.c.session_id == session_id)
            ).scalar()
            return str(found) if found is not None else None

    def claimable(self, states: Iterable[str], limit: int = 500) -> list[str]:
        """Cases in `states` that nobody drives: their lease ran out, or they have none and
        were last written more than LEASE_UNCLAIMED_GRACE_S ago (the instance that wrote a
        case starts it itself; the grace keeps the others from racing it for the lease)."""
        now = self._clock()
        joined = outerjoin(sessions, case_leases, case_leases.c.session_id == sessions.c.id)
        query = (
            select(sessions.c.id)
            .select_from(joined)
            .where(
                and_(
                    sessions.c.state.in_([str(s) for s in states]),
                    sessions.c.quarantined == 0,
                    or_(
                        case_leases.c.expires_at <= now,
                        and_(
                            case_leases.c.session_id.is_(None),
                            sessions.c.updated_at < now - limits.LEASE_UNCLAIMED_GRACE_S,
                        ),
                    ),
                )
            )
            .order_by(sessions.c.updated_at)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return list(conn.execute(query).scalars())


class LocalLeases:
    """One coordinator on its own database (SQLite): every lease is granted, nothing to renew."""

    shared = False
    owner: str | None = None  # no fence on writes

    async def acquire(self, session_id: str) -> Taken | None:
        return Taken(session_id)

    async def release(self, session_id: str) -> None:
        return None

    def holds(self, session_id: str) -> bool:
        return True

    async def renew(self) -> set[str]:
        return set()

    async def claimable(self, states: Iterable[str]) -> list[str]:
        return []

    async def close(self) -> None:
        return None


class SharedLeases:
    """This instance's leases on a database several coordinators share.

    Taking and giving back a lease run in the workflow's store threads, next to the case's
    own store work; renewals and scans run in a thread of their own, so a busy store never
    delays a renewal past the lease's expiry.
    """

    shared = True

    def __init__(self, store: LeaseStore, threads: StoreThreads) -> None:
        self._store = store
        self._threads = threads
        self._keeper = StoreThreads(1)
        self._held: dict[str, int] = {}  # case id -> the generation it was taken in
        self._generation = 0

    @property
    def owner(self) -> str:
        return self._store.owner

    async def acquire(self, session_id: str) -> Taken | None:
        taken = await self._threads.run(self._store.acquire, session_id)
        if taken is not None:
            self._generation += 1
            self._held[session_id] = self._generation
        return taken

    async def release(self, session_id: str) -> None:
        self._held.pop(session_id, None)
        await self._threads.run(self._store.release, session_id)

    def holds(self, session_id: str) -> bool:
        """Whether this instance still holds the case's lease, as far as it knows."""
        return session_id in self._held

    async def renew(self) -> set[str]:
        """Renew every lease; returns the cases whose lease was lost (taken over meanwhile)."""
        before = dict(self._held)
        renewed = await self._keeper.run(self._store.renew, list(before))
        lost = set()
        for session_id, generation in before.items():
            if session_id not in renewed and self._held.get(session_id) == generation:
                del self._held[session_id]
                lost.add(session_id)
        return lost

    async def claimable(self, states: Iterable[str]) -> list[str]:
        return [
            session_id
            for session_id in await self._keeper.run(self._store.claimable, list(states))
            if session_id not in self._held
        ]

    async def close(self) -> None:
        """Give every lease back, so the other instances take the cases over at once."""
        self._held.clear()
        try:
            await self._keeper.run(self._store.release_all)
        except Exception:  # the database is gone: the leases simply run out
            log.warning("could not give the leases back; they run out in %s s", limits.LEASE_TTL_S)
        self._keeper.close()


CaseLeases = LocalLeases | SharedLeases


def takeover_detail(taken: Taken, now: float) -> dict[str, Any]:
    """What a takeover event says: how long the previous owner had been silent."""
    silent = now - (taken.previous_renewed_at or now)
    return {"after_s": round(max(0.0, silent), 2), "text": "another coordinator took the case over"}
