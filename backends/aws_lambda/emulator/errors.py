"""Errors: the client-side ``EmulatorError`` and the server-side AWS-shaped error answer."""

from __future__ import annotations

import json
from typing import Any

from podpac_exec.errors import PodpacExecError


class EmulatorError(PodpacExecError):
    """The emulator could not start, answer or stop as asked."""


class AwsError(Exception):
    """An error answered the way the Lambda REST-JSON API does (status, ``x-amzn-ErrorType``, body)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        message_key: str = "message",
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.message_key = message_key
        self.headers = dict(headers or {})
        self.fields = fields

    def body(self) -> bytes:
        """JSON body as Lambda sends it: ``Type``, the message, and extra members (``Reason`` ...)."""
        doc: dict[str, Any] = {"Type": "User" if self.status < 500 else "Service", self.message_key: self.message}
        doc.update(self.fields)
        return json.dumps(doc).encode()

    def response_headers(self) -> list[tuple[str, str]]:
        """Headers botocore reads the error code from."""
        return [("Content-Type", "application/json"), ("x-amzn-ErrorType", self.code), *self.headers.items()]


def validation_error(value: Any, field: str, constraint: str) -> AwsError:
    """AWS's request-validation error for one field (HTTP 400 ``ValidationException``)."""
    return AwsError(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}",
    )


def invalid_parameter(message: str) -> AwsError:
    """HTTP 400 ``InvalidParameterValueException``."""
    return AwsError(400, "InvalidParameterValueException", message)


def too_large(message: str) -> AwsError:
    """HTTP 413 ``RequestEntityTooLargeException``: the code AWS actually sends for oversized requests."""
    return AwsError(413, "RequestEntityTooLargeException", message)


def throttled(reason: str) -> AwsError:
    """HTTP 429 ``TooManyRequestsException`` as Lambda answers a concurrency throttle."""
    return AwsError(429, "TooManyRequestsException", "Rate Exceeded.", headers={"Retry-After": "1"}, Reason=reason)
