"""The change feed wakes a live stream at once, and never loses a change made mid-read."""

from __future__ import annotations

import asyncio
import time

from coordinator_agent.feed import ChangeFeed, wait_for_change


async def test_a_change_wakes_the_subscriber_before_the_poll_interval() -> None:
    feed = ChangeFeed()
    with feed.subscribe("s1") as changed:
        asyncio.get_running_loop().call_later(0.05, feed.changed, "s1")
        started = time.perf_counter()
        assert await wait_for_change(changed, timeout_s=5.0)
        assert time.perf_counter() - started < 1.0


async def test_a_change_before_waiting_is_kept_and_other_sessions_do_not_wake() -> None:
    feed = ChangeFeed()
    with feed.subscribe("s1") as changed:
        feed.changed("s2")
        assert not await wait_for_change(changed, timeout_s=0.05)
        feed.changed("s1")  # while the reader is busy reading
        assert await wait_for_change(changed, timeout_s=0.05)
    feed.changed("s1")  # nobody listens any more: nothing to do, nothing kept
    assert feed._listeners == {}


async def test_a_watched_sessions_events_are_kept_only_while_they_follow_on() -> None:
    from coordinator_agent.store import Event

    def event(seq: int) -> Event:
        return Event(seq, 0.0, "cs_exchange", "negotiating", "negotiation_agent", {})

    feed = ChangeFeed()
    feed.written("s1", [event(1)])  # nobody watches: nothing kept
    with feed.subscribe("s1"):
        assert feed.recent("s1", 0) is None  # nothing kept yet: read the store
        feed.written("s1", [event(4), event(5)])
        feed.written("s1", [event(6)])
        assert [e.seq for e in feed.recent("s1", 3) or []] == [4, 5, 6]
        assert [e.seq for e in feed.recent("s1", 5) or []] == [6]
        assert feed.recent("s1", 2) is None  # seq 3 was never seen here: a gap
        assert feed.recent("s1", 6) is None  # nothing newer: the store says for sure
        feed.written("s1", [event(9)])  # out of order: what was kept no longer follows on
        assert feed.recent("s1", 6) is None
        assert [e.seq for e in feed.recent("s1", 8) or []] == [9]
    assert feed._recent == {}
