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
