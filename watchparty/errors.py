"""The one shape of an error a client may see: a stable ``code`` and a message for people."""

from __future__ import annotations


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
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(code, message)
        self.status = status
        self.headers = headers or {}
