"""Throttling failed sign-ins without handing attackers a way to lock real users out.

Attempts are counted per account and per client address (``limits``, moving windows), each
before its password is checked. Past either limit, sign-in answers 429 with ``Retry-After``
and no password is checked. The
per-account limit is what stops a guessing campaign spread over many addresses; it would also
let anyone lock an account by failing on purpose, so a browser that has signed into that
account before (it holds a device cookie, OWASP's "device cookies") is exempt from it: the real
user keeps signing in from their own browser, and elsewhere waits out one window at most (15
minutes by default). A success clears the account's count.
"""

from __future__ import annotations

from watchparty.ratelimit import RateLimit, Verdict


class LoginThrottle:
    def __init__(self, per_account: str, per_address: str, redis_url: str | None = None) -> None:
        self._account = RateLimit(per_account, "login-account", redis_url)
        self._address = RateLimit(per_address, "login-address", redis_url)
        self.limits = (self._account, self._address)  # for /metrics

    async def reserve(self, account: str, address: str, *, trusted_device: bool) -> Verdict:
        """Count this attempt now, before its password is checked, and say whether it may go
        on. Counting only after bcrypt let 20 concurrent guesses through a limit of 5: each
        was checked against the count before any had failed. ``limits``' hit is atomic, in
        memory and in Redis, so concurrent attempts cannot all see room for one more. An
        address counts every attempt (a success clears only the account's count)."""
        verdict = await self._address.hit(address)
        if verdict.allowed and not trusted_device:
            verdict = await self._account.hit(account)
        return verdict

    async def succeeded(self, account: str) -> None:
        await self._account.reset(account)
