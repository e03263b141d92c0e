"""The exceptions that carry an error of the catalogue (core.errors) to a client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from watchparty.core.errors import Rejection, message, params, status


class ClientError(Exception):
    """An error whose ``code`` and ``message`` go to the client as they are.

    Never put a secret, a token or a client's input in the message.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ApiError(ClientError):
    """Answers an HTTP request with ``status`` and ``{"error": {"code", "message"}}`` (the
    ``json_errors`` middleware does), from whichever layer raises it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(code, message)
        self.status = status
        self.headers = headers or {}
        self.params = params or {}

    @classmethod
    def of(cls, code: str, headers: dict[str, str] | None = None, **fields: Any) -> Self:
        """The catalogue's error ``code``, with its status and its message filled."""
        return cls(status(code), code, message(code, **fields), headers, params(fields))

    @classmethod
    def rejected(cls, rejection: Rejection) -> Self:
        """A rejection from the room domain, answered with its catalogue status."""
        return cls(
            status(rejection.code), rejection.code, rejection.message, params=rejection.params
        )
