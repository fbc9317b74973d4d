"""Wakes a session's live event streams when the session changes in this process.

The store commits in its own threads (`StoreThreads`), so a change is announced from a
thread other than the event loop's: the wake-up is handed to the loop thread-safely.
While a session has streams, the events its writes append are kept here too, so a woken
stream takes them from memory instead of reading (and decrypting) them back from the store.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

RECENT_KEPT = 200  # events kept per watched session


class ChangeFeed:
    """Per-session wake-ups for SSE streams, instead of each stream polling the store."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._recent: dict[str, list[Any]] = {}  # watched session -> its latest events, in seq
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        # Other instances' changes arrive too (PostgreSQL NOTIFY, coordinator_agent.relay):
        # streams need not poll the store for them.
        self.relayed = False

    def changed(self, session_id: str) -> None:
        """Called by the store after a committed change to `session_id` (from any thread)."""
        if session_id not in self._listeners or self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._wake(session_id)
        else:
            self._loop.call_soon_threadsafe(self._wake, session_id)

    def changed_all(self) -> None:
        """Wake every stream (changes may have been missed, e.g. while the relay reconnected)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for session_id in list(self._listeners):
            self._wake(session_id)

    def written(self, session_id: str, events: Sequence[Any]) -> None:
        """Called by the store with the events a committed write appended (any thread)."""
        if not events or session_id not in self._listeners or self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._keep(session_id, list(events))
        else:  # before the wake-up that follows it: the loop runs them in order
            self._loop.call_soon_threadsafe(self._keep, session_id, list(events))

    def _keep(self, session_id: str, events: list[Any]) -> None:
        if session_id not in self._listeners:
            return
        kept = self._recent.get(session_id, [])
        if kept and events[0].seq != kept[-1].seq + 1:
            kept = []  # not the next ones (a write announced out of order): start again
        self._recent[session_id] = (kept + events)[-RECENT_KEPT:]

    def recent(self, session_id: str, after: int) -> list[Any] | None:
        """The events after seq `after`, if those kept follow on from it without a gap;
        None when they do not, or there are none (then read the store)."""
        kept = self._recent.get(session_id)
        if not kept or kept[0].seq > after + 1 or kept[-1].seq <= after:
            return None
        return [e for e in kept if e.seq > after]

    def _wake(self, session_id: str) -> None:
        for listener in self._listeners.get(session_id, ()):
            listener.set()

    @contextmanager
    def subscribe(self, session_id: str) -> Iterator[asyncio.Event]:
        """An event set on every change; clear it before reading, so no change is missed."""
        if self._loop is None:
            self._loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
        listener = asyncio.Event()
        self._listeners[session_id].add(listener)
        try:
            yield listener
        finally:
            listeners = self._listeners[session_id]
            listeners.discard(listener)
            if not listeners:
                del self._listeners[session_id]
                self._recent.pop(session_id, None)


async def wait_for_change(listener: asyncio.Event, timeout_s: float) -> bool:
    """True when a change came; False after `timeout_s` (changes by another instance)."""
    try:
        await asyncio.wait_for(listener.wait(), timeout_s)
    except TimeoutError:
        return False
    return True
