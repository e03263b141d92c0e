"""The ``users`` collection.

Usernames and emails are unique case-insensitively: the normalized forms carry the unique
indexes, so two sign-ups racing for one name cannot both win. The password hash lives only
here and on ``User.password_hash`` (kept out of ``repr`` and out of ``to_public``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from watchparty.store.errors import unavailable_on_failure
from watchparty.store.times import as_utc

Document = dict[str, Any]
Taken = Literal["username", "email"]


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def normalize_username(username: str) -> str:
    return username.strip().casefold()


@dataclass(frozen=True)
class Billing:
    """A user's Stripe customer and subscription, as the last webhook left them."""

    customer_id: str | None = None
    subscription_id: str | None = None
    status: str | None = None  # Stripe's subscription status
    period_end: float | None = None  # epoch seconds

    def to_document(self) -> Document:
        return {
            "stripe_customer_id": self.customer_id,
            "subscription_id": self.subscription_id,
            "subscription_status": self.status,
            "current_period_end": self.period_end,
        }


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str
    password_hash: str | None = field(repr=False)  # None: signs in with a provider only
    created_at: dt.datetime
    avatar_url: str | None = None
    plan: str = "free"
    # Bumped by a password change (or "sign out everywhere"): tokens carry the version they
    # were issued under, and an older one no longer signs anybody in.
    token_version: int = 0
    billing: Billing = field(default_factory=Billing)

    def to_public(self) -> dict[str, Any]:
        """What ``GET /api/users/me`` shows: never the hash or the token version."""
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "avatar_url": self.avatar_url,
            "plan": self.plan,
            "created_at": self.created_at.isoformat(),
        }


class AccountTaken(Exception):
    """The username or the email already belongs to someone."""

    def __init__(self, field: Taken) -> None:
        super().__init__(field)
        self.field: Taken = field


def _from_document(doc: Document) -> User:
    created_at = as_utc(doc["created_at"])
    return User(
        id=str(doc["_id"]),
        username=doc["username"],
        email=doc["email"],
        password_hash=doc.get("password_hash"),
        created_at=created_at,
        avatar_url=doc.get("avatar_url"),
        plan=doc.get("plan") or "free",
        token_version=int(doc.get("token_version") or 0),
        billing=Billing(
            customer_id=doc.get("stripe_customer_id"),
            subscription_id=doc.get("subscription_id"),
            status=doc.get("subscription_status"),
            period_end=doc.get("current_period_end"),
        ),
    )


class UserStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("email_normalized", unique=True)
        await self._collection.create_index("username_normalized", unique=True)
        await self._collection.create_index("stripe_customer_id")
        await self._collection.create_index("identities")

    async def create(
        self, username: str, email: str, password_hash: str | None, identity: str | None = None
    ) -> User:
        """Insert a new user (with ``identity``: one who signed in with an OpenID provider);
        raises ``AccountTaken`` naming the field that is taken."""
        user = User(
            id=secrets.token_urlsafe(12),
            username=username,
            email=email,
            password_hash=password_hash,
            created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        )
        doc = {
            "_id": user.id,
            "username": username,
            "username_normalized": normalize_username(username),
            "email": email,
            "email_normalized": normalize_email(email),
            "password_hash": password_hash,
            "created_at": user.created_at,
            "avatar_url": None,
            "plan": user.plan,
            "token_version": 0,
            "identities": [] if identity is None else [identity],
        }
        async with unavailable_on_failure():
            # A friendly answer for the common case; the unique indexes settle a race.
            taken = await self._taken(username, email)
            if taken is not None:
                raise AccountTaken(taken)
            try:
                await self._collection.insert_one(doc)
            except DuplicateKeyError:
                raise AccountTaken(await self._taken(username, email) or "username") from None
        return user

    async def _taken(
        self, username: str, email: str, *, besides: str | None = None
    ) -> Taken | None:
        """Which of ``username`` and ``email`` belongs to a user other than ``besides``."""
        if await self._used({"username_normalized": normalize_username(username)}, besides):
            return "username"
        if await self._used({"email_normalized": normalize_email(email)}, besides):
            return "email"
        return None

    async def _used(self, query: Document, besides: str | None) -> bool:
        doc = await self._collection.find_one(query, {"_id": 1})
        return doc is not None and doc["_id"] != besides

    async def by_identity(self, identity: str) -> User | None:
        """The user an OpenID provider's identity (``oidc.Identity.key``) was linked to."""
        async with unavailable_on_failure():
            # $in, not plain equality: the embedded database answers an equality on an
            # indexed array's element with nothing (nx-27017 0.8).
            doc = await self._collection.find_one({"identities": {"$in": [identity]}})
        return None if doc is None else _from_document(doc)

    async def link_identity(self, user: User, identity: str) -> None:
        """Let ``identity`` sign ``user`` in from now on (the whole list is written: the
        embedded database's ``$addToSet`` is not to be trusted)."""
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": user.id}, {"identities": 1})
            if doc is None:
                return
            identities = list(doc.get("identities") or [])
            if identity not in identities:
                identities.append(identity)
                await self._collection.update_one(
                    {"_id": user.id}, {"$set": {"identities": identities}}
                )

    async def by_id(self, user_id: str) -> User | None:
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": user_id})
        return None if doc is None else _from_document(doc)

    async def by_login(
        self, *, email: str | None = None, username: str | None = None
    ) -> User | None:
        query = (
            {"email_normalized": normalize_email(email)}
            if email is not None
            else {"username_normalized": normalize_username(username or "")}
        )
        async with unavailable_on_failure():
            doc = await self._collection.find_one(query)
        return None if doc is None else _from_document(doc)

    async def update_profile(self, user: User, changes: dict[str, str | None]) -> User:
        """Apply ``changes`` to ``username`` and/or ``avatar_url``; raises ``AccountTaken``."""
        update: Document = {}
        username = changes.get("username")
        if username is not None and username != user.username:
            update["username"] = username
            update["username_normalized"] = normalize_username(username)
        if "avatar_url" in changes:
            update["avatar_url"] = changes["avatar_url"]
        if not update:
            return user
        async with unavailable_on_failure():
            if "username" in update and await self._used(
                {"username_normalized": update["username_normalized"]}, user.id
            ):
                raise AccountTaken("username")
            try:
                await self._collection.update_one({"_id": user.id}, {"$set": update})
            except DuplicateKeyError:
                raise AccountTaken("username") from None
        found = await self.by_id(user.id)
        assert found is not None
        return found

    async def by_stripe_customer(self, customer_id: str) -> User | None:
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"stripe_customer_id": customer_id})
        return None if doc is None else _from_document(doc)

    async def set_billing(self, user: User, billing: Billing, plan: str) -> User:
        async with unavailable_on_failure():
            await self._collection.update_one(
                {"_id": user.id}, {"$set": {**billing.to_document(), "plan": plan}}
            )
        found = await self.by_id(user.id)
        assert found is not None
        return found

    async def set_password(self, user: User, password_hash: str) -> User:
        """Store a new hash and bump the token version, ending every session issued before."""
        return await self.revoke_sessions(user, password_hash=password_hash)

    async def revoke_sessions(self, user: User, *, password_hash: str | None = None) -> User:
        update: Document = {"$inc": {"token_version": 1}}
        if password_hash is not None:
            update["$set"] = {"password_hash": password_hash}
        async with unavailable_on_failure():
            await self._collection.update_one({"_id": user.id}, update)
        found = await self.by_id(user.id)
        assert found is not None
        return found
