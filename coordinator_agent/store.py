"""The coordinator's session store: encrypted session documents, an event log, escalations.

Every session row holds its document as Fernet-encrypted JSON, a version for optimistic
concurrency, and an HMAC checksum over (id, state, version, document): Fernet alone
authenticates one ciphertext, the checksum also binds it to its row and plaintext state,
so a swapped document or an edited state column is caught on the next read or write.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import URL, make_url

from shared import limits, metrics
from shared.logs import get_logger

log = get_logger(__name__)

TOKEN_IDLE_EXPIRY_S = limits.TOKEN_IDLE_EXPIRY_S
TOKEN_TOUCH_INTERVAL_S = 60.0
RETENTION_S = limits.RETENTION_DAYS * 24 * 3600
# Threads that run store calls for the event loop (and database connections per process)
# on PostgreSQL; SQLite takes one writer at a time, so one thread serves it without
# contention for its lock.
STORE_THREADS = 8

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_hash", String(64), nullable=False, index=True),
    Column("state", String(32), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("completed_at", Float, nullable=True),
    Column("archived_at", Float, nullable=True, index=True),
    Column("quarantined", Integer, nullable=False, default=0),
)

events = Table(
    "events",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", Float, nullable=False),
    Column("type", String(40), nullable=False),
    Column("state", String(32), nullable=False),
    Column("actor", String(40), nullable=False),
    Column("detail", LargeBinary, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(36), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=False),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("session_id", String(36), nullable=False, index=True),
    Column("reason_code", String(40), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("resolved_at", Float, nullable=True),
    Column("context", LargeBinary, nullable=False),
    Column("resolution", LargeBinary, nullable=True),
)

# Messages to CS the coordinator owes (closing an abandoned contact): written in the same
# transaction as the state change that owes them, delivered and retried until done.
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("session_id", String(36), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("request", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("due_at", Float, nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("done_at", Float, nullable=True, index=True),
    Column("result", String(200), nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("session_id", String(36), nullable=False, index=True),
    Column("body_hash", String(64), nullable=False),
    Column("token", LargeBinary, nullable=False),  # the session's token, encrypted
    Column("created_at", Float, nullable=False),
)

ratings = Table(
    "ratings",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("comment", LargeBinary, nullable=True),
    Column("at", Float, nullable=False),
)


# Which coordinator instance drives a case (coordinator_agent/leases.py): a row while one
# does, with its owner and until when; deleted when the case waits or ends.
case_leases = Table(
    "case_leases",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("owner", String(100), nullable=False, index=True),
    Column("expires_at", Float, nullable=False, index=True),
    Column("renewed_at", Float, nullable=False),  # the holder's last sign of life
)


# -- customer accounts (coordinator_agent/accounts.py) --------------------------------------
# Emails, names, password hashes and customer ids are sealed; lookups go by keyed hash.
accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email_hash", String(64), nullable=False, unique=True),
    Column("email", LargeBinary, nullable=False),
    Column("name", LargeBinary, nullable=True),
    Column("password", LargeBinary, nullable=False),  # the argon2id hash, sealed
    Column("created_at", Float, nullable=False),
)

account_tokens = Table(
    "account_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

account_links = Table(
    "account_links",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("customer_hash", String(64), primary_key=True),
    Column("customer_id", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)

account_sessions = Table(
    "account_sessions",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("created_at", Float, nullable=False, index=True),
)

# Counted attempts (sign-ins, sign-ups, links) by keyed hash of what is throttled.
throttle_events = Table(
    "throttle_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_hash", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False, index=True),
)

# Evidence photos: the bytes (already stripped of metadata) sealed like every other value.
photos = Table(
    "photos",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)


# Every encrypted column outside the session rows, for key rotation.
_SEALED_COLUMNS: dict[Table, tuple[str, ...]] = {
    events: ("detail",),
    escalations: ("context", "resolution"),
    ratings: ("comment",),
    idempotency_keys: ("token",),
    outbox: ("request",),
    accounts: ("email", "name", "password"),
    account_links: ("customer_id",),
    photos: ("data",),
}
# Rows rewritten per transaction in key rotation, where rows are large (a photo is 5 MB).
_ROTATION_BATCH = {photos: 10}


class StoreError(Exception):
    """Base class of the store's errors."""

    default = "session store error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)


class SessionNotFound(StoreError):
    default = "no such session"


class ConcurrencyConflict(StoreError):
    default = "the session changed since it was read"


class SessionIntegrityError(StoreError):
    default = "the stored session failed its integrity check"


class TokenInvalid(StoreError):
    default = "invalid session token"


class TokenExpired(StoreError):
    default = "the session token expired after 24 hours without use"


class TokenForOtherSession(StoreError):
    default = "this token does not grant access to this session"


class LeaseLost(StoreError):
    """Another coordinator instance took this case's lease: this one must stop driving it."""

    default = "another coordinator instance drives this case now"


class IdempotencyKeyReused(StoreError):
    default = "this Idempotency-Key was used for a different request"


class EscalationNotFound(StoreError):
    default = "no such escalation"


@dataclass(frozen=True)
class StoredSession:
    """One session as read from the store; pass it back to `save` to update it."""

    id: str
    state: str
    version: int
    document: dict[str, Any]
    created_at: float
    updated_at: float
    checksum: str = field(repr=False)
    sealed: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class NewEvent:
    """An event to append with a write: what happened and which agent did it."""

    type: str
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One entry of a session's append-only history."""

    seq: int
    at: float
    type: str
    state: str
    actor: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class NewEscalation:
    """An escalation to open in the same transaction as a session write."""

    id: str
    reason_code: str
    context: dict[str, Any]


@dataclass(frozen=True)
class NewPhoto:
    """A photo to store with a write: its number on the case, its type and its bytes."""

    seq: int
    content_type: str
    data: bytes


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo, opened."""

    seq: int
    content_type: str
    size: int
    data: bytes
    created_at: float


@dataclass(frozen=True)
class OutboxItem:
    """A message to deliver for a session (e.g. the farewell that closes a CS contact)."""

    kind: str
    request: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    session_id: str = ""
    attempts: int = 0


@dataclass(frozen=True)
class Escalation:
    """One case in the human queue, with the full context captured when it was opened."""

    id: str
    session_id: str
    reason_code: str
    status: str
    created_at: float
    resolved_at: float | None
    context: dict[str, Any]
    resolution: dict[str, Any] | None


class Cipher:
    """Fernet encryption of JSON values plus the keyed hashes the store needs.

    Encryption keys rotate: the first of `keys` encrypts, all decrypt. The HMAC key of
    checksums, token and customer hashes is separate (`mac_key`), so putting a new
    encryption key in front changes nothing that was hashed. Hashes made before a separate
    key existed (derived from an encryption key) still verify, and are rewritten with the
    current key on the next write, the next use of a token, or `rotate-keys`.
    """

    def __init__(self, keys: str, mac_key: str = "") -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("an encryption key is required")
        self._fernets = [Fernet(k.encode()) for k in parts]
        self._fernet = MultiFernet(self._fernets)
        derived = [_legacy_mac_key(part) for part in parts]
        primary = _mac_key(mac_key) if mac_key else derived[0]
        self._mac_keys = [primary, *(k for k in derived if k != primary)]

    def seal(self, value: Any) -> bytes:
        """Encrypt a JSON-serializable value."""
        return self.seal_bytes(canonical_json(value).encode())

    def open(self, token: bytes) -> Any:
        """Decrypt a value sealed by `seal`; InvalidToken when tampered or the key is wrong."""
        return orjson.loads(self.open_bytes(token))

    def seal_bytes(self, plain: bytes) -> bytes:
        """Encrypt bytes."""
        return self._fernet.encrypt(plain)

    def open_bytes(self, token: bytes) -> bytes:
        """Decrypt bytes sealed by `seal_bytes`; InvalidToken when tampered or the key is wrong."""
        return self._fernet.decrypt(token)

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a ciphertext with the current (first) key."""
        return self._fernet.rotate(token)

    def mac(self, text: str) -> str:
        """A keyed hash (HMAC-SHA256, hex) of `text`, with the current HMAC key."""
        return self.mac_bytes(text.encode())

    def mac_bytes(self, data: bytes) -> str:
        """A keyed hash (HMAC-SHA256, hex) of `data`, with the current HMAC key."""
        return hmac.new(self._mac_keys[0], data, hashlib.sha256).hexdigest()

    def macs(self, text: str) -> list[str]:
        """The hashes of `text` under every key that may have made a stored one, current first."""
        return [hmac.new(k, text.encode(), hashlib.sha256).hexdigest() for k in self._mac_keys]

    def verify_mac_bytes(self, data: bytes, expected: str) -> bool:
        """Whether `expected` is the hash of `data` under any known HMAC key (constant time)."""
        found = False
        for key in self._mac_keys:
            found |= hmac.compare_digest(hmac.new(key, data, hashlib.sha256).hexdigest(), expected)
        return found


def _mac_key(secret: str) -> bytes:
    return hashlib.sha256(b"csn-store-hmac:" + secret.encode()).digest()


def _legacy_mac_key(encryption_key: str) -> bytes:
    """The HMAC key of stores written before the HMAC key was separate."""
    return hashlib.sha256(b"csn-store-mac:" + encryption_key.encode()).digest()


def canonical_json(value: Any) -> str:
    """One byte-stable JSON rendering of a value (sorted keys, no spaces, UTF-8)."""
    # orjson: the store renders every document two or three times a step; json was the
    # coordinator's largest single cost under load.
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def database_url(url: str) -> URL:
    """`url` with its driver: plain `postgresql://` means psycopg 3 (the driver we ship)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, pool_size: int = STORE_THREADS) -> Engine:
    """An engine for `url` with a connection per store thread; SQLite gets WAL, a busy
    timeout and its parent folder."""
    parsed = database_url(url)
    pool = {"pool_size": pool_size, "max_overflow": pool_size}
    if parsed.get_backend_name() != "sqlite":
        # No ping before every checkout (a round trip per store call, as many as the calls
        # themselves): a dropped connection fails one call, and SQLAlchemy then replaces
        # every pooled connection older than the failure. Recycled hourly, before a server's
        # or a proxy's idle timeout closes them behind our back.
        return create_engine(parsed, pool_recycle=3600, **pool)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **pool)
    else:
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Checkpoint off the write path: the maintenance job runs `checkpoint()` periodically;
    # this larger automatic threshold is only the safety net.
    cursor.execute("PRAGMA wal_autocheckpoint=20000")
    cursor.close()


# The hot reads, built once (building a statement costs more than running it here).
SELECT_SESSION = select(sessions).where(sessions.c.id == bindparam("session_id"))
SELECT_EVENTS = (
    select(events)
    .where(and_(events.c.session_id == bindparam("session_id"), events.c.seq > bindparam("after")))
    .order_by(events.c.seq)
    .limit(bindparam("limit"))
)


def _held_by(session_id: str, owner: str) -> Any:
    """The condition "this owner holds the case's lease" (the fence of a driving write)."""
    return exists().where(
        and_(case_leases.c.session_id == session_id, case_leases.c.owner == owner)
    )


# The hot write: a new version of a session read earlier, only if the row is still exactly
# what was read (same version, state and checksum, not quarantined). Built once; `_ENDS`
# also sets the completion and archive times (a case ends, or is open again).
UPDATE_SESSION = (
    update(sessions)
    .where(
        and_(
            sessions.c.id == bindparam("read_id"),
            sessions.c.version == bindparam("read_version"),
            sessions.c.state == bindparam("read_state"),
            sessions.c.checksum == bindparam("read_checksum"),
            sessions.c.quarantined == 0,
        )
    )
    .values(
        state=bindparam("new_state"),
        version=bindparam("new_version"),
        document=bindparam("new_document"),
        checksum=bindparam("new_checksum"),
        updated_at=bindparam("new_updated_at"),
        last_seq=sessions.c.last_seq + bindparam("new_events", type_=Integer),
    )
    .returning(sessions.c.last_seq)
)
UPDATE_SESSION_ENDS = UPDATE_SESSION.values(
    completed_at=bindparam("new_completed_at", type_=Float),
    archived_at=bindparam("new_archived_at", type_=Float),
)
INSERT_EVENTS = insert(events)
OPENED_KEPT = 4096  # sessions whose verified plaintext a store keeps (see `_Opened`)


class _Opened:
    """The plaintext of the session rows this process last wrote or verified, by id.

    A row read back byte for byte as it was written or verified (same state, version,
    checksum and ciphertext) needs no second decryption and checksum: reading a case back
    after writing it is what every workflow step does. Any other row is verified in full.
    """

    def __init__(self, kept: int = OPENED_KEPT) -> None:
        self._kept = kept
        self._rows: dict[str, tuple[str, int, str, bytes, bytes]] = {}
        self._lock = threading.Lock()  # store threads share it

    def remember(
        self, session_id: str, state: str, version: int, checksum: str, sealed: bytes,
        canonical: bytes,
    ) -> None:  # fmt: skip
        with self._lock:
            self._rows.pop(session_id, None)
            if len(self._rows) >= self._kept:
                del self._rows[next(iter(self._rows))]  # the least recently remembered
            self._rows[session_id] = (state, version, checksum, sealed, canonical)

    def known(self, row: Any) -> bytes | None:
        """The plaintext of `row`, if it is exactly a row remembered; else None."""
        found = self._rows.get(row.id)
        if found is None:
            return None
        state, version, checksum, sealed, canonical = found
        if (state, version, checksum) != (row.state, row.version, row.checksum):
            return None
        return canonical if sealed == row.document else None

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._rows.pop(session_id, None)


def _checksummed(session_id: str, state: str, version: int, canonical: bytes) -> bytes:
    """What a session's checksum covers: its identity, state, version and document."""
    header = canonical_json({"id": session_id, "state": state, "version": version})
    return header.encode() + b"\n" + canonical


P = ParamSpec("P")
R = TypeVar("R")


class StoreThreads:
    """A bounded pool of threads for blocking store work: the event loop never waits on the
    database (a commit, SQLite's busy wait, a PostgreSQL round trip) and at most `threads`
    calls run at once, one pooled connection each."""

    def __init__(self, threads: int = STORE_THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="store")

    async def run(self, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `work` in a store thread, with the caller's context (its log fields)."""
        context = contextvars.copy_context()
        call = partial(context.run, work, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        """Wait for the calls in flight, then stop the threads."""
        self._pool.shutdown(wait=True)


@contextmanager
def _timed(operation: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        metrics.PERSISTENCE_SECONDS.labels(operation).observe(time.perf_counter() - started)


class SessionStore:
    """Sessions, their event log, tokens, escalations and ratings in one SQL database."""

    def __init__(
        self,
        engine: Engine,
        cipher: Cipher,
        *,
        clock: Callable[[], float] = time.time,
        terminal_states: Iterable[str] = (),
        on_change: Callable[[str], None] | None = None,
        on_events: Callable[[str, list[Event]], None] | None = None,
    ) -> None:
        self._engine = engine
        # Reads are one statement each: without a transaction around them a PostgreSQL read
        # is one round trip instead of three (BEGIN, the query, ROLLBACK). Same pool.
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._cipher = cipher
        self._clock = clock
        self._terminal = frozenset(terminal_states)
        self._on_change = on_change or (lambda session_id: None)
        # The events a write appended, as a read would return them, for live streams.
        self._on_events = on_events or (lambda session_id, written: None)
        self._opened = _Opened()

    def migrate(self) -> str | None:
        """Bring the schema to the newest migration (Alembic); returns the revision."""
        from coordinator_agent.migrations import upgrade  # its env imports this module

        return upgrade(self._engine)

    @property
    def shared(self) -> bool:
        """Whether several processes may write this database (PostgreSQL), or one (SQLite)."""
        return self._engine.dialect.name != "sqlite"

    def dispose(self) -> None:
        """Close the pooled database connections."""
        self._engine.dispose()

    @property
    def engine(self) -> Engine:
        """The database engine (the account store shares it)."""
        return self._engine

    @property
    def cipher(self) -> Cipher:
        """The cipher (the account store shares it)."""
        return self._cipher

    def ping(self) -> bool:
        """Whether the database answers."""
        try:
            with self._reads.connect() as conn:
                conn.execute(select(1))
        except Exception:
            return False
        return True

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log into the database (no-op on other databases)."""
        if self._engine.dialect.name != "sqlite":
            return
        with _timed("checkpoint"), self._reads.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    # -- sessions -------------------------------------------------------------------------

    def create(
        self,
        session_id: str,
        customer_id: str,
        state: str,
        document: dict[str, Any],
        *,
        events: Sequence[NewEvent] = (),
        idempotency: tuple[str, str] | None = None,
        owner: str | None = None,
        new_photos: Sequence[NewPhoto] = (),
    ) -> tuple[StoredSession, str]:
        """Persist a new session; returns it and its customer token (only its hash is kept).

        `idempotency` is (key, request fingerprint): recorded in the same transaction, so
        of two creations with one key only one commits (the other raises IntegrityError).
        `owner` is the account that opens it, and `new_photos` its evidence, recorded in the
        same transaction.
        """
        now = self._clock()
        token = secrets.token_urlsafe(32)
        checksum, sealed, canonical = self._seal_document(session_id, state, 1, document)
        with _timed("create"), self._engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    id=session_id,
                    customer_hash=self._cipher.mac("customer:" + customer_id),
                    state=state,
                    version=1,
                    document=sealed,
                    checksum=checksum,
                    last_seq=len(events),
                    created_at=now,
                    updated_at=now,
                    quarantined=0,
                )
            )
            conn.execute(
                insert(tokens).values(
                    token_hash=self._token_hash(token),
                    session_id=session_id,
                    created_at=now,
                    last_used_at=now,
                )
            )
            self._insert_events(conn, session_id, 0, state, now, events)
            self._insert_photos(conn, session_id, new_photos, now)
            if owner is not None:
                conn.execute(
                    insert(account_sessions).values(
                        session_id=session_id, account_id=owner, created_at=now
                    )
                )
            if idempotency is not None:
                conn.execute(
                    insert(idempotency_keys).values(
                        key_hash=self._cipher.mac("idempotency:" + idempotency[0]),
                        session_id=session_id,
                        body_hash=self._cipher.mac("request:" + idempotency[1]),
                        token=self._cipher.seal(token),
                        created_at=now,
                    )
                )
        self._opened.remember(session_id, state, 1, checksum, sealed, canonical)
        stored = StoredSession(session_id, state, 1, document, now, now, checksum, sealed)
        return stored, token

    def created_with(self, key: str, fingerprint: str) -> tuple[str, str] | None:
        """The (session id, token) a creation with this Idempotency-Key made, if any.

        IdempotencyKeyReused when the key came with a different request.
        """
        hashes = self._cipher.macs("idempotency:" + key)
        with self._reads.connect() as conn:
            row = conn.execute(
                select(idempotency_keys).where(idempotency_keys.c.key_hash.in_(hashes))
            ).first()
        if row is None:
            return None
        if row.body_hash not in self._cipher.macs("request:" + fingerprint):
            raise IdempotencyKeyReused()
        return row.session_id, self._cipher.open(row.token)

    def get(self, session_id: str) -> StoredSession:
        """Read and verify one session; SessionIntegrityError if it does not check out."""
        with _timed("read"), self._reads.connect() as conn:
            row = conn.execute(SELECT_SESSION, {"session_id": session_id}).first()
        if row is None:
            raise SessionNotFound()
        return self._verified(row)

    def save(
        self,
        previous: StoredSession,
        state: str,
        document: dict[str, Any],
        *,
        actor: str,
        events: Sequence[NewEvent] = (),
        escalation: NewEscalation | None = None,
        owed: OutboxItem | None = None,
        new_photos: Sequence[NewPhoto] = (),
        fence: str | None = None,
    ) -> StoredSession:
        """Write a new version of a session read earlier, with its events, in one transaction.

        `owed` goes to the outbox in the same transaction: a message the new state owes CS;
        so do `new_photos`, the evidence the customer added with this write. `fence` is the
        lease owner driving the case: the write happens only while that owner still holds
        the case's lease (LeaseLost otherwise), so an instance that stalled past its lease
        cannot write over the instance that took the case over.

        A state change appends a `state_changed` event. ConcurrencyConflict when another
        writer got there first; SessionIntegrityError when the row was altered behind us.
        """
        now = self._clock()
        version = previous.version + 1
        all_events = list(events)
        if state != previous.state:
            change = {"from": previous.state, "to": state}
            # Last: the events that led to the change come before it in the history.
            all_events.append(NewEvent("state_changed", actor, change))
        checksum, sealed, canonical = self._seal_document(previous.id, state, version, document)
        params: dict[str, Any] = {
            # The row must still be exactly what was read and verified.
            "read_id": previous.id,
            "read_version": previous.version,
            "read_state": previous.state,
            "read_checksum": previous.checksum,
            "new_state": state,
            "new_version": version,
            "new_document": sealed,
            "new_checksum": checksum,
            "new_updated_at": now,
            "new_events": len(all_events),
        }
        statement = UPDATE_SESSION_ENDS
        if state in self._terminal and previous.state not in self._terminal:
            params["new_completed_at"] = params["new_archived_at"] = now
        elif state not in self._terminal:
            params["new_completed_at"] = params["new_archived_at"] = None
        else:
            statement = UPDATE_SESSION  # ended before: its completion time stays
        if fence is not None:  # several coordinators: only while this one holds the lease
            statement = statement.where(_held_by(previous.id, fence))
        with _timed("save"), self._engine.begin() as conn:
            last_seq = conn.execute(statement, params).scalar_one_or_none()
            if last_seq is None:
                self._explain_failed_write(conn, previous, fence)
            first_seq = last_seq - len(all_events)
            written = self._insert_events(conn, previous.id, first_seq, state, now, all_events)
            if escalation is not None:
                self._insert_escalation(conn, previous.id, escalation, now)
            if owed is not None:
                self._insert_outbox(conn, previous.id, owed, now)
            self._insert_photos(conn, previous.id, new_photos, now)
        self._opened.remember(previous.id, state, version, checksum, sealed, canonical)
        if state != previous.state:
            metrics.SESSION_TRANSITIONS.labels(previous.state, state).inc()
        created = previous.created_at
        self._on_events(previous.id, written)
        self._on_change(previous.id)
        return StoredSession(previous.id, state, version, document, created, now, checksum, sealed)

    def quarantine(self, session_id: str, escalation: NewEscalation) -> None:
        """Take a session that failed its integrity check out of service; queue it for a human."""
        now = self._clock()
        self._opened.forget(session_id)
        with self._engine.begin() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .values(quarantined=1, archived_at=now, completed_at=now)
            )
            already = conn.execute(
                select(escalations.c.id).where(
                    and_(
                        escalations.c.session_id == session_id,
                        escalations.c.reason_code == escalation.reason_code,
                    )
                )
            ).first()
            if already is None:
                self._insert_escalation(conn, session_id, escalation, now)
        self._on_change(session_id)  # its live streams end

    def ids_in_states(
        self, states: Iterable[str], *, updated_before: float | None = None
    ) -> list[str]:
        """Ids of the sessions (not quarantined) whose state is one of `states`, optionally
        only those last written before `updated_before`."""
        query = select(sessions.c.id).where(
            and_(sessions.c.state.in_(list(states)), sessions.c.quarantined == 0)
        )
        if updated_before is not None:
            query = query.where(sessions.c.updated_at < updated_before)
        with self._reads.connect() as conn:
            return list(conn.execute(query.order_by(sessions.c.created_at)).scalars())

    def count_by_state(self) -> dict[str, int]:
        """How many sessions each state holds (quarantined ones excluded)."""
        query = (
            select(sessions.c.state, func.count())
            .where(sessions.c.quarantined == 0)
            .group_by(sessions.c.state)
        )
        with self._reads.connect() as conn:
            return {row[0]: row[1] for row in conn.execute(query)}

    def purge_archived(self, older_than_s: float = RETENTION_S) -> int:
        """Delete sessions archived more than `older_than_s` ago, with all they own.

        A session with an open escalation (quarantined ones have one) waits for a person;
        it is kept until the escalation is closed, and `older_than_s` after that.
        """
        cutoff = self._clock() - older_than_s
        held = select(escalations.c.session_id).where(
            (escalations.c.status == "open") | (escalations.c.resolved_at >= cutoff)
        )
        due = select(sessions.c.id).where(
            and_(sessions.c.archived_at < cutoff, sessions.c.id.not_in(held))
        )
        with _timed("purge"), self._engine.begin() as conn:
            ids = list(conn.execute(due).scalars())
            for table in (
                events,
                tokens,
                ratings,
                escalations,
                idempotency_keys,
                outbox,
                account_sessions,
                photos,
            ):
                conn.execute(delete(table).where(table.c.session_id.in_(ids)))
            conn.execute(delete(sessions).where(sessions.c.id.in_(ids)))
        return len(ids)

    # -- outbox ---------------------------------------------------------------------------

    def outbox_due(self, limit: int = 100) -> list[OutboxItem]:
        """Undelivered outbox items whose time has come, oldest first."""
        query = (
            select(outbox)
            .where(and_(outbox.c.done_at.is_(None), outbox.c.due_at <= self._clock()))
            .order_by(outbox.c.due_at)
            .limit(limit)
        )
        with self._reads.connect() as conn:
            rows = conn.execute(query).all()
        return [
            OutboxItem(
                row.kind, self._cipher.open(row.request), row.id, row.session_id, row.attempts
            )
            for row in rows
        ]

    def outbox_pending(self, session_id: str | None = None) -> int:
        """How many outbox items are not delivered yet (for one session, or all)."""
        query = select(func.count()).select_from(outbox).where(outbox.c.done_at.is_(None))
        if session_id is not None:
            query = query.where(outbox.c.session_id == session_id)
        with self._reads.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def outbox_claim(self, item_id: str, until: float) -> bool:
        """Take a due outbox item for delivery by this instance: it is not due again (for the
        others) before `until`. False when another instance took it first."""
        with self._engine.begin() as conn:
            claimed = conn.execute(
                update(outbox)
                .where(
                    and_(
                        outbox.c.id == item_id,
                        outbox.c.done_at.is_(None),
                        outbox.c.due_at <= self._clock(),
                    )
                )
                .values(due_at=until)
            )
            return claimed.rowcount == 1

    def outbox_done(self, item_id: str, result: str) -> None:
        """Mark an outbox item delivered (or given up on, with why)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(done_at=self._clock(), result=result[:200], attempts=outbox.c.attempts + 1)
            )

    def outbox_retry(self, item_id: str, due_at: float, error: str) -> None:
        """Try an outbox item again at `due_at`."""
        with self._engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(due_at=due_at, result=error[:200], attempts=outbox.c.attempts + 1)
            )

    def note(self, session_id: str, new_events: Sequence[NewEvent]) -> None:
        """Append events to a session's history without writing a new version of it."""
        now = self._clock()
        with self._engine.begin() as conn:
            result = conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .values(last_seq=sessions.c.last_seq + len(new_events))
                .returning(sessions.c.last_seq, sessions.c.state)
            ).first()
            if result is None:
                raise SessionNotFound()
            first_seq = result.last_seq - len(new_events)
            written = self._insert_events(
                conn, session_id, first_seq, result.state, now, new_events
            )
        self._on_events(session_id, written)
        self._on_change(session_id)

    # -- key rotation ---------------------------------------------------------------------

    def rotate_keys(self, batch: int = 500) -> dict[str, int]:
        """Re-encrypt every stored value with the first key and re-hash with the current HMAC key.

        Safe while the fleet runs: a session is rewritten as a new version (a writer that
        read it before simply re-reads), every other value in place, in small transactions.
        Returns how many values were rewritten per table and how many could not be read.
        """
        counts = {"sessions": 0, "unreadable": 0}
        for session_id in self._all_session_ids():
            rotated = self._rotate_session(session_id)
            if rotated is None:
                counts["unreadable"] += 1
            elif rotated:  # (else a writer got there first, with the current keys)
                counts["sessions"] += 1
        for table, columns in _SEALED_COLUMNS.items():
            size = min(batch, _ROTATION_BATCH.get(table, batch))
            counts[table.name] = self._rotate_table(table, columns, size, counts)
        return counts

    def _all_session_ids(self) -> list[str]:
        with self._reads.connect() as conn:
            return list(conn.execute(select(sessions.c.id).order_by(sessions.c.id)).scalars())

    def _rotate_session(self, session_id: str) -> bool | None:
        """Reseal one session; False when it changed meanwhile, None when it fails its check."""
        try:
            stored = self.get(session_id)
        except (SessionNotFound, SessionIntegrityError):
            return None
        version = stored.version + 1
        checksum, sealed, _ = self._seal_document(stored.id, stored.state, version, stored.document)
        values: dict[str, Any] = {"version": version, "checksum": checksum, "document": sealed}
        customer_id = stored.document.get("customer_id")
        if isinstance(customer_id, str):
            values["customer_hash"] = self._cipher.mac("customer:" + customer_id)
        with self._engine.begin() as conn:
            result = conn.execute(
                update(sessions)
                .where(
                    and_(
                        sessions.c.id == stored.id,
                        sessions.c.version == stored.version,
                        sessions.c.checksum == stored.checksum,
                    )
                )
                .values(**values)
            )
        return bool(result.rowcount)

    def _rotate_table(
        self, table: Table, columns: tuple[str, ...], batch: int, counts: dict[str, int]
    ) -> int:
        keys = list(table.primary_key.columns)
        done, offset = 0, 0
        while True:
            with self._engine.begin() as conn:
                rows = conn.execute(
                    select(*keys, *(table.c[c] for c in columns))
                    .order_by(*keys)
                    .limit(batch)
                    .offset(offset)
                ).all()
                for row in rows:
                    values = {}
                    for column in columns:
                        sealed = getattr(row, column)
                        if sealed is None:
                            continue
                        try:
                            values[column] = self._cipher.rotate(sealed)
                        except InvalidToken:
                            counts["unreadable"] += 1
                    if values:
                        where = and_(*(k == getattr(row, k.name) for k in keys))
                        conn.execute(update(table).where(where).values(**values))
                        done += 1
            if len(rows) < batch:
                return done
            offset += batch

    # -- photos ---------------------------------------------------------------------------

    def _insert_photos(
        self, conn: Connection, session_id: str, new: Sequence[NewPhoto], now: float
    ) -> None:
        for photo in new:
            conn.execute(
                insert(photos).values(
                    session_id=session_id,
                    seq=photo.seq,
                    content_type=photo.content_type,
                    size=len(photo.data),
                    data=self._cipher.seal_bytes(photo.data),
                    created_at=now,
                )
            )

    def photos(self, session_id: str) -> list[StoredPhoto]:
        """The session's photos, opened, in the order they were added."""
        query = select(photos).where(photos.c.session_id == session_id).order_by(photos.c.seq)
        with _timed("photos"), self._reads.connect() as conn:
            rows = conn.execute(query).all()
        return [
            StoredPhoto(
                row.seq,
                row.content_type,
                row.size,
                self._cipher.open_bytes(row.data),
                row.created_at,
            )
            for row in rows
        ]

    # -- events ---------------------------------------------------------------------------

    def events(self, session_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        """The session's events with seq greater than `after`, oldest first."""
        params = {"session_id": session_id, "after": after, "limit": limit}
        with _timed("events"), self._reads.connect() as conn:
            rows = conn.execute(SELECT_EVENTS, params).all()
        return [self._event(row) for row in rows]

    # -- tokens ---------------------------------------------------------------------------

    def authenticate(self, session_id: str, token: str) -> None:
        """Check a customer token for a session and note its use; raises a Token* error.

        A token lasts as long as its case is open (the case may wait days for its customer)
        and `TOKEN_IDLE_EXPIRY_S` without use after that; every use renews it.
        """
        now = self._clock()
        hashes = self._cipher.macs("token:" + token)
        query = (
            select(tokens, sessions.c.state, sessions.c.completed_at)
            .outerjoin(sessions, sessions.c.id == tokens.c.session_id)
            .where(tokens.c.token_hash.in_(hashes))
        )
        with self._reads.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise TokenInvalid()
        if not hmac.compare_digest(row.session_id, session_id):
            if not self.exists(session_id):
                raise SessionNotFound()
            raise TokenForOtherSession()
        open_case = row.state is not None and row.state not in self._terminal
        last_active = max(row.last_used_at, row.completed_at or 0.0)
        if not open_case and now - last_active > TOKEN_IDLE_EXPIRY_S:
            raise TokenExpired()
        current = hashes[0]
        if row.token_hash != current or now - row.last_used_at > TOKEN_TOUCH_INTERVAL_S:
            with self._engine.begin() as conn:
                conn.execute(
                    update(tokens)
                    .where(tokens.c.token_hash == row.token_hash)
                    .values(token_hash=current, last_used_at=now)
                )

    def state(self, session_id: str) -> str | None:
        """The session's state column alone (None: gone or quarantined), for live streams
        that only need to know whether the case ended: no decryption, no document."""
        query = select(sessions.c.state, sessions.c.quarantined).where(sessions.c.id == session_id)
        with _timed("state"), self._reads.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None or row.quarantined else str(row.state)

    def exists(self, session_id: str) -> bool:
        """Whether a session row with this id exists (verified or not)."""
        with self._reads.connect() as conn:
            found = conn.execute(select(sessions.c.id).where(sessions.c.id == session_id)).first()
        return found is not None

    # -- ratings --------------------------------------------------------------------------

    def rate(self, session_id: str, score: int, comment: str | None) -> None:
        """Record (or replace) the customer's satisfaction rating."""
        now = self._clock()
        sealed = self._cipher.seal(comment) if comment else None
        with self._engine.begin() as conn:
            conn.execute(delete(ratings).where(ratings.c.session_id == session_id))
            conn.execute(
                insert(ratings).values(session_id=session_id, score=score, comment=sealed, at=now)
            )

    def rating(self, session_id: str) -> dict[str, Any] | None:
        """The session's rating, if the customer gave one."""
        with self._reads.connect() as conn:
            row = conn.execute(select(ratings).where(ratings.c.session_id == session_id)).first()
        if row is None:
            return None
        comment = self._cipher.open(row.comment) if row.comment else None
        return {"score": row.score, "comment": comment, "at": row.at}

    # -- escalations ----------------------------------------------------------------------

    def escalations(self, status: str | None = "open", limit: int = 200) -> list[Escalation]:
        """Escalations, newest first, optionally only those with `status`."""
        query = select(escalations).order_by(escalations.c.created_at.desc()).limit(limit)
        if status is not None:
            query = query.where(escalations.c.status == status)
        with self._reads.connect() as conn:
            rows = conn.execute(query).all()
        return [self._escalation(row) for row in rows]

    def escalation(self, escalation_id: str) -> Escalation:
        """One escalation by id."""
        with self._reads.connect() as conn:
            row = conn.execute(select(escalations).where(escalations.c.id == escalation_id)).first()
        if row is None:
            raise EscalationNotFound()
        return self._escalation(row)

    def resolve_escalation(self, escalation_id: str, resolution: dict[str, Any]) -> Escalation:
        """Mark an open escalation resolved with the human's resolution."""
        now = self._clock()
        with self._engine.begin() as conn:
            result = conn.execute(
                update(escalations)
                .where(and_(escalations.c.id == escalation_id, escalations.c.status == "open"))
                .values(
                    status="resolved", resolved_at=now, resolution=self._cipher.seal(resolution)
                )
            )
        if result.rowcount == 0:
            found = self.escalation(escalation_id)
            raise ConcurrencyConflict(f"escalation already {found.status}")
        return self.escalation(escalation_id)

    # -- internals ------------------------------------------------------------------------

    def _seal_document(
        self, session_id: str, state: str, version: int, document: dict[str, Any]
    ) -> tuple[str, bytes, bytes]:
        """The checksum and the ciphertext of a document, from one canonical rendering (also
        returned)."""
        canonical = canonical_json(document).encode()
        checksum = self._checksum(session_id, state, version, canonical)
        return checksum, self._cipher.seal_bytes(canonical), canonical

    def _checksum(self, session_id: str, state: str, version: int, canonical: bytes) -> str:
        """HMAC over the row's identity, state and version and the canonical document."""
        return self._cipher.mac_bytes(_checksummed(session_id, state, version, canonical))

    def _token_hash(self, token: str) -> str:
        return self._cipher.mac("token:" + token)

    def _verified(self, row: Any) -> StoredSession:
        if row.quarantined:
            raise SessionIntegrityError("the stored session failed its integrity check earlier")
        canonical = self._opened.known(row)
        if canonical is None:
            canonical = self._open_verified(row)
            self._opened.remember(
                row.id, row.state, row.version, row.checksum, row.document, canonical
            )
        document = orjson.loads(canonical)
        return StoredSession(
            row.id,
            row.state,
            row.version,
            document,
            row.created_at,
            row.updated_at,
            row.checksum,
            row.document,
        )

    def _open_verified(self, row: Any) -> bytes:
        """The row's decrypted document, once its checksum is verified."""
        try:
            canonical = self._cipher.open_bytes(row.document)
        except (InvalidToken, ValueError) as error:
            raise SessionIntegrityError("the stored document cannot be decrypted") from error
        checksummed = _checksummed(row.id, row.state, row.version, canonical)
        if not self._cipher.verify_mac_bytes(checksummed, row.checksum):
            raise SessionIntegrityError()
        return canonical

    def _explain_failed_write(
        self, conn: Connection, previous: StoredSession, fence: str | None = None
    ) -> None:
        row = conn.execute(select(sessions).where(sessions.c.id == previous.id)).first()
        if row is None:
            raise SessionNotFound()
        if row.version != previous.version:
            raise ConcurrencyConflict()
        if fence is not None and not conn.execute(select(_held_by(previous.id, fence))).scalar():
            raise LeaseLost()
        raise SessionIntegrityError()

    def _insert_events(
        self,
        conn: Connection,
        session_id: str,
        first_seq: int,
        state: str,
        now: float,
        new_events: Sequence[NewEvent],
    ) -> list[Event]:
        """Append the events; returns them as `events()` will read them back."""
        if not new_events:
            return []
        rows, written = [], []
        for offset, item in enumerate(new_events):
            seq, plain = first_seq + offset + 1, canonical_json(item.detail).encode()
            rows.append(
                {
                    "session_id": session_id,
                    "seq": seq,
                    "at": now,
                    "type": item.type,
                    "state": state,
                    "actor": item.actor,
                    "detail": self._cipher.seal_bytes(plain),
                }
            )
            written.append(Event(seq, now, item.type, state, item.actor, orjson.loads(plain)))
        conn.execute(INSERT_EVENTS, rows)
        return written

    def _insert_escalation(
        self, conn: Connection, session_id: str, escalation: NewEscalation, now: float
    ) -> None:
        conn.execute(
            insert(escalations).values(
                id=escalation.id,
                session_id=session_id,
                reason_code=escalation.reason_code,
                status="open",
                created_at=now,
                context=self._cipher.seal(escalation.context),
            )
        )
        metrics.ESCALATIONS.labels(escalation.reason_code).inc()

    def _insert_outbox(
        self, conn: Connection, session_id: str, item: OutboxItem, now: float
    ) -> None:
        conn.execute(
            insert(outbox).values(
                id=item.id,
                session_id=session_id,
                kind=item.kind,
                request=self._cipher.seal(item.request),
                created_at=now,
                due_at=now,
                attempts=0,
            )
        )

    def _event(self, row: Any) -> Event:
        try:
            detail = self._cipher.open(row.detail)
        except (InvalidToken, ValueError):
            detail = {"error": "this event failed its integrity check"}
        return Event(row.seq, row.at, row.type, row.state, row.actor, detail)

    def _escalation(self, row: Any) -> Escalation:
        resolution = self._cipher.open(row.resolution) if row.resolution else None
        return Escalation(
            row.id,
            row.session_id,
            row.reason_code,
            row.status,
            row.created_at,
            row.resolved_at,
            self._cipher.open(row.context),
            resolution,
        )
