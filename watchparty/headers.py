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
YOUTUBE_FRAMES = (YOUTUBE, "https://www.youtube-nocookie.com")
YOUTUBE_IMAGES = "https://i.ytimg.com"  # search results' thumbnails
# Kinds whose media come from wherever a viewer points the room, and those of them that a
# script fetches (hls.js and dash.js hand the <video> a blob:; PeerTube's API names its stream).
FILES = frozenset({"video", "audio", "hls", "dash", "peertube"})
STREAMS = frozenset({"hls", "dash", "peertube"})


def embedded_players(settings: Settings) -> dict[str, str]:
    """Where the page loads each enabled service's player script from."""
    players = {
        "vimeo": settings.vimeo_player_url,
        "twitch": settings.twitch_player_url,
        "dailymotion": settings.dailymotion_player_url,
    }
    return {kind: url for kind, url in players.items() if kind in settings.sources}


def content_security_policy(settings: Settings) -> str:
    """The pages' policy for the enabled kinds of link (``WATCHPARTY_SOURCES``): each embedded
    player's script and frames come from its own origin (Vimeo's SDK and its frames are both
    on player.vimeo.com, and so on); a page with only YouTube lets in only YouTube."""
    sources = settings.sources
    youtube = "youtube" in sources
    embedded = list(dict.fromkeys(_origin(url) for url in embedded_players(settings).values()))
    scripts = ([YOUTUBE] if youtube else []) + embedded
    frames = (list(YOUTUBE_FRAMES) if youtube else []) + embedded
    images = [YOUTUBE_IMAGES] if youtube else []
    media = ["*", "blob:", "data:"] if sources & FILES else []
    fetched = ["*", "blob:"] if sources & STREAMS else []
    workers = ["blob:"] if sources & STREAMS else []  # hls.js's demuxer runs in a blob worker
    return "; ".join(
        (
            "default-src 'self'",
            _directive("script-src", "'self'", *scripts),
            "style-src 'self'",
            _directive("img-src", "'self'", "data:", *images),
            _directive("media-src", "'self'", *media),  # 'self': subtitles, files served here
            _directive("connect-src", "'self'", *fetched),
            _directive("worker-src", "'self'", *workers),
            _directive("frame-src", *(frames or ["'none'"])),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _directive(name: str, *sources: str) -> str:
    return " ".join((name, *sources))


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
