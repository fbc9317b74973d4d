"""Every Prometheus metric of the fleet, defined once (prometheus-client refuses duplicates).

Conventions: base units (`_seconds`), counters end in `_total`, labels have bounded
values: never a session, customer, order or task id.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

HTTP_REQUEST_SECONDS = Histogram(
    "csn_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["service", "method", "route", "status_class"],
    buckets=LATENCY_BUCKETS,
)
A2A_SERVER_SECONDS = Histogram(
    "csn_a2a_server_duration_seconds",
    "A2A JSON-RPC handling latency by method.",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
A2A_SERVER_REQUESTS = Counter(
    "csn_a2a_server_requests_total",
    "A2A JSON-RPC requests served, by method and result (ok or the error reason).",
    ["service", "method", "result"],
)
A2A_CLIENT_CALLS = Counter(
    "csn_a2a_client_calls_total",
    "A2A calls made to peers, by peer, method and result.",
    ["peer", "method", "result"],
)
A2A_CLIENT_SECONDS = Histogram(
    "csn_a2a_client_duration_seconds",
    "A2A call latency to peers, retries included.",
    ["peer", "method"],
    buckets=LATENCY_BUCKETS,
)
A2A_CLIENT_RETRIES = Counter(
    "csn_a2a_client_retries_total", "A2A call attempts retried after a transient error.", ["peer"]
)
SKILL_CALLS = Counter(
    "csn_skill_calls_total", "Skill invocations by skill and final task state.", ["skill", "state"]
)

CS_CALLS = Counter(
    "csn_cs_calls_total",
    "Calls to the customer-service desk, by operation and result.",
    ["operation", "result"],
)
CS_CALL_SECONDS = Histogram(
    "csn_cs_call_duration_seconds",
    "Latency of one call to the customer-service desk.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
CS_RETRIES = Counter(
    "csn_cs_retries_total", "Customer-service calls retried after a transient error.", ["operation"]
)
CS_TIMEOUTS = Counter(
    "csn_cs_timeouts_total", "Customer-service calls that timed out.", ["operation"]
)

NEGOTIATION_OUTCOMES = Counter(
    "csn_negotiation_outcomes_total", "Negotiations ended, by outcome.", ["outcome"]
)
NEGOTIATION_ROUNDS = Histogram(
    "csn_negotiation_rounds",
    "Rounds a negotiation took.",
    buckets=(1, 2, 3, 4, 5, 6, 8, 10, 15, 20),
)
NEGOTIATION_EXCHANGES = Histogram(
    "csn_negotiation_cs_exchanges",
    "Customer-service exchanges a negotiation took.",
    buckets=(1, 2, 3, 4, 5, 6, 8, 10, 15, 20),
)
NEGOTIATION_CONCESSIONS = Counter(
    "csn_negotiation_concessions_total", "Concessions made, by side (ours or cs).", ["side"]
)

POLICY_LOOKUP_SECONDS = Histogram(
    "csn_policy_lookup_duration_seconds",
    "In-process policy lookup latency.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)

SESSION_TRANSITIONS = Counter(
    "csn_session_transitions_total",
    "Session state transitions.",
    ["from_state", "to_state"],
)
SESSIONS_BY_STATE = Gauge("csn_sessions", "Sessions currently in each state.", ["state"])
PERSISTENCE_SECONDS = Histogram(
    "csn_persistence_duration_seconds",
    "Latency of persisting to the session store, by operation.",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
REMINDERS = Counter(
    "csn_reminders_total", "Reminders sent to customers a case waits for.", ["awaiting"]
)
CS_CONTACT_CLOSINGS = Counter(
    "csn_cs_contact_closings_total",
    "Abandoned CS contacts the coordinator closed (outbox deliveries), by result.",
    ["result"],
)
ESCALATIONS = Counter("csn_escalations_total", "Cases escalated to humans, by reason.", ["reason"])
PROMISES = Counter(
    "csn_promises_total",
    "Promises CS made when it agreed, by what became of them: made, kept (on time), broken "
    "(not kept by the due date plus grace), recovered (kept after a break), unrecovered.",
    ["result"],
)
PROMISE_RECOVERED_AMOUNT = Counter(
    "csn_promise_recovered_amount_total",
    "Money (refunds and credit, in the order's currency) that posted only after a broken "
    "promise was chased.",
)
LEASE_TAKEOVERS = Counter(
    "csn_lease_takeovers_total",
    "Cases this coordinator took over from an instance whose lease ran out (it died).",
)
LEASE_TAKEOVER_SECONDS = Histogram(
    "csn_lease_takeover_seconds",
    "How long a taken-over case's previous instance had been silent (its last lease renewal) "
    "when this one resumed the case.",
    buckets=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 30, 60),
)
FOLLOW_UP_RUNGS = Counter(
    "csn_follow_up_rungs_total",
    "Rungs climbed after a broken promise: recontact, supervisor, complaint, dispute.",
    ["rung"],
)

MOCK_CS_REQUESTS = Counter(
    "csn_mock_cs_requests_total",
    "Requests the mock CS desk answered, by operation and result (ok or the HTTP status).",
    ["operation", "result"],
)
MOCK_CS_FAULTS = Counter(
    "csn_mock_cs_faults_total", "Faults the mock CS desk injected, by kind.", ["kind"]
)
