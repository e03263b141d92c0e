"""Security headers on pages, static files, the API and errors."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from tests.accounts import register
from tests.conftest import ServerFactory
from watchparty.logs import RequestLog


async def test_pages_carry_the_content_security_policy(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    for path in ("/", f"/r/{room_id}", "/r/nowhere-at-all"):  # the missing room's page too
        async with http.get(f"{base_url}{path}") as response:
            assert response.content_type == "text/html"
            headers = response.headers
        policy = dict(
            directive.split(" ", 1) for directive in headers["Content-Security-Policy"].split("; ")
        )
        assert policy["script-src"] == (
            "'self' https://www.youtube.com https://player.vimeo.com https://player.twitch.tv"
            " https://geo.dailymotion.com"
        )
        assert policy["frame-src"] == (
            "https://www.youtube.com https://www.youtube-nocookie.com https://player.vimeo.com"
            " https://player.twitch.tv https://geo.dailymotion.com"
        )
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_other_responses_are_not_sniffed(http: aiohttp.ClientSession, base_url: str) -> None:
    for path, status in (
        ("/static/js/room/main.js", 200),
        ("/api/rooms/nope", 404),
        ("/healthz", 200),
    ):
        async with http.get(f"{base_url}{path}") as response:
            assert response.status == status
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "Content-Security-Policy" not in response.headers


async def test_production_sends_hsts_and_no_versions(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server(environment="PRODUCTION", metrics_token="m" * 16)
    base_url = str(server.make_url("")).rstrip("/")
    for path in ("/", "/healthz", "/api/rooms/nope", "/static/js/room/main.js"):
        async with http.get(f"{base_url}{path}") as response:
            assert response.headers["Strict-Transport-Security"] == "max-age=63072000"
            assert response.headers["Server"] == "watchparty"  # no aiohttp or Python version


async def test_answers_that_hold_an_email_are_not_cached(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    account = await register(http, base_url, "ann")
    async with http.get(f"{base_url}/api/users/me", headers=account.bearer) as response:
        assert "@" in (await response.json())["email"]
        assert response.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in response.headers  # development: plain http


def test_log_lines_escape_what_a_client_put_in_a_path(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.access")
    request = make_mocked_request("GET", "/r/x%0a2026-12-04%20INFO%20forged")
    assert "\n" in request.path  # what aiohttp decodes it to
    with caplog.at_level(logging.INFO, logger="test.access"):
        RequestLog(logger, "").log(request, web.Response(status=404), 0.001)
    (line,) = [r.getMessage() for r in caplog.records]
    assert "\n" not in line
    assert "/r/x\\n2026-12-04 INFO forged" in line


async def test_the_api_answers_json_even_for_what_it_does_not_know(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    """/api is its own sub-application with its own error middleware: an unknown path or
    method there is the catalogue's JSON error, while a page path is aiohttp's own."""
    async with http.get(f"{base_url}/api/no-such-thing") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"
    async with http.put(f"{base_url}/api/rooms") as response:
        assert response.status == 405
        assert (await response.json())["error"]["code"] == "method_not_allowed"
    async with http.get(f"{base_url}/no-such-page") as response:
        assert response.status == 404
        assert response.content_type != "application/json"
