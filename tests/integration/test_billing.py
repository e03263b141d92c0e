"""Billing: the real ``stripe`` library against a local server that speaks Stripe's API, and
webhooks signed exactly as Stripe signs them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pymongo import AsyncMongoClient

from tests.accounts import Account, register
from tests.conftest import PeerFactory, ServerFactory
from tests.fake_stripe import PRICE, SECRET_KEY, WEBHOOK_SECRET, FakeStripe, sign
from tests.integration.test_room_auth import create_room
from tests.peers import Peer
from watchparty.core.plans import FREE, PLUS
from watchparty.settings import Settings, SettingsError

WEB = "https://watch.example"


@pytest.fixture
async def stripe_fake(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> tuple[FakeStripe, str]:
    fake = FakeStripe()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def billing_url(start_server: ServerFactory, stripe_fake: tuple[FakeStripe, str]) -> str:
    server = await start_server(
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_price_id=PRICE,
        stripe_api_base=stripe_fake[1],
        public_base_url=WEB,
    )
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def db(mongo_uri: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    yield client.get_default_database()
    await client.close()


async def call(
    http: aiohttp.ClientSession, method: str, url: str, who: Account | None = None
) -> tuple[int, Any]:
    headers = who.bearer if who else None
    async with http.request(method, url, json={}, headers=headers) as response:
        return response.status, await response.json()


async def deliver(
    http: aiohttp.ClientSession, base: str, payload: str, signature: str | None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    async with http.post(f"{base}/api/stripe-webhooks", data=payload, headers=headers) as response:
        return response.status, await response.json()


async def plan_of(http: aiohttp.ClientSession, base: str, who: Account) -> dict[str, Any]:
    status, body = await call(http, "GET", f"{base}/api/billing", who)
    assert status == 200
    return dict(body)


async def subscribed(
    http: aiohttp.ClientSession, base: str, fake: FakeStripe, who: Account, status: str = "active"
) -> dict[str, Any]:
    """Checkout, then Stripe's checkout.session.completed for a new subscription."""
    assert (await call(http, "POST", f"{base}/api/billing/checkout", who))[0] == 200
    session = fake.sessions[-1]
    subscription = fake.subscribe(session["customer"], status)
    completed = {**session, "status": "complete", "subscription": subscription["id"]}
    payload = fake.event("checkout.session.completed", completed)
    assert (await deliver(http, base, payload, sign(payload)))[0] == 200
    return subscription


async def test_without_stripe_settings_billing_is_disabled(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ann = await register(http, base_url, "ann")
    for method, path in (
        ("GET", "/api/billing"),
        ("POST", "/api/billing/checkout"),
        ("POST", "/api/billing/portal"),
        ("POST", "/api/stripe-webhooks"),
    ):
        status, body = await call(http, method, f"{base_url}{path}", ann)
        assert (status, body["error"]["code"]) == (503, "billing_disabled"), path


def test_stripe_settings_come_all_together() -> None:
    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_ID must be set"):
        Settings.from_env({"STRIPE_SECRET_KEY": "sk_test_x"})
    settings = Settings.from_env(
        {
            "STRIPE_SECRET_KEY": "sk_live_s",
            "STRIPE_WEBHOOK_SECRET": "whsec_s",
            "STRIPE_PRICE_ID": "p",
        }
    )
    assert settings.billing_enabled
    assert "sk_live_s" not in repr(settings)
    assert "whsec_s" not in repr(settings)


async def test_checkout_creates_one_customer_and_a_subscription_session(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str]
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    status, body = await call(http, "POST", f"{billing_url}/api/billing/checkout", ann)
    assert status == 200
    session = fake.sessions[0]
    assert body["url"] == session["url"]
    assert session["mode"] == "subscription"
    assert session["line_items"] == {"0": {"price": PRICE, "quantity": "1"}}
    assert session["client_reference_id"] == ann.id
    assert session["success_url"] == f"{WEB}/?billing=success"
    assert session["cancel_url"] == f"{WEB}/?billing=cancelled"
    [customer] = fake.customers.values()
    assert customer["email"] == "ann@example.org"
    assert customer["metadata"] == {"user_id": ann.id}
    assert session["customer"] == customer["id"]
    # The customer is kept on the user and reused.
    assert (await call(http, "POST", f"{billing_url}/api/billing/checkout", ann))[0] == 200
    assert len(fake.customers) == 1
    assert fake.sessions[1]["customer"] == customer["id"]
    status, body = await call(http, "POST", f"{billing_url}/api/billing/portal", ann)
    assert status == 200
    assert body["url"] == fake.portals[0]["url"]
    assert fake.portals[0]["customer"] == customer["id"]
    assert fake.portals[0]["return_url"] == f"{WEB}/"
    billing = await plan_of(http, billing_url, ann)
    assert (billing["plan"]["name"], billing["status"], billing["manageable"]) == (
        "free",
        None,
        True,
    )


async def test_billing_needs_a_user_and_a_customer(
    http: aiohttp.ClientSession, billing_url: str
) -> None:
    status, body = await call(http, "POST", f"{billing_url}/api/billing/checkout")
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    bob = await register(http, billing_url, "bob")
    status, body = await call(http, "POST", f"{billing_url}/api/billing/portal", bob)
    assert (status, body["error"]["code"]) == (409, "no_billing_account")


async def test_stripe_being_down_is_a_clear_502(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str]
) -> None:
    fake, _ = stripe_fake
    fake.failing = True
    ann = await register(http, billing_url, "ann")
    status, body = await call(http, "POST", f"{billing_url}/api/billing/checkout", ann)
    assert (status, body["error"]["code"]) == (502, "billing_unavailable")
    assert SECRET_KEY not in json.dumps(body)


async def test_a_paid_subscription_upgrades_the_user_and_their_live_rooms(
    http: aiohttp.ClientSession,
    billing_url: str,
    stripe_fake: tuple[FakeStripe, str],
    join: PeerFactory,
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    room = await create_room(http, billing_url, ann)
    watcher = await join("watcher", room=room, url=billing_url)
    assert (await watcher.next("ROOM_STATE"))["info"]["plan"] == FREE.to_wire()
    subscription = await subscribed(http, billing_url, fake, ann)
    billing = await plan_of(http, billing_url, ann)
    assert billing["plan"] == PLUS.to_wire()
    assert billing["status"] == "active"
    period_end = subscription["items"]["data"][0]["current_period_end"]
    assert (
        billing["current_period_end"] == dt.datetime.fromtimestamp(period_end, dt.UTC).isoformat()
    )
    assert (await watcher.next("ROOM_INFO"))["plan"] == PLUS.to_wire()
    async with http.get(f"{billing_url}/api/users/me", headers=ann.bearer) as response:
        assert (await response.json())["plan"] == "plus"
    # A second checkout is refused: the portal manages an existing subscription.
    status, body = await call(http, "POST", f"{billing_url}/api/billing/checkout", ann)
    assert (status, body["error"]["code"]) == (409, "already_subscribed")


async def test_bad_signatures_are_400_and_change_nothing(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str]
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    assert (await call(http, "POST", f"{billing_url}/api/billing/checkout", ann))[0] == 200
    session = fake.sessions[-1]
    subscription = fake.subscribe(session["customer"])
    payload = fake.event(
        "checkout.session.completed", {**session, "subscription": subscription["id"]}
    )
    old = int(time.time()) - 600  # beyond the library's 5-minute tolerance
    for signature in (
        None,
        "",
        sign(payload, secret="whsec_not_the_right_one"),
        sign(payload, timestamp=old),
        sign(payload.replace("complete", "complete "), timestamp=None)[:-1] + "0",
        "t=123,v1=deadbeef",
    ):
        status, body = await deliver(http, billing_url, payload, signature)
        assert (status, body["error"]["code"]) == (400, "invalid_signature")
    tampered = payload.replace(ann.id, "someone-else")
    assert (await deliver(http, billing_url, tampered, sign(payload)))[0] == 400
    assert (await plan_of(http, billing_url, ann))["plan"]["name"] == "free"
    # The same event, signed right, is taken.
    assert (await deliver(http, billing_url, payload, sign(payload)))[0] == 200
    assert (await plan_of(http, billing_url, ann))["plan"]["name"] == "plus"


async def test_a_redelivered_event_changes_nothing(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str], db: Any
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    subscription = await subscribed(http, billing_url, fake, ann)
    payload = fake.event("customer.subscription.updated", subscription)
    status, body = await deliver(http, billing_url, payload, sign(payload))
    assert (status, body) == (200, {"received": True, "duplicate": False})
    # Stripe's side moves on; a replay of the old event must not be handled again (had it
    # been, it would read the subscription back and see it canceled).
    fake.subscriptions[subscription["id"]]["status"] = "canceled"
    reads = len(fake.requests)
    status, body = await deliver(http, billing_url, payload, sign(payload))
    assert (status, body) == (200, {"received": True, "duplicate": True})
    assert len(fake.requests) == reads
    assert (await plan_of(http, billing_url, ann))["plan"]["name"] == "plus"
    event_id = json.loads(payload)["id"]
    assert await db["billing_events"].count_documents({"_id": event_id}) == 1


async def test_out_of_order_delivery_ends_in_stripes_current_state(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str]
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    subscription = await subscribed(http, billing_url, fake, ann)
    now = int(time.time())
    # The subscription is canceled; Stripe sends "updated: active" (older) and "deleted"
    # (newer), and they arrive the wrong way round.
    older = fake.event("customer.subscription.updated", {**subscription}, created=now - 5)
    fake.subscriptions[subscription["id"]]["status"] = "canceled"
    newer = fake.event(
        "customer.subscription.deleted", fake.subscriptions[subscription["id"]], created=now
    )
    assert (await deliver(http, billing_url, newer, sign(newer)))[0] == 200
    assert (await deliver(http, billing_url, older, sign(older)))[0] == 200
    billing = await plan_of(http, billing_url, ann)
    assert (billing["plan"]["name"], billing["status"]) == ("free", "canceled")


async def test_invoice_events_follow_the_subscription(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str]
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    subscription = await subscribed(http, billing_url, fake, ann)
    fake.subscriptions[subscription["id"]]["status"] = "past_due"
    # Current API versions put the subscription under parent.subscription_details.
    invoice = {
        "id": "in_test1",
        "object": "invoice",
        "customer": subscription["customer"],
        "parent": {"subscription_details": {"subscription": subscription["id"]}},
    }
    failed = fake.event("invoice.payment_failed", invoice)
    assert (await deliver(http, billing_url, failed, sign(failed)))[0] == 200
    billing = await plan_of(http, billing_url, ann)
    assert (billing["plan"]["name"], billing["status"]) == ("plus", "past_due")  # grace period
    fake.subscriptions[subscription["id"]]["status"] = "unpaid"
    older_shape = {**invoice, "id": "in_test2", "subscription": subscription["id"]}
    older_shape.pop("parent")
    again = fake.event("invoice.payment_failed", older_shape)
    assert (await deliver(http, billing_url, again, sign(again)))[0] == 200
    billing = await plan_of(http, billing_url, ann)
    assert (billing["plan"]["name"], billing["status"]) == ("free", "unpaid")
    fake.subscriptions[subscription["id"]]["status"] = "active"
    paid = fake.event("invoice.payment_succeeded", {**invoice, "id": "in_test3"})
    assert (await deliver(http, billing_url, paid, sign(paid)))[0] == 200
    assert (await plan_of(http, billing_url, ann))["plan"]["name"] == "plus"


async def test_unknown_events_and_strangers_are_acknowledged_and_ignored(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str]
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    unknown = fake.event("customer.created", {"id": "cus_x", "object": "customer"})
    assert await deliver(http, billing_url, unknown, sign(unknown)) == (
        200,
        {"received": True, "duplicate": False},
    )
    stranger = fake.subscribe("cus_nobody_knows")
    event = fake.event("customer.subscription.created", stranger)
    assert (await deliver(http, billing_url, event, sign(event)))[0] == 200
    assert (await plan_of(http, billing_url, ann))["plan"]["name"] == "free"
    # A subscription to some other price is not the Plus plan.
    await call(http, "POST", f"{billing_url}/api/billing/checkout", ann)
    other = fake.subscribe(fake.sessions[-1]["customer"], price="price_something_else")
    event = fake.event("customer.subscription.created", other)
    assert (await deliver(http, billing_url, event, sign(event)))[0] == 200
    assert (await plan_of(http, billing_url, ann))["plan"]["name"] == "free"


async def test_a_failed_read_back_is_retried_by_stripe(
    http: aiohttp.ClientSession, billing_url: str, stripe_fake: tuple[FakeStripe, str]
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    await call(http, "POST", f"{billing_url}/api/billing/checkout", ann)
    subscription = fake.subscribe(fake.sessions[-1]["customer"])
    payload = fake.event("customer.subscription.created", subscription)
    fake.failing = True
    status, body = await deliver(http, billing_url, payload, sign(payload))
    assert (status, body["error"]["code"]) == (502, "billing_unavailable")
    fake.failing = False  # Stripe delivers it again later: it was not recorded as handled
    assert await deliver(http, billing_url, payload, sign(payload)) == (
        200,
        {"received": True, "duplicate": False},
    )
    assert (await plan_of(http, billing_url, ann))["plan"]["name"] == "plus"


async def test_a_downgrade_keeps_live_rooms_working_and_gates_what_comes_next(
    http: aiohttp.ClientSession,
    billing_url: str,
    stripe_fake: tuple[FakeStripe, str],
    join: PeerFactory,
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    subscription = await subscribed(http, billing_url, fake, ann)
    room = await create_room(http, billing_url, ann)
    owner = await join("ann", auth={"room": room, "token": ann.token}, url=billing_url)
    await owner.call("CHANGE_VIDEO", {"video_id": "playing----"})
    long_queue = [{"video_id": f"v{i:010d}"} for i in range(FREE.max_queue + 10)]
    assert (await owner.call("UPDATE_QUEUE", {"queue": long_queue}))["ok"]  # Plus: fine

    fake.subscriptions[subscription["id"]]["status"] = "canceled"
    event = fake.event("customer.subscription.deleted", fake.subscriptions[subscription["id"]])
    assert (await deliver(http, billing_url, event, sign(event)))[0] == 200
    assert (await owner.next("ROOM_INFO"))["plan"] == FREE.to_wire()
    # Nothing is taken away: the queue is still whole, and the owner is still connected.
    state = (await owner.call("PAUSE"))["state"]
    assert len(state["queue"]) == FREE.max_queue + 10
    # Shrinking is allowed; growing past the free limit is not.
    shorter = [{"id": item["id"], "video_id": item["video_id"]} for item in state["queue"][:-1]]
    assert (await owner.call("UPDATE_QUEUE", {"queue": shorter}))["ok"]
    ack = await owner.call("UPDATE_QUEUE", {"queue": [*shorter, {"video_id": "x0000000000"}]})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "upgrade_required"
    assert "50 items" in ack["error"]["message"]


async def test_a_free_room_holds_so_many_viewers(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    peers = [Peer(f"p{i}") for i in range(FREE.max_members + 1)]
    try:
        await asyncio.gather(
            *(p.connect(base_url, {"room": room_id, "name": p.name}) for p in peers[:-1])
        )
        with pytest.raises(Exception, match="failed to connect"):
            await peers[-1].connect(base_url, {"room": room_id, "name": "late"})
        assert peers[-1].refusal is not None
        assert peers[-1].refusal["data"]["code"] == "upgrade_required"
        assert f"{FREE.max_members} viewers" in peers[-1].refusal["message"]
    finally:
        await asyncio.gather(*(p.close() for p in peers))


async def test_free_rooms_expire_and_paid_ones_are_kept(
    http: aiohttp.ClientSession,
    billing_url: str,
    stripe_fake: tuple[FakeStripe, str],
    db: Any,
) -> None:
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    free_room = await create_room(http, billing_url, ann)
    doc = await db["rooms"].find_one({"_id": free_room})
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    assert abs((doc["expires_at"] - expected).total_seconds()) < 60
    ttl = [i for i in (await db["rooms"].index_information()).values() if "expireAfterSeconds" in i]
    assert [i["key"] for i in ttl] == [[("expires_at", 1)]]

    await subscribed(http, billing_url, fake, ann)
    # Upgrading keeps every room of the owner, stored or live.
    assert (await db["rooms"].find_one({"_id": free_room}))["expires_at"] is None
    paid_room = await create_room(http, billing_url, ann)
    assert (await db["rooms"].find_one({"_id": paid_room}))["expires_at"] is None


async def test_no_stripe_secret_or_customer_detail_reaches_the_logs(
    http: aiohttp.ClientSession,
    billing_url: str,
    stripe_fake: tuple[FakeStripe, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    fake, _ = stripe_fake
    ann = await register(http, billing_url, "ann")
    await subscribed(http, billing_url, fake, ann)
    fake.failing = True
    await call(http, "POST", f"{billing_url}/api/billing/portal", ann)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Stripe request failed" in text  # the failure was logged...
    for secret in (SECRET_KEY, WEBHOOK_SECRET, "ann@example.org"):
        assert secret not in text  # ...without a secret or the customer's email
