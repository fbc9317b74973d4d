"""The coordinator's data: the stored session document and the customer API's request models."""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coordinator_agent.promises import FollowThrough
from shared.domain import (
    MONITORING_STATES,
    ORDER_ID_PATTERN,
    RETRYING_STATES,
    TERMINAL_STATES,
    WAITING_STATES,
    DesiredOutcome,
    Offer,
    SessionState,
)
from shared.limits import (
    MAX_CLARIFICATIONS_READ,
    MAX_ISSUE_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_PASSWORD_CHARS,
    MAX_PHOTO_BODY_BYTES,
    MAX_PHOTOS_PER_CASE,
)

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

# States in which the workflow, not a person, moves the case on.
WORKING_STATES = frozenset(
    {
        SessionState.RECEIVED,
        SessionState.ANALYZING,
        SessionState.PLANNING,
        SessionState.NEGOTIATING,
        SessionState.FOLLOWING_UP,
    }
)
assert (
    WORKING_STATES | WAITING_STATES | RETRYING_STATES | MONITORING_STATES | TERMINAL_STATES
    == set(SessionState)
)


class NegotiationAction(StrEnum):
    CONTINUE = "continue"
    ACCEPT = "accept"
    WALK_AWAY = "walk_away"


class CustomerMessage(BaseModel):
    """A message the customer sent after the first one."""

    at: float
    kind: Literal["clarification", "change_of_mind", "customer_input"]
    text: str
    handled: bool = False
    choice: str | None = None


class Negotiation(BaseModel):
    """The current attempt's dialogue with CS, checkpointed after every round."""

    state: dict[str, Any] | None = None
    rounds: list[dict[str, Any]] = Field(default_factory=list)
    cs_exchanges: int = 0
    started_at: float | None = None
    # When the talk paused for the customer (awaiting_customer_input): time spent waiting on
    # them does not count against the negotiation deadline.
    paused_at: float | None = None
    action: NegotiationAction = NegotiationAction.CONTINUE
    # The negotiation agent asked for the case's photos with its next call (CS wants them).
    send_photos: bool = False


class PhotoRecord(BaseModel):
    """A photo of the case as the document knows it (its bytes are in the photo store)."""

    seq: int
    content_type: str
    size: int
    width: int
    height: int
    added_at: float

    @property
    def filename(self) -> str:
        """The name it is sent under: never the customer's own file name."""
        return f"photo-{self.seq}.{'png' if self.content_type == 'image/png' else 'jpg'}"


class Attempt(BaseModel):
    """An earlier attempt, kept when the customer rejected its outcome and asked for another."""

    attempt: int
    goal: str | None
    strategy: dict[str, Any] | None
    rounds: list[dict[str, Any]]
    cs_exchanges: int
    proposal: dict[str, Any] | None
    ended_because: str
    contact_id: str | None = None  # the CS chat it was (the desk's reference)


class SessionDocument(BaseModel):
    """Everything the coordinator knows about one case; stored encrypted."""

    model_config = ConfigDict(use_enum_values=True)

    id: str
    customer_id: str
    message: str
    order_id: str | None = None
    auto_approve: bool = False
    state: SessionState = SessionState.RECEIVED
    created_at: float
    messages: list[CustomerMessage] = Field(default_factory=list)
    analysis: dict[str, Any] | None = None
    question: str | None = None
    choices: list[dict[str, str]] = Field(default_factory=list)
    hints: dict[str, Any] = Field(default_factory=dict)  # readings the customer settled by a choice
    policies: dict[str, Any] | None = None
    strategy: dict[str, Any] | None = None
    proposal: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None
    escalation: dict[str, Any] | None = None
    negotiation: Negotiation = Field(default_factory=Negotiation)
    attempt: int = 1
    attempts: list[Attempt] = Field(default_factory=list)
    goal: DesiredOutcome | None = None
    floor_amount: float | None = None
    reason: str | None = None
    # The life of a wait for the customer: since when, and how many reminders were sent.
    waiting_since: float | None = None
    reminders: int = 0
    # cs_unavailable: the retries made so far and when the next one is due.
    cs_retries: int = 0
    cs_retry_at: float | None = None
    cs_unavailable_since: float | None = None
    # A cancel that arrived during a round with CS: carried out when the round is recorded.
    cancel_requested: bool = False
    # CS closed the chat without an agreement: new chats started since (limits.CS_CHAT_REOPENS)
    cs_reopens: int = 0
    # After CS agreed: the promises, their checks and the ladder climbed when one broke.
    follow: FollowThrough | None = None
    # Evidence the customer attached (metadata only; the photos are stored apart, sealed).
    photos: list[PhotoRecord] = Field(default_factory=list)

    def full_text(self) -> str:
        """The customer's words: the first message and the latest clarifications in words."""
        extra = [m.text for m in self.messages if m.kind == "clarification" and not m.choice]
        text = "\n".join([self.message, *extra[-MAX_CLARIFICATIONS_READ:]])
        return text[:MAX_ISSUE_CHARS]  # (in full: shared.limits sizes it for this)

    def customer_input(self) -> str | None:
        """The customer's latest answer to something CS asked for, not yet sent to CS."""
        given = [m for m in self.messages if m.kind == "customer_input" and not m.handled]
        return given[-1].text[:2000] if given else None


# -- requests of the customer API ---------------------------------------------------------


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PhotoIn(StrictModel):
    """One photo, its bytes in base64 (JPEG, PNG or HEIC; the type is read from the bytes)."""

    filename: str | None = Field(
        default=None, max_length=255, description="ignored: the type is read from the bytes"
    )
    # Bounded by the request's size; a photo over MAX_PHOTO_BYTES decoded is a 413.
    data: str = Field(min_length=1, max_length=MAX_PHOTO_BODY_BYTES)

    def raw(self) -> bytes:
        """The photo's bytes (a ValueError names what is wrong)."""
        try:
            return base64.b64decode("".join(self.data.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("photo data must be base64") from None


class PhotosIn(StrictModel):
    """Photos to add to a case."""

    photos: list[PhotoIn] = Field(min_length=1, max_length=MAX_PHOTOS_PER_CASE)


class CreateSession(StrictModel):
    """A new case: the customer's issue in plain words."""

    customer_id: str | None = Field(
        default=None,
        pattern=CUSTOMER_ID_PATTERN,
        examples=["C-1001"],
        description="One of the account's linked retailer customers (optional with one link)",
    )
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    order_id: str | None = Field(default=None, pattern=f"^{ORDER_ID_PATTERN}$")
    auto_approve: bool = False
    photos: list[PhotoIn] = Field(
        default_factory=list, max_length=MAX_PHOTOS_PER_CASE, description="evidence, optional"
    )

    @field_validator("message")
    @classmethod
    def _printable(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("the message may not contain NUL characters")
        return value


class Credentials(BaseModel):
    """An email and a password (kept as typed: passwords are not trimmed)."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, examples=["alex@example.com"])
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        if not EMAIL_PATTERN.match(value.strip()):
            raise ValueError("not an email address")
        return value.strip()


class SignUp(Credentials):
    """A new account."""

    name: str | None = Field(default=None, max_length=200)


class LinkRequest(StrictModel):
    """Proof of a retailer account: one of its order numbers and the email on file there."""

    order_id: str = Field(pattern=f"^{ORDER_ID_PATTERN}$", examples=["112-4839201-5839201"])
    email_on_file: str = Field(min_length=3, max_length=254)


class Decision(StrictModel):
    """The customer's answer to what awaits approval (the strategy or the proposed outcome)."""

    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    new_goal: DesiredOutcome | None = None
    floor_amount: float | None = Field(default=None, ge=0, le=1_000_000)


class MessageIn(StrictModel):
    """A clarification (order id, details, or one of the offered choices) or a change of mind."""

    text: str = Field(default="", max_length=MAX_MESSAGE_CHARS)
    choice: str | None = Field(default=None, max_length=100, description="the id of a choice")

    @model_validator(mode="after")
    def _something(self) -> MessageIn:
        if not self.text and not self.choice:
            raise ValueError("give the message's text, or a choice")
        return self

    @field_validator("text")
    @classmethod
    def _printable(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("the text may not contain NUL characters")
        return value


class Rating(StrictModel):
    """The customer's satisfaction with the result."""

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)


class Resolution(StrictModel):
    """What the human did about an escalated case."""

    note: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    state: Literal["resolved", "failed"] = "resolved"
    offer: Offer | None = None


# -- responses ----------------------------------------------------------------------------


class SessionCreated(BaseModel):
    session_id: str
    token: str
    state: SessionState


class Accepted(BaseModel):
    session_id: str
    state: SessionState
    detail: str
