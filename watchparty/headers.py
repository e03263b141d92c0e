"""Security headers: on every response, and a Content-Security-Policy on every HTML page.

The policy allows what the page needs and nothing else: its own scripts and styles (no inline
code, so an injected ``<script>`` never runs), YouTube's player script and frame, thumbnails
from YouTube's image host, and media from wherever a viewer points the room (a pasted URL or
an HLS stream, which hls.js fetches in a ``blob:`` worker and hands to the ``<video>`` as
``blob:``). No site may
frame the page (clickjacking). The referrer stays at the origin across sites: YouTube's
embedded player refuses to play without one.
"""

from __future__ import annotations

from aiohttp import web

from watchparty.keys import SETTINGS

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' https://www.youtube.com",
        "style-src 'self'",
        "img-src 'self' data: https://i.ytimg.com",
        "media-src * blob: data:",
        "connect-src * blob:",
        "worker-src 'self' blob:",  # hls.js runs its demuxer in a worker made from a blob
        "frame-src https://www.youtube.com https://www.youtube-nocookie.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
HTML_RESPONSE = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors, for browsers that predate it
}


# Production serves HTTPS only (behind its proxy): browsers are told to keep to it.
HSTS = "max-age=63072000"
# What the Server header says: no versions for a scanner to match against advisories.
SERVER = "watchparty"
# Answers that may hold an email address or a session: never kept by a cache.
PRIVATE_PATHS = ("/api/auth/", "/api/users/")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """An ``on_response_prepare`` signal: it also reaches static files and error pages."""
    response.headers["Server"] = SERVER
    for name, value in EVERY_RESPONSE.items():
        response.headers.setdefault(name, value)
    if request.config_dict[SETTINGS].production:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.path.startswith(PRIVATE_PATHS):
        response.headers.setdefault("Cache-Control", "no-store")
    if response.content_type == "text/html":
        for name, value in HTML_RESPONSE.items():
            response.headers.setdefault(name, value)
