"""The fleet's shared vocabulary: problem types, outcomes, offers, orders, session states."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ProblemType(StrEnum):
    DAMAGED_ITEM = "damaged_item"
    DEFECTIVE_ITEM = "defective_item"
    WRONG_ITEM = "wrong_item"
    MISSING_PARTS = "missing_parts"
    NOT_DELIVERED = "not_delivered"
    LATE_DELIVERY = "late_delivery"
    NOT_AS_DESCRIBED = "not_as_described"
    BILLING_ERROR = "billing_error"
    REFUND_NOT_RECEIVED = "refund_not_received"
    UNWANTED_ITEM = "unwanted_item"
    OTHER = "other"


class DesiredOutcome(StrEnum):
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    REPLACEMENT = "replacement"
    STORE_CREDIT = "store_credit"
    UNSPECIFIED = "unspecified"


class OfferType(StrEnum):
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    REPLACEMENT = "replacement"
    STORE_CREDIT = "store_credit"
    RESHIP = "reship"
    RETURN_LABEL = "return_label"
    NONE = "none"


class Offer(BaseModel):
    """An offer from CS, or an ask of ours (DESIGN.md section 4)."""

    model_config = ConfigDict(extra="ignore", use_enum_values=True)

    type: OfferType
    amount: float | None = Field(default=None, ge=0, le=1_000_000)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    return_required: bool = False
    restocking_fee: float | None = Field(default=None, ge=0, le=1_000_000)
    refund_method: str | None = Field(default=None, max_length=40)
    days_to_complete: int | None = Field(default=None, ge=0, le=365)


class OrderStatus(StrEnum):
    ORDERED = "ordered"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    LOST = "lost"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a wait for the customer that ran out (CSN_WAIT_TIMEOUT_S)
    RETURNED = "returned"


Category = Literal[
    "electronics",
    "computers",
    "kitchen",
    "home",
    "apparel",
    "shoes",
    "books",
    "toys",
    "grocery",
    "beauty",
    "digital",
    "gift_cards",
    "hazmat",
    "jewelry",
    "furniture",
    "sports",
]


class OrderItem(BaseModel):
    sku: str
    title: str
    category: str
    price: float
    quantity: int = 1


class Order(BaseModel):
    """An order as the retailer's order system returns it (DESIGN.md section 5)."""

    model_config = ConfigDict(extra="allow")

    order_id: str
    customer_id: str
    order_date: date
    promised_delivery_date: date | None = None
    delivered_date: date | None = None
    status: OrderStatus
    seller: str = "retailer"
    payment_method: str = "card"
    total: float
    items: list[OrderItem]


class Customer(BaseModel):
    customer_id: str
    name: str
    email: str
    phone: str = ""
    address: str = ""
    prime: bool = False


class SessionState(StrEnum):
    RECEIVED = "received"
    ANALYZING = "analyzing"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    AWAITING_CUSTOMER_INPUT = "awaiting_customer_input"  # CS asked for what only the customer has
    PLANNING = "planning"
    AWAITING_STRATEGY_APPROVAL = "awaiting_strategy_approval"
    NEGOTIATING = "negotiating"
    AWAITING_OUTCOME_APPROVAL = "awaiting_outcome_approval"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    FAILED = "failed"
    CS_UNAVAILABLE = "cs_unavailable"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a wait for the customer that ran out (CSN_WAIT_TIMEOUT_S)
    # Follow-through: CS agreed; the promises it made are checked until kept.
    MONITORING = "monitoring"
    AWAITING_FOLLOW_UP_APPROVAL = "awaiting_follow_up_approval"  # a promise broke: chase CS?
    FOLLOWING_UP = "following_up"  # contacting CS again about a broken promise
    FULFILLED = "fulfilled"  # every promise kept (perhaps after chasing)


TERMINAL_STATES = frozenset(
    {
        SessionState.RESOLVED,
        SessionState.ESCALATED,
        SessionState.FAILED,
        SessionState.CANCELLED,
        SessionState.EXPIRED,
        SessionState.FULFILLED,
    }
)
WAITING_STATES = frozenset(
    {
        SessionState.AWAITING_CLARIFICATION,
        SessionState.AWAITING_CUSTOMER_INPUT,
        SessionState.AWAITING_STRATEGY_APPROVAL,
        SessionState.AWAITING_OUTCOME_APPROVAL,
        SessionState.AWAITING_FOLLOW_UP_APPROVAL,
    }
)
# Waiting for the retailer to keep its word: the coordinator checks the order system on a
# schedule kept in the store (promise due dates plus a grace, CSN_DAY_SECONDS long days).
MONITORING_STATES = frozenset({SessionState.MONITORING})
# CS agreed: resolved outright, or through monitoring (fulfilled when every promise is kept).
AGREED_STATES = frozenset({SessionState.RESOLVED, SessionState.MONITORING, SessionState.FULFILLED})
# Waiting for the outside world: the coordinator resumes the case on a schedule
# (CSN_CS_RETRY_SCHEDULE_S) and escalates it after the last attempt.
RETRYING_STATES = frozenset({SessionState.CS_UNAVAILABLE})
ORDER_ID_PATTERN = r"\d{3}-\d{7}-\d{7}"
