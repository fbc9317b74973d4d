"""A2A v1.0 wire models (camelCase JSON, proto enum names), the subset this fleet speaks."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

PROTOCOL_VERSION = "1.0"
CARD_PATH = "/.well-known/agent-card.json"


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields kept for forward compatibility."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict the wire carries (aliases, no nulls)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Role(StrEnum):
    USER = "ROLE_USER"
    AGENT = "ROLE_AGENT"


class TaskState(StrEnum):
    SUBMITTED = "TASK_STATE_SUBMITTED"
    WORKING = "TASK_STATE_WORKING"
    INPUT_REQUIRED = "TASK_STATE_INPUT_REQUIRED"
    AUTH_REQUIRED = "TASK_STATE_AUTH_REQUIRED"
    COMPLETED = "TASK_STATE_COMPLETED"
    FAILED = "TASK_STATE_FAILED"
    CANCELED = "TASK_STATE_CANCELED"
    REJECTED = "TASK_STATE_REJECTED"


TERMINAL_TASK_STATES = frozenset(
    {TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELED, TaskState.REJECTED}
)


class Part(WireModel):
    """Exactly one of text, data, url or raw."""

    text: str | None = None
    data: Any = None
    url: str | None = None
    raw: str | None = None
    media_type: str | None = None
    filename: str | None = None
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one_content(self) -> Part:
        present = [f for f in ("text", "data", "url", "raw") if f in self.model_fields_set]
        if len(present) != 1:
            raise ValueError("a part holds exactly one of text, data, url or raw")
        return self


class Message(WireModel):
    message_id: str = Field(min_length=1, max_length=200)
    role: Role
    parts: list[Part] = Field(min_length=1, max_length=64)
    context_id: str | None = None
    task_id: str | None = None
    metadata: dict[str, Any] | None = None
    reference_task_ids: list[str] | None = None
    extensions: list[str] | None = None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TaskStatus(WireModel):
    state: TaskState
    message: Message | None = None
    timestamp: str = Field(default_factory=now_iso)


class Artifact(WireModel):
    artifact_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    parts: list[Part]
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None


class Task(WireModel):
    id: str
    context_id: str
    status: TaskStatus
    artifacts: list[Artifact] = Field(default_factory=list)
    history: list[Message] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None


class SendMessageConfiguration(WireModel):
    accepted_output_modes: list[str] | None = None
    history_length: int | None = Field(default=None, ge=0)
    return_immediately: bool | None = None


class SendMessageParams(WireModel):
    message: Message
    configuration: SendMessageConfiguration | None = None
    metadata: dict[str, Any] | None = None


class GetTaskParams(WireModel):
    id: str = Field(min_length=1)
    history_length: int | None = Field(default=None, ge=0)


class CancelTaskParams(WireModel):
    id: str = Field(min_length=1)
    metadata: dict[str, Any] | None = None


class ListTasksParams(WireModel):
    context_id: str | None = None
    status: TaskState | None = None
    page_size: int | None = Field(default=None, ge=1, le=100)
    page_token: str | None = None
    history_length: int | None = Field(default=None, ge=0)
    include_artifacts: bool | None = None


class AgentSkill(WireModel):
    id: str
    name: str
    description: str
    tags: list[str]
    examples: list[str] | None = None
    input_modes: list[str] | None = None
    output_modes: list[str] | None = None


class AgentCapabilities(WireModel):
    streaming: bool = True
    push_notifications: bool = False
    extended_agent_card: bool = False


class AgentInterface(WireModel):
    url: str
    protocol_binding: str = "JSONRPC"
    protocol_version: str = PROTOCOL_VERSION


class AgentProvider(WireModel):
    organization: str
    url: str


class AgentCard(WireModel):
    name: str
    description: str
    version: str
    supported_interfaces: list[AgentInterface]
    capabilities: AgentCapabilities = Field(default_factory=AgentCapabilities)
    default_input_modes: list[str] = Field(
        default_factory=lambda: ["application/json", "text/plain"]
    )
    default_output_modes: list[str] = Field(default_factory=lambda: ["application/json"])
    skills: list[AgentSkill] = Field(default_factory=list)
    provider: AgentProvider | None = None
    documentation_url: str | None = None
    security_schemes: dict[str, Any] | None = None
    security_requirements: list[dict[str, Any]] | None = None


def data_message(
    data: Any, *, text: str | None = None, role: Role = Role.USER, **fields: Any
) -> Message:
    """A message carrying one data part (and an optional text part for humans)."""
    parts = [Part(text=text)] if text else []
    parts.append(Part(data=data))
    return Message(message_id=str(uuid.uuid4()), role=role, parts=parts, **fields)


def file_part(data: bytes, media_type: str, filename: str) -> Part:
    """A file part: the bytes inline (base64 `raw`), with their media type and name."""
    encoded = base64.b64encode(data).decode("ascii")
    return Part(raw=encoded, media_type=media_type, filename=filename)


def part_bytes(part: Part) -> bytes:
    """The bytes of a file part; ValueError if it carries none, or not in base64."""
    if part.raw is None:
        raise ValueError("the part carries no file")
    try:
        return base64.b64decode(part.raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a file part's raw bytes must be base64") from None


def without_files(message: Message) -> Message:
    """The message with each file's bytes replaced by a note of its name and size (what a task's
    history keeps: evidence is passed to the skill, never retained by the agent)."""
    if not any(p.raw is not None for p in message.parts):
        return message
    parts = [
        p
        if p.raw is None
        else Part(
            data={"file": p.filename, "mediaType": p.media_type, "bytes": _decoded_size(p.raw)},
            metadata={"omitted": "file bytes are not retained"},
        )
        for p in message.parts
    ]
    return message.model_copy(update={"parts": parts})


def _decoded_size(encoded: str) -> int:
    """How many bytes base64 text holds (without decoding it)."""
    text = encoded.strip()
    return len(text) * 3 // 4 - text[-2:].count("=")
