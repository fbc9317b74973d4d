"""Wakes a session's live event streams when the session changes in this process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class ChangeFeed:
    """Per-session wake-ups for SSE streams, instead of each stream polling the store."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Event]] = defaultdict(set)

    def changed(self, session_id: str) -> None:
        """Called by the store after a committed change to `session_id`."""
        for listener in self._listeners.get(session_id, ()):
            listener.set()

    @contextmanager
    def subscribe(self, session_id: str) -> Iterator[asyncio.Event]:
        """An event set on every change; clear it before reading, so no change is missed."""
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
