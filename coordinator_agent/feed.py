"""Wakes a session's live event streams when the session changes in this process.

The store commits in its own threads (`StoreThreads`), so a change is announced from a
thread other than the event loop's: the wake-up is handed to the loop thread-safely.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class ChangeFeed:
    """Per-session wake-ups for SSE streams, instead of each stream polling the store."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Event]] = defaultdict(set)
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


async def wait_for_change(listener: asyncio.Event, timeout_s: float) -> bool:
    """True when a change came; False after `timeout_s` (changes by another instance)."""
    try:
        await asyncio.wait_for(listener.wait(), timeout_s)
    except TimeoutError:
        return False
    return True
