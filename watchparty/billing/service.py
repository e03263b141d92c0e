"""Stripe billing: Checkout and the billing portal, and the webhook that keeps plans current.

All Stripe calls go through the official ``stripe`` library (``StripeClient``, its aiohttp
transport, its own signature check). A webhook never trusts the order events arrive in: for
any event about a subscription it reads the subscription back from Stripe and applies what
Stripe says *now*, one user at a time, so an old event delivered late cannot leave a stale
status. Each handled event id is recorded; a redelivery changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

import stripe

from watchparty.core.plans import Plan, Plans
from watchparty.errors import ApiError
from watchparty.rooms.registry import RoomRegistry
from watchparty.settings import Settings
from watchparty.store.billing_events import BillingEventStore
from watchparty.store.rooms import RoomStore
from watchparty.store.users import Billing, User, UserStore

log = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
    }
)
Object = dict[str, Any]


class BillingError(ApiError):
    """A billing request that cannot be done; ``status`` is the HTTP answer."""


class StripeBilling:
    def __init__(
        self,
        settings: Settings,
        users: UserStore,
        events: BillingEventStore,
        rooms: RoomStore,
        registry: RoomRegistry,
        plans: Plans,
    ) -> None:
        assert settings.stripe_secret_key is not None
        assert settings.stripe_webhook_secret is not None
        assert settings.stripe_price_id is not None
        self._http = stripe.AIOHTTPClient()
        self._client = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses={"api": settings.stripe_api_base},
            http_client=self._http,
            max_network_retries=2,
        )
        self._webhook_secret = settings.stripe_webhook_secret
        self._price = settings.stripe_price_id
        self._users = users
        self._events = events
        self._rooms = rooms
        self._registry = registry
        self._plans = plans
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]  # untyped in stripe

    # --- what a signed-in user asks for ------------------------------------------------------

    async def checkout_url(self, user: User, base_url: str) -> str:
        """A Checkout Session for the paid plan, in subscription mode, for this user's
        customer (created on first use and kept on the user)."""
        if user.plan == self._plans.plus.name:
            raise BillingError.of("already_subscribed")
        customer = await self._customer(user)
        session = await self._call(
            self._client.v1.checkout.sessions.create_async(
                {
                    "mode": "subscription",
                    "customer": customer,
                    "client_reference_id": user.id,
                    "line_items": [{"price": self._price, "quantity": 1}],
                    "success_url": f"{base_url}/?billing=success",
                    "cancel_url": f"{base_url}/?billing=cancelled",
                    "subscription_data": {"metadata": {"user_id": user.id}},
                }
            )
        )
        return str(session.url)

    async def portal_url(self, user: User, base_url: str) -> str:
        if user.billing.customer_id is None:
            raise BillingError.of("no_billing_account")
        session = await self._call(
            self._client.v1.billing_portal.sessions.create_async(
                {"customer": user.billing.customer_id, "return_url": f"{base_url}/"}
            )
        )
        return str(session.url)

    async def _customer(self, user: User) -> str:
        if user.billing.customer_id is not None:
            return user.billing.customer_id
        # The idempotency key makes two first checkouts at once create one customer.
        customer = await self._call(
            self._client.v1.customers.create_async(
                {"email": user.email, "metadata": {"user_id": user.id}},
                {"idempotency_key": f"watchparty-customer-{user.id}"},
            )
        )
        billing = Billing(customer_id=str(customer.id))
        await self._users.set_billing(user, billing, user.plan)
        return billing.customer_id or ""

    async def _call(self, request: Any) -> Any:
        try:
            return await request
        except stripe.StripeError as error:
            # Stripe's message may name our account's details: log it, do not echo it.
            log.warning("Stripe request failed: %s", type(error).__name__)
            raise BillingError.of("billing_unavailable") from None

    # --- webhooks -------------------------------------------------------------------------

    def verify(self, payload: bytes, signature: str | None) -> stripe.Event:
        """The event, if ``Stripe-Signature`` proves Stripe sent it within the tolerance."""
        try:
            return self._client.construct_event(payload, signature, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError):
            raise BillingError.of("invalid_signature") from None

    async def handle(self, event: stripe.Event) -> bool:
        """Apply ``event``; False if it was handled before (a redelivery)."""
        if await self._events.seen(event.id):
            return False
        if event.type in HANDLED_EVENTS:
            await self._sync(event.type, event.data.object.to_dict())
        await self._events.record(event.id, event.type, event.created)
        return True

    async def _sync(self, event_type: str, obj: Object) -> None:
        user = await self._user_for(obj)
        if user is None:
            log.warning("Stripe %s for no known user: ignored", event_type)
            return
        subscription_id = _subscription_id(event_type, obj)
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        async with lock:
            if subscription_id is None:  # a checkout without one: keep the customer at least
                if obj.get("customer") and user.billing.customer_id is None:
                    await self._users.set_billing(
                        user, Billing(customer_id=str(obj["customer"])), user.plan
                    )
                return
            subscription = await self._call(
                self._client.v1.subscriptions.retrieve_async(subscription_id)
            )
            fresh = await self._users.by_id(user.id)
            if fresh is not None:
                await self._apply(fresh, subscription.to_dict())

    async def _user_for(self, obj: Object) -> User | None:
        user_id = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("user_id")
        if isinstance(user_id, str):
            user = await self._users.by_id(user_id)
            if user is not None:
                return user
        customer = obj.get("customer")
        return await self._users.by_stripe_customer(customer) if isinstance(customer, str) else None

    async def _apply(self, user: User, subscription: Object) -> None:
        """Set the user's plan from a subscription as Stripe has it now."""
        status = str(subscription.get("status"))
        plan = self._plans.for_status(status) if self._sells(subscription) else self._plans.free
        current = user.billing.subscription_id
        if (
            current not in (None, subscription["id"])
            and user.plan == self._plans.plus.name
            and plan == self._plans.free
        ):
            return  # an old subscription ending does not end the one they pay for now
        billing = Billing(
            customer_id=str(subscription.get("customer") or user.billing.customer_id),
            subscription_id=str(subscription["id"]),
            status=status,
            period_end=_period_end(subscription),
        )
        await self._users.set_billing(user, billing, plan.name)
        if plan.name != user.plan:
            log.info("user %s is now on %s (subscription %s)", user.id, plan.name, status)
            await self._plan_changed(user.id, plan)

    async def _plan_changed(self, user_id: str, plan: Plan) -> None:
        if plan.persistent_rooms:
            await self._rooms.keep_rooms_of(user_id)
        await self._registry.info.change_plan(user_id, plan)

    def _sells(self, subscription: Object) -> bool:
        items = (subscription.get("items") or {}).get("data") or []
        return any((item.get("price") or {}).get("id") == self._price for item in items)


def _subscription_id(event_type: str, obj: Object) -> str | None:
    if event_type.startswith("customer.subscription."):
        return str(obj["id"])
    found = obj.get("subscription")
    if found is None and event_type.startswith("invoice."):
        # Newer API versions moved it under parent.subscription_details.
        details = (obj.get("parent") or {}).get("subscription_details") or {}
        found = details.get("subscription")
    if isinstance(found, dict):  # expanded
        found = found.get("id")
    return found if isinstance(found, str) else None


def _period_end(subscription: Object) -> float | None:
    """The end of the paid period: on the items in current API versions, on the
    subscription itself in older ones."""
    items = (subscription.get("items") or {}).get("data") or []
    ends = [item["current_period_end"] for item in items if item.get("current_period_end")]
    end = max(ends) if ends else subscription.get("current_period_end")
    return float(end) if end is not None else None
