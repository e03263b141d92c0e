"""Password hashing with bcrypt, off the event loop.

bcrypt works on at most 72 bytes and bcrypt 5 refuses longer input rather than truncating it:
new passwords longer than that are a validation error (``MAX_PASSWORD_BYTES``), and a login
with one is simply wrong, after the same amount of work as any other wrong password.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import bcrypt

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72


# bcrypt checks at once from one client address, and waiting for a worker in all: beyond
# them a request is refused at once (``Busy``) rather than queued, so a flood of sign-ins
# costs neither unbounded memory nor everyone else's turn.
PER_ADDRESS = 2
MAX_WAITING = 64


class Busy(Exception):
    """Too many password checks under way (from this address, or in all)."""


class PasswordHasher:
    def __init__(self, rounds: int, workers: int | None = None) -> None:
        self._rounds = rounds
        # Checked against when there is no real hash, so that check costs the same.
        self._decoy = bcrypt.hashpw(b"decoy password", bcrypt.gensalt(rounds))
        self._workers = asyncio.Semaphore(workers or max(2, os.cpu_count() or 2))
        self._by_address: Counter[str] = Counter()
        self._waiting = 0

    @asynccontextmanager
    async def turn(self, address: str) -> AsyncIterator[None]:
        """One bcrypt at a time per worker thread: raises ``Busy`` when this address already
        has ``PER_ADDRESS`` under way or ``MAX_WAITING`` are waiting. Reserve the attempt
        (the throttle's count) before, so the wait cannot be used to slip past it."""
        if self._by_address[address] >= PER_ADDRESS or self._waiting >= MAX_WAITING:
            raise Busy
        self._by_address[address] += 1
        try:
            self._waiting += 1
            try:
                await self._workers.acquire()
            finally:
                self._waiting -= 1
            try:
                yield
            finally:
                self._workers.release()
        finally:
            self._by_address[address] -= 1
            if not self._by_address[address]:
                del self._by_address[address]

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

    async def check(self, password: str, hashed: str | None, address: str) -> bool | None:
        """``verify`` in this address's turn; None when it has too many under way (a room's
        door: ``rooms.ports.PasswordCheck``)."""
        try:
            async with self.turn(address):
                return await self.verify(password, hashed)
        except Busy:
            return None
