"""The fleet's limits in one table: sizes, rounds, deadlines, timeouts.

Every service, setting default and validator that bounds one of these imports it from here,
so two places can no longer disagree (a clarification that overflows the analysis, a
negotiate call that gives up before the round it waits for can end). Where a limit follows
from others (the negotiate timeout), it is computed here, not chosen again elsewhere.
"""

from __future__ import annotations

# -- sizes --------------------------------------------------------------------------------
MAX_MESSAGE_CHARS = 4000  # one customer message, clarification, reason or note
MAX_CLARIFICATIONS_READ = 2  # clarifications read with the first message
# What analyze_issue reads: the first message and the latest clarifications, in full.
MAX_ISSUE_CHARS = MAX_MESSAGE_CHARS * (1 + MAX_CLARIFICATIONS_READ) + MAX_CLARIFICATIONS_READ
MAX_API_BODY_BYTES = 64_000  # the customer API's request bodies (413 above)
# Evidence photos: JPEG, PNG or HEIC, each at most this big (as uploaded and as stored) ...
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS_PER_CASE = 5  # ... this many on one case (a CS desk takes five on a message) ...
MAX_PHOTO_PIXELS = 50_000_000  # ... and no bigger than this decoded (a decompression bomb)
# A request that carries photos as base64 (the photo upload, a new case with photos, the
# negotiate call that sends them): every photo at its limit, plus room for the rest.
MAX_PHOTO_BODY_BYTES = MAX_PHOTOS_PER_CASE * (MAX_PHOTO_BYTES * 4 // 3 + 4) + 200_000

# -- rounds and deadlines -----------------------------------------------------------------
MAX_ROUNDS = 20  # CS rounds in one attempt, whatever a strategy asks for
MAX_ORDER_ITEMS = 50  # product titles of one order passed to the negotiator (read as "the item")
MAX_TITLE_CHARS = 200  # a product title, or the item a customer names, this long at most
NEGOTIATION_DEADLINE_S = 30 * 60  # one attempt's negotiation, CS outages not counted
WORKING_STATE_TIMEOUT_S = 10 * 60  # no progress in a working state: the watchdog escalates
CS_CHAT_REOPENS = 1  # CS closed the chat without an agreement: start a new one this often
AGENT_OUTAGE_GRACE_S = 60.0  # an agent unreachable this long is down: escalate the case
REMIND_AFTER_S = 24 * 3600  # a case waiting for its customer: a reminder this often
WAIT_TIMEOUT_S = 7 * 24 * 3600  # ... and `expired` after this long
CS_RETRY_SCHEDULE_S = (15 * 60, 3600, 4 * 3600, 24 * 3600)  # cs_unavailable: resume after
FAREWELL_RETRY_S = (10, 60, 300, 1800, 3600, 4 * 3600)  # closing an abandoned CS contact
TOKEN_IDLE_EXPIRY_S = 24 * 3600  # a finished case's token, without use
RETENTION_DAYS = 90  # archived cases (open escalations are kept until closed)
DAY_SECONDS = 86400.0  # one simulated day (CSN_DAY_SECONDS compresses it for tests)
PROMISE_GRACE_DAYS = 2.0  # a promise is broken this long after its due date
PROMISE_RECHECK_DAYS = 2.0  # after chasing a broken promise, look again this much later
DISPUTE_FILING_DAYS = 120  # card issuers take disputes this long after the transaction

# -- several coordinators on one database (leases) -----------------------------------------
# One instance drives a case at a time: it holds the case's lease, renewed while the case
# runs. A dead instance's leases run out and the others' takeover scan finds them, so its
# cases resume within LEASE_TTL_S + LEASE_SCAN_S (+ a scan's work): inside TAKEOVER_WITHIN_S.
TAKEOVER_WITHIN_S = 10.0  # a killed coordinator's cases resume elsewhere within this
LEASE_TTL_S = 5.0  # a lease not renewed for this long may be taken by another instance
LEASE_RENEW_S = 1.5  # the holder renews its leases this often (three tries per TTL)
LEASE_SCAN_S = 1.0  # every instance looks for expired leases (and unleased cases) this often
LEASE_UNCLAIMED_GRACE_S = 2.0  # a working case with no lease: left to its writer this long
SSE_RELAY_POLL_S = 5.0  # live streams re-read this often when NOTIFY wakes them (a safety net)

# -- accounts -----------------------------------------------------------------------------
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256
ACCOUNT_TOKEN_TTL_S = 7 * 24 * 3600  # a sign-in (API token or the page's cookie) lasts this
LOGIN_WINDOW_S = 15 * 60  # failed sign-ins are counted over this window ...
LOGIN_FAILURES_PER_EMAIL = 5  # ... per email address ...
LOGIN_FAILURES_PER_ADDRESS = 20  # ... and per client address
LOGIN_ATTEMPTS_PER_ADDRESS = 120  # every sign-in (each costs an argon2 hash) per address
SIGNUPS_PER_ADDRESS = 20  # new accounts per client address per LOGIN_WINDOW_S
LINK_WINDOW_S = 3600  # retailer-account links are counted over this window ...
LINK_FAILURES_PER_ACCOUNT = 5  # ... failed proofs per account ...
LINK_ATTEMPTS_PER_ACCOUNT = 20  # ... and every attempt per account
SESSION_WINDOW_S = 60  # new cases per account over this window ...
SESSIONS_PER_ACCOUNT = 30  # ... at most this many (429 with Retry-After above it)
LIVE_STREAMS_PER_ACCOUNT = 8  # open SSE streams per account (per coordinator process)

# -- timeouts and attempts ----------------------------------------------------------------
A2A_TIMEOUT_S = 30.0
A2A_MAX_ATTEMPTS = 3
CS_TIMEOUT_S = 30.0
CS_MAX_ATTEMPTS = 3
RETRY_INITIAL_S = 0.2  # exponential backoff with jitter (shared.retry)
RETRY_MAX_S = 5.0
# A negotiate round talks to CS up to three times (open the contact, send, and close it
# when walking away) and validates an offer over A2A once.
CS_CALLS_PER_ROUND = 3
A2A_CALLS_PER_ROUND = 1
NEGOTIATE_MARGIN_S = 15.0
# Idle keep-alive connections: a service keeps one open this long after its last answer,
# and our clients drop theirs sooner, so a client never reuses a connection the server is
# closing at that very moment (a ReadError and a retry: hundreds at 1,000 cases in flight,
# when both sides used 5 s).
SERVER_KEEPALIVE_S = 30.0
PEER_KEEPALIVE_S = 20.0


def backoff_s(
    attempts: int, initial: float = RETRY_INITIAL_S, maximum: float = RETRY_MAX_S
) -> float:
    """The longest total wait between `attempts` tries (backoff plus its jitter)."""
    return sum(min(maximum, initial * 2**n) + initial for n in range(max(0, attempts - 1)))


def worst_call_s(timeout_s: float, attempts: int) -> float:
    """The longest one retried call can take: every attempt times out, with backoff between."""
    return timeout_s * max(1, attempts) + backoff_s(attempts)


def negotiate_timeout_s(
    cs_timeout_s: float = CS_TIMEOUT_S,
    cs_attempts: int = CS_MAX_ATTEMPTS,
    a2a_timeout_s: float = A2A_TIMEOUT_S,
    a2a_attempts: int = A2A_MAX_ATTEMPTS,
) -> float:
    """How long the coordinator waits for one negotiate round: its worst case, plus a margin."""
    cs = CS_CALLS_PER_ROUND * worst_call_s(cs_timeout_s, cs_attempts)
    a2a = A2A_CALLS_PER_ROUND * worst_call_s(a2a_timeout_s, a2a_attempts)
    return cs + a2a + NEGOTIATE_MARGIN_S


# A round in flight must never look stuck to the watchdog.
assert LEASE_TTL_S + LEASE_SCAN_S < TAKEOVER_WITHIN_S
assert 2 * LEASE_RENEW_S < LEASE_TTL_S  # one late renewal does not lose a lease
assert negotiate_timeout_s() < WORKING_STATE_TIMEOUT_S
