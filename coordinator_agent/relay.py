"""Carries "this session changed" between coordinator instances: PostgreSQL NOTIFY and LISTEN.

A live event stream is served by whichever instance the customer reached, while the case may
be driven by another. Each instance announces the sessions it changed on one channel and
listens on it, waking its own streams (`ChangeFeed`) for the changes the others made; without
it, a stream would only see them on its next poll.

psycopg 3's own connections, not the SQLAlchemy pool: LISTEN needs one connection held open
for the process's life (`Connection.notifies`), outside the pool's checkout and recycling.
Announcements are batched (a payload carries many ids) from one connection in one thread,
so a busy instance sends a few NOTIFYs a second instead of one per write.
"""

from __future__ import annotations

import queue
import threading
import time

import psycopg
from sqlalchemy.engine import make_url

from coordinator_agent.feed import ChangeFeed
from shared.logs import get_logger

log = get_logger(__name__)

CHANNEL = "csn_session_changed"
MAX_PAYLOAD_CHARS = 7900  # PostgreSQL's NOTIFY payload limit is 8000 bytes
RECONNECT_S = 1.0


def libpq_url(url: str) -> str:
    """The database URL as libpq takes it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def payloads(session_ids: list[str]) -> list[str]:
    """Comma-separated ids, cut to NOTIFY's payload limit."""
    chunks, current = [], ""
    for session_id in session_ids:
        if current and len(current) + 1 + len(session_id) > MAX_PAYLOAD_CHARS:
            chunks.append(current)
            current = ""
        current = f"{current},{session_id}" if current else session_id
    return [*chunks, current] if current else chunks


class ChangeRelay:
    """Publishes this instance's session changes and wakes its streams on the others'."""

    def __init__(self, url: str, feed: ChangeFeed) -> None:
        self._url = libpq_url(url)
        self._feed = feed
        self._outgoing: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._own_pid: int | None = None  # our publishing backend: its notices are ours
        self.listening = threading.Event()
        self._threads = [
            threading.Thread(target=self._listen, name="relay-listen", daemon=True),
            threading.Thread(target=self._publish, name="relay-publish", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        self._stopping.set()
        self._outgoing.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def changed(self, session_id: str) -> None:
        """The store committed a change to `session_id` (any thread): tell the others."""
        self._outgoing.put(session_id)

    def _publish(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    self._own_pid = conn.info.backend_pid
                    self._publish_on(conn)
            except psycopg.Error as error:
                log.warning(
                    "change relay: publishing failed (%s); reconnecting", type(error).__name__
                )
                time.sleep(RECONNECT_S)

    def _publish_on(self, conn: psycopg.Connection) -> None:
        while not self._stopping.is_set():
            first = self._outgoing.get()
            if first is None:
                return
            batch = {first}
            while True:  # everything announced meanwhile goes in the same notification
                try:
                    more = self._outgoing.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._stopping.set()
                    break
                batch.add(more)
            for payload in payloads(sorted(batch)):
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self._feed.changed_all()  # changes made while we were not listening
                    while not self._stopping.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            if notice.pid == self._own_pid:
                                continue
                            for session_id in notice.payload.split(","):
                                self._feed.changed(session_id)
            except psycopg.Error as error:
                self.listening.clear()
                log.warning(
                    "change relay: listening failed (%s); reconnecting", type(error).__name__
                )
                time.sleep(RECONNECT_S)
