"""Security headers on pages, static files, the API and errors."""

from __future__ import annotations

import aiohttp

from watchparty.headers import CONTENT_SECURITY_POLICY


async def test_pages_carry_the_content_security_policy(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    for path in ("/", f"/r/{room_id}", "/r/nowhere-at-all"):  # the missing room's page too
        async with http.get(f"{base_url}{path}") as response:
            assert response.content_type == "text/html"
            headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self' https://www.youtube.com;" in CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_other_responses_are_not_sniffed(http: aiohttp.ClientSession, base_url: str) -> None:
    for path, status in (("/static/room.js", 200), ("/api/rooms/nope", 404), ("/healthz", 200)):
        async with http.get(f"{base_url}{path}") as response:
            assert response.status == status
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "Content-Security-Policy" not in response.headers
