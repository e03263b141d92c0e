"""Who may enter, in real headless Chromium: a password room joined from its link, an invite
made in the owner's panel and opened by someone else, and the *Browse rooms* page."""

from __future__ import annotations

import aiohttp
from playwright.async_api import Browser, BrowserContext, Page

from tests.accounts import Account, register
from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import ARTIFACTS, eventually
from tests.integration.test_room_auth import create_room, patch_room


async def signed_in(browser: Browser, live: LiveServer, account: Account) -> BrowserContext:
    """A browser with the account's session cookies, as after signing in on the page."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    await context.add_cookies(
        [
            {"name": "watchparty_session", "value": account.token, "url": live.url},
            {"name": "watchparty_csrf", "value": account.csrf_token, "url": live.url},
        ]
    )
    return context


async def guest_page(browser: Browser, name: str) -> Page:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    await context.add_init_script(f"localStorage.setItem('watchparty:name', {name!r})")
    return await context.new_page()


async def test_a_password_room_is_joined_from_its_link(browser: Browser, live: LiveServer) -> None:
    async with aiohttp.ClientSession() as http:
        ann = await register(http, live.url, "ann")
        room = await create_room(http, live.url, ann, name="Movie night")
        status, _ = await patch_room(http, live.url, room, {"password": "popcorn"}, ann)
        assert status == 200
    page = await guest_page(browser, "Gus")
    await page.goto(f"{live.url}/r/{room}")
    await page.locator("#door-form").wait_for(state="visible", timeout=10_000)
    assert await page.locator("#status", has_text="cannot join").is_visible()
    await page.fill("#door-password", "butter")
    await page.click("#door-form button[type=submit]")
    await page.locator("#door-error", has_text="not the password").wait_for(timeout=5000)
    await page.fill("#door-password", "popcorn")
    await page.click("#door-form button[type=submit]")
    await page.locator("#status.ok").wait_for(timeout=10_000)
    assert await page.locator("#door-form").is_hidden()
    await page.locator("#members li", has_text="Gus").wait_for(timeout=5000)
    await page.screenshot(path=str(ARTIFACTS / "password-room.png"))


async def test_an_invite_made_in_the_panel_opens_a_private_room(
    browser: Browser, live: LiveServer
) -> None:
    async with aiohttp.ClientSession() as http:
        ann = await register(http, live.url, "ann")
        room = await create_room(http, live.url, ann, name="Family")
    owner = await (await signed_in(browser, live, ann)).new_page()
    await owner.goto(f"{live.url}/r/{room}")
    await owner.locator("#owner-panel").wait_for(state="visible", timeout=10_000)
    await owner.select_option("#visibility-select", "private")
    stranger = await guest_page(browser, "Stan")
    await stranger.goto(f"{live.url}/r/{room}")
    await stranger.locator("#error", has_text="private").wait_for(timeout=10_000)

    await owner.select_option("#invite-uses", "1")
    await owner.click("#invite-form button[type=submit]")
    link = owner.locator("#invite-list input").first
    await link.wait_for(timeout=5000)
    url = await link.input_value()
    assert f"/r/{room}?invite=" in url
    assert await owner.locator("#invite-list li", has_text="used by 0 of 1").is_visible()

    friend = await guest_page(browser, "Fran")
    await friend.goto(url)
    await friend.locator("#status.ok").wait_for(timeout=10_000)
    await owner.locator("#members li", has_text="Fran").wait_for(timeout=5000)
    await owner.screenshot(path=str(ARTIFACTS / "invites.png"))


async def test_the_browse_page_lists_public_rooms_by_viewers(
    browser: Browser, live: LiveServer
) -> None:
    async with aiohttp.ClientSession() as http:
        ann = await register(http, live.url, "ann")
        names = ("Cartoons", "Jazz", "Hidden")
        rooms = {name: await create_room(http, live.url, ann, name=name) for name in names}
        for name in ("Cartoons", "Jazz"):
            await patch_room(http, live.url, rooms[name], {"visibility": "public"}, ann)
        await patch_room(http, live.url, rooms["Jazz"], {"password": "sax"}, ann)
    viewer = await guest_page(browser, "Vi")
    await viewer.goto(f"{live.url}/r/{rooms['Cartoons']}")
    await viewer.locator("#status.ok").wait_for(timeout=10_000)

    page = await guest_page(browser, "Bea")
    await page.goto(f"{live.url}/")
    await page.click("#browse-link")
    await page.wait_for_url("**/rooms")

    async def listed() -> bool:
        await page.reload()
        items = page.locator("#public-rooms li")
        await items.first.wait_for(timeout=5000)
        texts = await items.all_inner_texts()
        return len(texts) == 2 and "Cartoons" in texts[0] and "watching: 1" in texts[0]

    await eventually(listed)
    texts = await page.locator("#public-rooms li").all_inner_texts()
    assert "Jazz" in texts[1]
    assert "🔒" in texts[1]
    assert not any("Hidden" in text for text in texts)
    await page.screenshot(path=str(ARTIFACTS / "browse.png"))
    await page.click("#public-rooms a >> text=Cartoons")
    await page.wait_for_url(f"**/r/{rooms['Cartoons']}")
    await page.locator("#status.ok").wait_for(timeout=10_000)
