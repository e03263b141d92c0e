"""Password hashing with bcrypt, off the event loop.

bcrypt works on at most 72 bytes and bcrypt 5 refuses longer input rather than truncating it:
new passwords longer than that are a validation error (``MAX_PASSWORD_BYTES``), and a login
with one is simply wrong, after the same amount of work as any other wrong password.
"""

from __future__ import annotations

import asyncio

import bcrypt

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self._rounds = rounds
        # Checked against when there is no real hash, so that check costs the same.
        self._decoy = bcrypt.hashpw(b"decoy password", bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        """A bcrypt hash of ``password`` (validated to at most 72 bytes by the caller)."""
        salt = bcrypt.gensalt(self._rounds)
        hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode(), salt)
        return hashed.decode()

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Whether ``password`` matches ``hashed``.

        With no hash (no such user) or an over-long password it still runs one bcrypt check
        of the same cost, so the answer takes as long as for a real account: the timing does
        not tell whether an account exists.
        """
        encoded = password.encode()
        usable = hashed is not None and len(encoded) <= MAX_PASSWORD_BYTES
        if not usable:
            encoded = encoded[:MAX_PASSWORD_BYTES]
        target = hashed.encode() if usable and hashed is not None else self._decoy
        matched = await asyncio.to_thread(bcrypt.checkpw, encoded, target)
        return matched and usable
