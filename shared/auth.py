"""Bearer tokens, compared in constant time."""

from __future__ import annotations

import hmac


def bearer_token_valid(header: str | None, expected: str) -> bool:
    """True when `header` is `Bearer <expected>`; constant-time, never true for an empty token."""
    if not header or not expected:
        return False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def bearer_security_scheme() -> tuple[dict[str, object], list[dict[str, object]]]:
    """The card's `securitySchemes` and `securityRequirements` for our agent token."""
    schemes: dict[str, object] = {
        "agentToken": {
            "httpAuthSecurityScheme": {
                "scheme": "Bearer",
                "bearerFormat": "opaque",
                "description": "The fleet's shared agent token (CSN_AGENT_TOKEN).",
            }
        }
    }
    requirements: list[dict[str, object]] = [{"schemes": {"agentToken": {"list": []}}}]
    return schemes, requirements
