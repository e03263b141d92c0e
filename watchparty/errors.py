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
