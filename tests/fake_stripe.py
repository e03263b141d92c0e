"""A local stand-in for the parts of Stripe's API the server uses, in Stripe's documented
formats (form-encoded requests, JSON objects with ``object`` and ids, error bodies), and
webhook events signed exactly as Stripe signs them. No test talks to the internet.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SECRET_KEY = "sk_test_FakeKeyForTests0123456789"
WEBHOOK_SECRET = "whsec_FakeWebhookSecretForTests0123"
PRICE = "price_PlusMonthly"

Object = dict[str, Any]


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header: ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def unflatten(form: Any) -> Object:
    """Stripe's form encoding (``line_items[0][price]=…``) back into nested objects."""
    result: Object = {}
    for key, value in form.items():
        parts = key.replace("]", "").split("[")
        node: Any = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})  # lists stay dicts keyed "0", "1", ...
        node[parts[-1]] = value
    return result


@dataclass
class FakeStripe:
    customers: dict[str, Object] = field(default_factory=dict)
    subscriptions: dict[str, Object] = field(default_factory=dict)
    sessions: list[Object] = field(default_factory=list)
    portals: list[Object] = field(default_factory=list)
    idempotent: dict[str, Object] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failing: bool = False
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/customers", self.create_customer)
        app.router.add_post("/v1/checkout/sessions", self.create_session)
        app.router.add_post("/v1/billing_portal/sessions", self.create_portal)
        app.router.add_get("/v1/subscriptions/{id}", self.retrieve_subscription)
        app.router.add_get("/c/pay/{id}", self.page)
        app.router.add_get("/p/session/{id}", self.page)
        return app

    async def page(self, request: web.Request) -> web.Response:
        """Where Checkout and the portal would be: a page that says which one it is."""
        return web.Response(text=f"<h1>Stripe {request.path}</h1>", content_type="text/html")

    def _id(self, prefix: str) -> str:
        return f"{prefix}_test{next(self.counter):06d}"

    async def _gate(self, request: web.Request) -> Object | web.Response:
        self.requests.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return _error(401, "invalid_request_error", "Invalid API Key provided: sk_test_****")
        if self.failing:
            return _error(500, "api_error", "Something went wrong on Stripe's end.")
        return unflatten(await request.post())

    async def create_customer(self, request: web.Request) -> web.Response:
        params = await self._gate(request)
        if isinstance(params, web.Response):
            return params
        key = request.headers.get("Idempotency-Key")
        if key and key in self.idempotent:
            return web.json_response(self.idempotent[key])
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "email": params.get("email"),
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
            "livemode": False,
        }
        self.customers[customer["id"]] = customer
        if key:
            self.idempotent[key] = customer
        return web.json_response(customer)

    async def create_session(self, request: web.Request) -> web.Response:
        params = await self._gate(request)
        if isinstance(params, web.Response):
            return params
        if params.get("customer") not in self.customers:
            return _error(400, "invalid_request_error", "No such customer", param="customer")
        session_id = self._id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "customer": params["customer"],
            "client_reference_id": params.get("client_reference_id"),
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "line_items": params["line_items"],
            "subscription_data": params.get("subscription_data"),
            "status": "open",
            # Stripe's page would be checkout.stripe.com; a page of our own stands in for it.
            "url": f"{request.url.origin()}/c/pay/{session_id}",
        }
        self.sessions.append(session)
        return web.json_response(session)

    async def create_portal(self, request: web.Request) -> web.Response:
        params = await self._gate(request)
        if isinstance(params, web.Response):
            return params
        portal_id = self._id("bps")
        portal = {
            "id": portal_id,
            "object": "billing_portal.session",
            "customer": params["customer"],
            "return_url": params["return_url"],
            "url": f"{request.url.origin()}/p/session/{portal_id}",
        }
        self.portals.append(portal)
        return web.json_response(portal)

    async def retrieve_subscription(self, request: web.Request) -> web.Response:
        gate = await self._gate(request)
        if isinstance(gate, web.Response):
            return gate
        subscription = self.subscriptions.get(request.match_info["id"])
        if subscription is None:
            return _error(404, "invalid_request_error", "No such subscription", param="id")
        return web.json_response(subscription)

    # --- what Stripe would do on its side, for the tests to drive ---------------------------

    def subscribe(self, customer: str, status: str = "active", price: str = PRICE) -> Object:
        """A subscription as Stripe's API (2025 versions) returns it: the period is on the
        items."""
        now = int(time.time())
        subscription_id = self._id("sub")
        subscription = {
            "id": subscription_id,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "created": now,
            "livemode": False,
            "metadata": {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": self._id("si"),
                        "object": "subscription_item",
                        "price": {"id": price, "object": "price"},
                        "quantity": 1,
                        "current_period_start": now,
                        "current_period_end": now + 30 * 86400,
                    }
                ],
            },
        }
        self.subscriptions[subscription_id] = subscription
        return subscription

    def event(self, event_type: str, obj: Object, created: int | None = None) -> str:
        """A webhook event body, as Stripe sends it."""
        return json.dumps(
            {
                "id": self._id("evt"),
                "object": "event",
                "api_version": "2025-10-29.clover",
                "created": int(time.time()) if created is None else created,
                "type": event_type,
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "data": {"object": obj},
            }
        )


def _error(status: int, kind: str, message: str, param: str | None = None) -> web.Response:
    body: Object = {"error": {"type": kind, "message": message}}
    if param:
        body["error"]["param"] = param
    return web.json_response(body, status=status)
