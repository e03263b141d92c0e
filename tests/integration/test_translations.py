"""The pages in the reader's language, and errors that carry what a page needs to translate
them (their code and params), over the real server."""

from __future__ import annotations

import json
import re

import aiohttp

from tests.conftest import PeerFactory

MESSAGES = re.compile(r'<script type="application/json" id="messages">(.*?)</script>', re.S)


async def page(
    http: aiohttp.ClientSession, url: str, language: str = "", cookie: str = ""
) -> tuple[int, str]:
    headers = {"Accept-Language": language} if language else {}
    if cookie:
        headers["Cookie"] = f"watchparty_lang={cookie}"
    async with http.get(url, headers=headers) as response:
        return response.status, await response.text()


async def test_the_home_page_speaks_the_accepted_language(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    status, html = await page(http, f"{base_url}/", "de-DE,de;q=0.9,en;q=0.5")
    assert status == 200
    assert '<html lang="de">' in html
    assert "Gemeinsam schauen, synchron." in html
    assert 'placeholder="Filmclub am Freitag"' in html
    match = MESSAGES.search(html)
    assert match is not None
    assert json.loads(match.group(1))["messages"]["Copy link"] == "Link kopieren"
    _, html = await page(http, f"{base_url}/")
    assert '<html lang="en">' in html
    assert "Watch together, in sync." in html


async def test_the_pickers_cookie_wins_over_the_header(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    _, html = await page(http, f"{base_url}/r/{room_id}", "de", cookie="fr")
    assert '<html lang="fr">' in html
    assert "Copier le lien" in html
    assert '<option value="fr" lang="fr" selected>Français</option>' in html
    _, html = await page(http, f"{base_url}/r/{room_id}", "es", cookie="xx")  # not offered
    assert '<html lang="es">' in html


async def test_a_missing_room_says_so_in_spanish(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    status, html = await page(http, f"{base_url}/r/nosuchroom0", "es")
    assert status == 404
    assert "Sala no encontrada" in html
    assert "No hay ninguna sala nosuchroom0 en este servidor" in html


async def test_a_refusal_carries_the_params_of_its_message(join: PeerFactory) -> None:
    """Codes stay English and stable; a page fills its language's template from params."""
    ann = await join("ann")
    ack = await ann.call("QUEUE_REMOVE", {"id": "nope"})
    assert ack["error"] == {
        "code": "no_such_item",
        "message": "no queue item has id 'nope'",
        "params": {"item_id": "nope"},
    }
    ack = await ann.call("PLAY")  # a message from a validator's detail: no params
    assert ack["error"]["code"] == "no_video"
    assert "params" not in ack["error"]
