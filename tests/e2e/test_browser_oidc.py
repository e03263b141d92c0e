"""Signing in with an OpenID Connect provider in real headless Chromium: the home page's button,
the provider stand-in (tests/fake_oidc.py) and back, then linking an existing account with its
password."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser

from tests.accounts import PASSWORD, register
from tests.e2e.conftest import MEDIA, LiveServer
from tests.e2e.test_browser import ARTIFACTS
from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOidc
from watchparty.settings import Settings


@pytest.fixture
async def provider() -> AsyncIterator[FakeOidc]:
    fake = FakeOidc()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def site(settings: Settings, provider: FakeOidc) -> AsyncIterator[LiveServer]:
    configured = settings.model_copy(
        update={
            "media_dir": MEDIA,
            "oidc_issuer": provider.base_url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_name": "Example ID",
        }
    )
    server = LiveServer(configured)
    await server.start()
    yield server
    await server.stop()


async def test_sign_in_with_the_provider_and_link_an_account(
    browser: Browser, site: LiveServer, provider: FakeOidc
) -> None:
    page = await (await browser.new_context()).new_page()
    await page.goto(site.url)
    await page.click("#oidc-sign-in >> text=Sign in with Example ID")
    await page.locator("#signed-in-as", has_text="robin").wait_for(timeout=10_000)

    # Someone with an account here signs in with the provider for the first time.
    async with aiohttp.ClientSession() as http:
        await register(http, site.url, "ann")
    provider.person.subject, provider.person.email = "provider-user-2", "ann@example.org"
    other = await (await browser.new_context()).new_page()
    await other.goto(site.url)
    await other.click("#oidc-sign-in")
    await other.locator("#oidc-link-form").wait_for(state="visible", timeout=10_000)
    assert "ann@example.org" in await other.locator("#oidc-link-text").inner_text()
    await other.fill("#oidc-link-password", "wrong password!")
    await other.click("#oidc-link-form button[type=submit]")
    await other.locator("#account-error", has_text="wrong").wait_for(timeout=5000)
    await other.screenshot(path=str(ARTIFACTS / "oidc-link.png"))
    await other.fill("#oidc-link-password", PASSWORD)
    await other.click("#oidc-link-form button[type=submit]")
    await other.locator("#signed-in-as", has_text="ann").wait_for(timeout=10_000)

    provider.tamper.add("nonce")
    third = await (await browser.new_context()).new_page()
    await third.goto(site.url)
    await third.click("#oidc-sign-in")
    await third.locator("#account-error", has_text="not valid").wait_for(timeout=10_000)
