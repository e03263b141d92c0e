"""``/api/billing`` and ``/api/stripe-webhooks``; all answer ``503 billing_disabled`` unless
Stripe is configured."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from watchparty.apidoc import Doc, documented
from watchparty.billing.service import StripeBilling
from watchparty.core.wire import PlanOut
from watchparty.errors import ApiError
from watchparty.http import site_origin
from watchparty.keys import BILLING, PLANS, SESSIONS

# Stripe's events are a few kB; this bounds what an unsigned sender can make us read.
MAX_EVENT_BYTES = 256 * 1024


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BillingStatus(_Out):
    """My plan, and my subscription's state at Stripe."""

    plan: PlanOut
    status: str | None
    current_period_end: str | None
    manageable: bool


class PageUrl(_Out):
    """Where to send the browser."""

    url: str


class Received(_Out):
    """Handled (``duplicate``: it had been before)."""

    received: bool
    duplicate: bool


def _billing(request: web.Request) -> StripeBilling:
    billing = request.config_dict.get(BILLING)
    if billing is None:
        raise ApiError.of("billing_disabled")
    return billing


@documented(
    Doc(
        "My plan and subscription",
        "billing",
        BillingStatus,
        errors=("billing_disabled",),
        auth="required",
    )
)
async def status(request: web.Request) -> web.Response:
    _billing(request)
    user = (await request.config_dict[SESSIONS].required(request)).user
    end = user.billing.period_end
    return web.json_response(
        {
            "plan": request.config_dict[PLANS].named(user.plan).to_wire(),
            "status": user.billing.status,
            "current_period_end": None
            if end is None
            else dt.datetime.fromtimestamp(end, dt.UTC).isoformat(),
            "manageable": user.billing.customer_id is not None,
        }
    )


@documented(
    Doc(
        "A Stripe Checkout page to subscribe to Plus",
        "billing",
        PageUrl,
        errors=("billing_disabled", "already_subscribed", "billing_unavailable"),
        auth="required",
    )
)
async def checkout(request: web.Request) -> web.Response:
    billing = _billing(request)
    user = (await request.config_dict[SESSIONS].required(request)).user
    return web.json_response({"url": await billing.checkout_url(user, site_origin(request))})


@documented(
    Doc(
        "Stripe's page to manage the subscription",
        "billing",
        PageUrl,
        errors=("billing_disabled", "no_billing_account", "billing_unavailable"),
        auth="required",
    )
)
async def portal(request: web.Request) -> web.Response:
    billing = _billing(request)
    user = (await request.config_dict[SESSIONS].required(request)).user
    return web.json_response({"url": await billing.portal_url(user, site_origin(request))})


@documented(
    Doc(
        "Stripe's events (signed with the webhook secret)",
        "billing",
        Received,
        raw_body=("application/json",),
        errors=(
            "billing_disabled",
            "payload_too_large",
            "invalid_signature",
            "billing_unavailable",
        ),
    )
)
async def webhook(request: web.Request) -> web.Response:
    """Stripe's events: 400 unless signed with the webhook secret; 200 once handled (or when
    handled before); 5xx makes Stripe deliver it again later."""
    billing = _billing(request)
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        raise ApiError.of("payload_too_large", detail="an event is at most 256 KiB")
    payload = await request.read()
    event = billing.verify(payload, request.headers.get("Stripe-Signature"))
    handled = await billing.handle(event)
    return web.json_response({"received": True, "duplicate": not handled})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/billing", status)
    app.router.add_post("/billing/checkout", checkout)
    app.router.add_post("/billing/portal", portal)
    app.router.add_post("/stripe-webhooks", webhook)
