"""The pages on a phone and on a laptop, in two languages, for everyone: no sideways
scrolling at 360 pixels, touch targets of 44, axe-core finding nothing serious or critical,
the keyboard alone enough to play and chat, and the language picker. Screenshots of each
page at both sizes in English and French land in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from tests.accounts import register
from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import ARTIFACTS, eventually
from tests.integration.test_room_auth import create_room, patch_room

AXE = Path(__file__).parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = ViewportSize(width=360, height=740)
LAPTOP = ViewportSize(width=1280, height=800)
SIZES = {"phone": PHONE, "laptop": LAPTOP}

# Every interactive element a finger must hit on a phone (WCAG 2.5.5's 44 CSS pixels).
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, select, input:not([type=checkbox]):not([type=file]), summary, .tabs a')]
  .filter((el) => el.offsetParent !== null && !el.closest('[hidden]'))
  .map((el) => ({el, box: el.getBoundingClientRect()}))
  .filter(({box}) => box.width > 0 && (box.height < 44 || box.width < 44))
  .map(({el, box}) => `${el.id || el.textContent.trim() || el.outerHTML.slice(0, 60)}`
    + ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""


async def axe_problems(page: Page) -> list[str]:
    """axe-core's violations of impact serious or critical (WCAG 2.x A and AA rules)."""
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        })).violations"""
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


async def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen."""
    width: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


async def _empty(page: Page, selector: str) -> bool:
    return await page.input_value(selector) == ""


async def check(page: Page, name: str, size: str, language: str) -> None:
    assert await overflow(page) <= 0, f"{name} scrolls sideways at {size}"
    assert await axe_problems(page) == [], f"{name} at {size} in {language}"
    if size == "phone":
        assert await page.evaluate(SMALL_TARGETS) == [], f"{name}: small touch targets"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{size}-{language}.png"), full_page=True)


async def context(browser: Browser, size: str, language: str) -> BrowserContext:
    made = await browser.new_context(viewport=SIZES[size], locale=language)
    await made.add_init_script("localStorage.setItem('watchparty:name', 'Ann')")
    # As an init script, axe-core is there on every page without loosening its CSP.
    await made.add_init_script(path=str(AXE))
    return made


async def enter_new_room(page: Page, live: LiveServer) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{live.url}/api/rooms") as r:
        room = await r.json()
    await page.goto(f"{live.url}{room['path']}")
    await page.locator("#status.ok").wait_for(timeout=10_000)


async def tab_to(page: Page, element_id: str) -> None:
    """Press Tab until the element has the focus (a keyboard user's way there)."""
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == element_id:
            return
    pytest.fail(f"#{element_id} cannot be reached with Tab")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", ["phone", "laptop"])
async def test_home_and_room_pages_fit_and_pass_axe(
    browser: Browser, live: LiveServer, size: str, language: str
) -> None:
    ctx = await context(browser, size, language)
    try:
        page = await ctx.new_page()
        await page.goto(live.url)  # signed out: the sign-in and register forms
        assert await page.get_attribute("html", "lang") == language
        await check(page, "home", size, language)

        # The public list, empty, then with a room, and the password it asks for at its door.
        await page.goto(f"{live.url}/rooms")
        await page.locator("#browse-empty").wait_for(state="visible", timeout=5000)
        await check(page, "browse-empty", size, language)
        async with aiohttp.ClientSession() as http:
            owner = await register(http, live.url, "olga")
            room = await create_room(http, live.url, owner, name="Ciné-club")
            await patch_room(http, live.url, room, {"visibility": "public", "password": "p"}, owner)

        async def listed() -> bool:  # saved a moment after the change (the write-behind)
            await page.goto(f"{live.url}/rooms")
            await page.locator("#browse-empty, #public-rooms li").first.wait_for(timeout=5000)
            return await page.locator("#public-rooms li").count() == 1

        await eventually(listed)
        await check(page, "browse", size, language)
        await page.click("#public-rooms a")
        await page.locator("#door-form").wait_for(state="visible", timeout=10_000)
        await check(page, "room-door", size, language)

        await enter_new_room(page, live)
        await check(page, "room-empty", size, language)

        # Playing, with something queued and a chat message.
        for video in ("/media/clip.webm", "/media/hls/stream.m3u8"):
            await page.fill("#add-input", video)
            await page.press("#add-input", "Enter")
            await eventually(lambda: _empty(page, "#add-input"))  # the room took it
        await page.locator("#queue li").first.wait_for(timeout=5000)
        await page.fill("#chat-input", "Bonjour / hello")
        await page.press("#chat-input", "Enter")
        await page.locator("#chat li").first.wait_for(timeout=5000)
        await page.click("#toggle")
        await page.locator("#toggle[aria-label]").wait_for(timeout=5000)
        await check(page, "room-playing", size, language)
    finally:
        await ctx.close()


async def test_signed_in_home_page_passes_axe(browser: Browser, live: LiveServer) -> None:
    ctx = await context(browser, "phone", "en")
    try:
        page = await ctx.new_page()
        await page.goto(live.url)
        await page.fill("#register-username", "axel")
        await page.fill("#register-email", "axel@example.org")
        await page.fill("#register-password", "a long enough password")
        await page.click("#register-form button[type=submit]")
        await page.locator("#signed-in-as").wait_for(timeout=5000)
        await check(page, "home-signed-in", "phone", "en")
    finally:
        await ctx.close()


async def test_keyboard_alone_plays_and_chats_with_visible_focus(
    browser: Browser, live: LiveServer
) -> None:
    ctx = await context(browser, "laptop", "en")
    try:
        page = await ctx.new_page()
        await enter_new_room(page, live)
        await page.locator("#add-input").focus()
        await page.keyboard.type("/media/clip.webm")
        await page.keyboard.press("Enter")
        await page.locator("#player video").wait_for(state="attached", timeout=5000)
        # Tab from the top of the page until the play button has the focus.
        await page.locator("body").focus()
        await tab_to(page, "toggle")
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # the focus shows
        await page.keyboard.press("Enter")
        await eventually(lambda: page.evaluate("!document.querySelector('#player video').paused"))
        await tab_to(page, "chat-input")  # on to the chat
        await page.keyboard.type("typed, not clicked")
        await page.keyboard.press("Enter")
        await page.locator("#chat li", has_text="typed, not clicked").wait_for(timeout=5000)
        assert await page.get_attribute("#chat", "aria-live") == "polite"
    finally:
        await ctx.close()


async def test_the_language_picker_switches_and_is_remembered(
    browser: Browser, live: LiveServer
) -> None:
    ctx = await context(browser, "laptop", "en-US")
    try:
        page = await ctx.new_page()
        await enter_new_room(page, live)
        assert await page.text_content("#copy-link") == "Copy link"
        await page.select_option("#language", "fr")
        await page.locator("html[lang=fr]").wait_for(timeout=5000)
        await page.locator("#status.ok").wait_for(timeout=10_000)
        assert await page.text_content("#copy-link") == "Copier le lien"
        assert await page.text_content("#status") == "connecté"  # the scripts' texts too
        # An error from the server reads in French from its code and params.
        said = await page.evaluate(
            """import('/static/js/i18n.js').then((m) => m.describe(
                {code: 'queue_full', message: 'a queue holds at most 50 items',
                 params: {limit: 50}}))"""
        )
        assert said == "une file d\u2019attente contient au plus 50 éléments"
        await page.goto(live.url)  # remembered by the browser, whatever it accepts
        assert await page.get_attribute("html", "lang") == "fr"
        assert await page.text_content("h1") == "Regardez ensemble, en synchro."
    finally:
        await ctx.close()
