"""A2A / JSON-RPC errors: one class per code, one table shared by server and client."""

from __future__ import annotations

from typing import Any


class A2AError(Exception):
    """Base class: a JSON-RPC error with a code, a default message and a reason."""

    code = -32603
    message = "Internal error"
    reason = "INTERNAL_ERROR"

    def __init__(self, message: str | None = None, *, data: Any = None) -> None:
        super().__init__(message or self.message)
        self.detail = message or self.message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        """The JSON-RPC `error` object; v1.0 carries `data` as a list of ErrorInfo-like objects."""
        info: dict[str, Any] = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": self.reason,
            "domain": "a2a-protocol.org",
        }
        if self.data is not None:
            info["metadata"] = {"detail": str(self.data)[:2000]}
        return {"code": self.code, "message": self.detail, "data": [info]}


class ParseError(A2AError):
    code, message, reason = -32700, "Parse error: the body is not valid JSON", "PARSE_ERROR"


class InvalidRequestError(A2AError):
    code, message, reason = -32600, "Invalid request", "INVALID_REQUEST"


class MethodNotFoundError(A2AError):
    code, message, reason = -32601, "Method not found", "METHOD_NOT_FOUND"


class InvalidParamsError(A2AError):
    code, message, reason = -32602, "Invalid params", "INVALID_PARAMS"


class InternalError(A2AError):
    pass


class TaskNotFoundError(A2AError):
    code, message, reason = -32001, "Task not found", "TASK_NOT_FOUND"


class TaskNotCancelableError(A2AError):
    code, message, reason = -32002, "Task cannot be canceled", "TASK_NOT_CANCELABLE"


class PushNotificationNotSupportedError(A2AError):
    code, message, reason = -32003, "Push notifications are not supported", "PUSH_NOT_SUPPORTED"


class UnsupportedOperationError(A2AError):
    code, message, reason = -32004, "This operation is not supported", "UNSUPPORTED_OPERATION"


class ContentTypeNotSupportedError(A2AError):
    code, message, reason = -32005, "Content type not supported", "CONTENT_TYPE_NOT_SUPPORTED"


class InvalidAgentResponseError(A2AError):
    code, message, reason = -32006, "Invalid agent response", "INVALID_AGENT_RESPONSE"


class ExtendedCardNotConfiguredError(A2AError):
    code, message, reason = (
        -32007,
        "Extended agent card not configured",
        "EXTENDED_CARD_NOT_CONFIGURED",
    )


class VersionNotSupportedError(A2AError):
    code, message, reason = -32009, "A2A version not supported", "VERSION_NOT_SUPPORTED"


JSON_RPC_ERROR_CODE_MAP: dict[int, type[A2AError]] = {
    cls.code: cls
    for cls in (
        ParseError,
        InvalidRequestError,
        MethodNotFoundError,
        InvalidParamsError,
        InternalError,
        TaskNotFoundError,
        TaskNotCancelableError,
        PushNotificationNotSupportedError,
        UnsupportedOperationError,
        ContentTypeNotSupportedError,
        InvalidAgentResponseError,
        ExtendedCardNotConfiguredError,
        VersionNotSupportedError,
    )
}
