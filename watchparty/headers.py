"""Security headers: on every response, and a Content-Security-Policy on every HTML page.

The policy allows what the page needs and nothing else: its own scripts and styles (no inline
code, so an injected ``<script>`` never runs), the embedded players' scripts and frames
(YouTube's, and Vimeo's, Twitch's and Dailymotion's from where the settings say they are),
thumbnails from YouTube's image host, and media from wherever a viewer points the room (a
pasted URL, or an HLS or DASH stream, which hls.js and dash.js fetch and hand to the
``<video>`` as ``blob:``; a PeerTube instance's API, which says where its stream is). No site
may frame the page (clickjacking). The referrer stays at the origin across sites: YouTube's
embedded player refuses to play without one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from watchparty.keys import CSP, SETTINGS
from watchparty.settings import Settings

YOUTUBE = "https://www.youtube.com"


def content_security_policy(settings: Settings) -> str:
    """The pages' policy: each embedded player's script and frames come from its own origin
    (Vimeo's SDK and its frames are both on player.vimeo.com, and so on)."""
    players = [
        _origin(url)
        for url in (
            settings.vimeo_player_url,
            settings.twitch_player_url,
            settings.dailymotion_player_url,
        )
    ]
    embedded = " ".join(dict.fromkeys(players))
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {YOUTUBE} {embedded}",
            "style-src 'self'",
            "img-src 'self' data: https://i.ytimg.com",
            "media-src * blob: data:",
            "connect-src * blob:",
            "worker-src 'self' blob:",  # hls.js runs its demuxer in a worker made from a blob
            f"frame-src {YOUTUBE} https://www.youtube-nocookie.com {embedded}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
HTML_RESPONSE = {
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
        response.headers.setdefault("Content-Security-Policy", request.config_dict[CSP])
        for name, value in HTML_RESPONSE.items():
            response.headers.setdefault(name, value)
