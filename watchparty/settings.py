"""Settings, read once from the environment into one frozen object (pydantic-settings).

Each setting is declared once below: its environment variable, type, default and bounds. A
misspelt or malformed value fails at start with a message naming the variable (never its
value) instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import limits
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from watchparty.addresses import Network, parse_networks
from watchparty.core.media import KINDS, Kind
from watchparty.core.plans import FREE
from watchparty.core.sources import parse_sources
from watchparty.setting_errors import describe

# HS256 wants a key at least as long as its hash (RFC 7518 3.2).
MIN_JWT_SECRET_BYTES = 32
PRODUCTION_ONLY = "is required when WATCHPARTY_ENV is production"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable, never its value."""


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("setting", message)


def _rate(value: str) -> str:
    try:
        limits.parse(value)
    except ValueError:
        raise _fail("must look like '30/minute' or '5/second'") from None
    return value


def _prefixed(*prefixes: str) -> Any:
    def check(value: str | None) -> str | None:
        if value is not None and not value.startswith(prefixes):
            raise _fail(f"must start with {' or '.join(prefixes)}")
        return value

    return AfterValidator(check)


def _folder(value: Path | None) -> Path | None:
    if value is not None and not value.is_dir():
        raise _fail("must name an existing folder")
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _comma_list(text: str) -> list[str]:
    """The non-empty entries of a comma-separated setting, trimmed."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _origins(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    origins = tuple(part.rstrip("/") for part in _comma_list(value))
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise _fail("entries must be '*' or start with http:// or https://")
    return origins


def _networks(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return parse_networks(value)
    except ValueError:
        raise _fail("must be IP addresses or networks, comma-separated (10.0.0.0/8)") from None


def _boolean(value: Any) -> Any:
    if isinstance(value, str):
        if value.lower() not in ("1", "0", "true", "false", "on", "off", "yes", "no"):
            raise _fail("must be on or off")
        return value.lower() in ("1", "true", "on", "yes")
    return value


def _hosts(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return frozenset(part.lower() for part in _comma_list(value))


def _sources(value: Any) -> Any:
    try:
        return parse_sources(value) if isinstance(value, str) else value
    except ValueError as error:
        raise _fail(f"must list kinds of link, or be all: {error}") from None


def _jwt_secret(value: str | None) -> str | None:
    if value is not None and len(value.encode()) < MIN_JWT_SECRET_BYTES:
        raise _fail(f"must be at least {MIN_JWT_SECRET_BYTES} bytes long")
    return value


def _off_is_none(value: Any) -> Any:
    return None if value == "off" else value


Rate = Annotated[str, AfterValidator(_rate)]
HttpUrl = Annotated[str, _prefixed("http://", "https://"), AfterValidator(lambda v: v.rstrip("/"))]
Choice = BeforeValidator(_upper)


def env(name: str, default: Any = None, **bounds: Any) -> Any:
    """A setting read from the environment variable ``name``."""
    return Field(default, validation_alias=name, **bounds)


def secret(name: str) -> Any:
    """A setting that never appears in ``repr`` or an error."""
    return Field(None, validation_alias=name, repr=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", validate_by_name=True, validate_default=False
    )

    host: str = env("HOST", "0.0.0.0")
    port: int = env("PORT", 8080, ge=0, le=65535)
    data_dir: Path = env("WATCHPARTY_DATA_DIR", Path("watchparty-data"))
    cors_origins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_origins)] = env(
        "CORS_ORIGINS", ()
    )
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], Choice] = env(
        "LOG_LEVEL", "INFO"
    )
    log_format: Annotated[Literal["TEXT", "JSON"], Choice] = env("LOG_FORMAT", "TEXT")
    max_rooms: int = env("WATCHPARTY_MAX_ROOMS", 10_000, ge=1)
    max_members_per_room: int = env("WATCHPARTY_MAX_MEMBERS", 5_000, ge=1)
    # Rooms with more members send their members the count, not the list (docs/protocol.md).
    member_list_max: int = env("WATCHPARTY_MEMBER_LIST_MAX", 100, ge=0)
    socketio_max_payload: int = env("WATCHPARTY_MAX_PAYLOAD", 256 * 1024, ge=1024)
    # MongoDB: None starts the embedded MongoDB-wire server with its data in data_dir.
    mongodb_uri: Annotated[str | None, _prefixed("mongodb://", "mongodb+srv://")] = Field(
        None, validation_alias="MONGODB_URI", repr=False
    )
    db_timeout_ms: int = env("WATCHPARTY_DB_TIMEOUT_MS", 3000, ge=100, le=60_000)
    shutdown_flush_seconds: float = 10.0
    # YouTube search: no key, no search (503 search_disabled). The key is never shown.
    youtube_api_key: str | None = secret("YOUTUBE_API_KEY")
    youtube_api_url: HttpUrl = env("YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3")
    youtube_timeout_seconds: int = env("WATCHPARTY_YOUTUBE_TIMEOUT_SECONDS", 5, ge=1, le=60)
    # Without a key, titles come from YouTube's public oEmbed endpoint ("off" turns it off).
    youtube_oembed_url: Annotated[HttpUrl | None, BeforeValidator(_off_is_none)] = env(
        "YOUTUBE_OEMBED_URL", "https://www.youtube.com/oembed"
    )
    # The embedded players' scripts (their origins are let into the page's CSP); a test points
    # them at a stand-in.
    vimeo_player_url: HttpUrl = env("VIMEO_PLAYER_URL", "https://player.vimeo.com/api/player.js")
    twitch_player_url: HttpUrl = env("TWITCH_PLAYER_URL", "https://player.twitch.tv/js/embed/v1.js")
    dailymotion_player_url: HttpUrl = env(
        "DAILYMOTION_PLAYER_URL", "https://geo.dailymotion.com/libs/player.js"
    )
    # Where titles and durations of other services' videos are asked ("off": not asked), and
    # PeerTube instances on a private network that may be asked (host or host:port; any
    # other private address is refused: search.guard).
    vimeo_oembed_url: Annotated[HttpUrl | None, BeforeValidator(_off_is_none)] = env(
        "VIMEO_OEMBED_URL", "https://vimeo.com/api/oembed.json"
    )
    dailymotion_api_url: Annotated[HttpUrl | None, BeforeValidator(_off_is_none)] = env(
        "DAILYMOTION_API_URL", "https://api.dailymotion.com"
    )
    peertube_private_hosts: Annotated[frozenset[str], NoDecode, BeforeValidator(_hosts)] = env(
        "WATCHPARTY_PEERTUBE_PRIVATE_HOSTS", frozenset()
    )
    lookup_timeout_seconds: int = env("WATCHPARTY_LOOKUP_TIMEOUT_SECONDS", 5, ge=1, le=60)
    # The kinds of link rooms play (comma-separated, or "all"): others are refused, and the
    # page's policy lets in only these kinds' players.
    sources: Annotated[frozenset[Kind], NoDecode, BeforeValidator(_sources)] = env(
        "WATCHPARTY_SOURCES", frozenset(KINDS)
    )
    search_cache_seconds: int = env("WATCHPARTY_SEARCH_CACHE_SECONDS", 6 * 3600, ge=60)
    search_rate_limit: Rate = env("WATCHPARTY_SEARCH_RATE_LIMIT", "30/minute")
    # Searches that reach YouTube for people not signed in, all of them together: a search
    # costs 100 of YouTube's 10,000 default daily units, so guests get half the day's.
    anonymous_search_limit: Rate = env("WATCHPARTY_ANONYMOUS_SEARCH_LIMIT", "50/day")
    # Proxies whose X-Forwarded-For is believed (watchparty.addresses): their addresses or
    # networks. Empty: the connection's peer is the client.
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode, BeforeValidator(_networks)] = env(
        "WATCHPARTY_TRUSTED_PROXIES", ()
    )
    # A folder of video files served at /media/ (rooms can play them as /media/<name>).
    media_dir: Annotated[Path | None, AfterValidator(_folder)] = env("WATCHPARTY_MEDIA_DIR")
    # Production requires JWT_SECRET and METRICS_TOKEN and marks the session cookie Secure.
    environment: Annotated[Literal["DEVELOPMENT", "PRODUCTION"], Choice] = env(
        "WATCHPARTY_ENV", "DEVELOPMENT"
    )
    # Signs session tokens. None in development: one is generated and kept in data_dir.
    jwt_secret: Annotated[str | None, AfterValidator(_jwt_secret)] = secret("JWT_SECRET")
    session_seconds: int = env("WATCHPARTY_SESSION_SECONDS", 7 * 24 * 3600, ge=60)
    bcrypt_rounds: int = env("WATCHPARTY_BCRYPT_ROUNDS", 12, ge=4, le=16)
    # Failed logins, counted per account and per client address (limits syntax).
    login_account_limit: Rate = env("WATCHPARTY_LOGIN_ACCOUNT_LIMIT", "5/15 minutes")
    login_address_limit: Rate = env("WATCHPARTY_LOGIN_ADDRESS_LIMIT", "30/15 minutes")
    register_rate_limit: Rate = env("WATCHPARTY_REGISTER_RATE_LIMIT", "10/hour")
    # Wrong room passwords, counted per room and client address.
    room_password_limit: Rate = env("WATCHPARTY_ROOM_PASSWORD_LIMIT", "10/15 minutes")
    # Sign-in with an OpenID Connect provider: issuer, client id and secret, or none.
    oidc_issuer: HttpUrl | None = env("OIDC_ISSUER")
    oidc_client_id: str | None = env("OIDC_CLIENT_ID")
    oidc_client_secret: str | None = secret("OIDC_CLIENT_SECRET")
    oidc_name: str = env("OIDC_NAME", "OpenID Connect", min_length=1, max_length=40)
    oidc_scopes: str = env("OIDC_SCOPES", "openid email profile", pattern=r"(^|\s)openid(\s|$)")
    # Stripe billing: all three of key, webhook secret and price, or none (billing disabled).
    stripe_secret_key: str | None = secret("STRIPE_SECRET_KEY")
    stripe_webhook_secret: str | None = secret("STRIPE_WEBHOOK_SECRET")
    stripe_price_id: str | None = env("STRIPE_PRICE_ID")
    stripe_api_base: HttpUrl = env("STRIPE_API_BASE", "https://api.stripe.com")
    # Where Stripe sends people back to after checkout; None: the request's own origin.
    public_base_url: HttpUrl | None = env("PUBLIC_BASE_URL")
    # When set, GET /metrics needs "Authorization: Bearer <token>".
    metrics_token: str | None = secret("METRICS_TOKEN")
    # A room on the free plan is deleted after this many days without use.
    free_room_idle_days: int = env("WATCHPARTY_FREE_ROOM_IDLE_DAYS", 30, ge=1)
    free_max_members: int = env("WATCHPARTY_FREE_MAX_MEMBERS", FREE.max_members, ge=1)
    chat_rate_limit: Rate = env("WATCHPARTY_CHAT_RATE_LIMIT", "5/5 seconds")  # per member
    reaction_rate_limit: Rate = env("WATCHPARTY_REACTION_RATE_LIMIT", "10/10 seconds")  # per member
    # Socket events per connection (TIME pings apart), pings per connection, connections
    # and room creations per client address.
    event_rate_limit: Rate = env("WATCHPARTY_EVENT_RATE_LIMIT", "20/second")
    time_rate_limit: Rate = env("WATCHPARTY_TIME_RATE_LIMIT", "20/10 seconds")
    connect_rate_limit: Rate = env("WATCHPARTY_CONNECT_RATE_LIMIT", "60/minute")
    room_create_rate_limit: Rate = env("WATCHPARTY_ROOM_CREATE_RATE_LIMIT", "30/hour")
    # Subtitle uploads per client address (each is parsed, and kept with its room).
    subtitle_rate_limit: Rate = env("WATCHPARTY_SUBTITLE_RATE_LIMIT", "30/hour")
    # Queue changes per member (account or guest) and per room: each goes to every member.
    queue_rate_limit: Rate = env("WATCHPARTY_QUEUE_RATE_LIMIT", "20/10 seconds")
    room_queue_rate_limit: Rate = env("WATCHPARTY_ROOM_QUEUE_RATE_LIMIT", "40/10 seconds")
    # New guest identities per client address (Tokens.issue_guest): mutes, votes and bans
    # follow a guest across reconnects, so a fresh identity must not be free.
    guest_rate_limit: Rate = env("WATCHPARTY_GUEST_RATE_LIMIT", "30/hour")
    # How long a member whose connection dropped stays in the room, waiting for it to return.
    reconnect_grace_seconds: int = env("WATCHPARTY_RECONNECT_GRACE_SECONDS", 5, ge=0, le=300)
    # Sync (docs/sync.md): a start is scheduled this far ahead (plus the slowest member's
    # round trip, up to the maximum) so that everyone starts together.
    start_lead_ms: int = env("WATCHPARTY_START_LEAD_MS", 300, ge=0, le=5000)
    start_lead_max_ms: int = env("WATCHPARTY_START_LEAD_MAX_MS", 2000, ge=0, le=10_000)
    # A room that waits for everyone plays on without a stalled member after this long.
    buffer_wait_seconds: int = env("WATCHPARTY_BUFFER_WAIT_SECONDS", 8, ge=1, le=300)
    # The page's drift correction: seek beyond sync_seek_ms, else nudge the playback rate by
    # up to sync_max_nudge_percent while off by more than sync_nudge_ms.
    sync_seek_ms: int = env("WATCHPARTY_SYNC_SEEK_MS", 150, ge=50, le=10_000)
    sync_nudge_ms: int = env("WATCHPARTY_SYNC_NUDGE_MS", 5, ge=1, le=1000)
    sync_max_nudge_percent: int = env("WATCHPARTY_SYNC_MAX_NUDGE_PERCENT", 5, ge=1, le=50)
    # Per-message deflate on websockets: off, as in Node's engine.io
    # (docs/decisions/003-direct-fanout.md).
    ws_compression: Annotated[bool, BeforeValidator(_boolean)] = env(
        "WATCHPARTY_WS_COMPRESSION", False
    )
    # A connection with this many bytes sent to it but not yet read is closed (it reconnects).
    slow_client_bytes: int = env("WATCHPARTY_SLOW_CLIENT_BYTES", 1024 * 1024, ge=64 * 1024)
    # Several processes (docs/scaling.md): WEB_CONCURRENCY workers on one port, sharing rooms
    # through Redis. Without REDIS_URL there is one process. The URL may hold a password.
    redis_url: Annotated[str | None, _prefixed("redis://", "rediss://", "unix://")] = Field(
        None, validation_alias="REDIS_URL", repr=False
    )
    web_concurrency: int = env("WEB_CONCURRENCY", 1, ge=1, le=64)
    # A process that stops renewing a room's lease (it died) loses the room after this long.
    room_lease_seconds: int = env("WATCHPARTY_ROOM_LEASE_SECONDS", 3, ge=1, le=60)

    @property
    def production(self) -> bool:
        return self.environment == "PRODUCTION"

    @property
    def billing_enabled(self) -> bool:
        return self.stripe_secret_key is not None

    @property
    def oidc_enabled(self) -> bool:
        return self.oidc_issuer is not None

    @model_validator(mode="after")
    def _together(self) -> Settings:
        """Settings that only make sense together."""
        if self.production:
            for name, value in (
                ("JWT_SECRET", self.jwt_secret),
                ("METRICS_TOKEN", self.metrics_token),
            ):
                if value is None:
                    raise _fail(f"{name} {PRODUCTION_ONLY}")
        stripe = {
            "STRIPE_SECRET_KEY": self.stripe_secret_key,
            "STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
            "STRIPE_PRICE_ID": self.stripe_price_id,
        }
        oidc = {
            "OIDC_ISSUER": self.oidc_issuer,
            "OIDC_CLIENT_ID": self.oidc_client_id,
            "OIDC_CLIENT_SECRET": self.oidc_client_secret,
        }
        for together in (stripe, oidc):
            missing = [name for name, value in together.items() if value is None]
            if missing and len(missing) < len(together):
                raise _fail(f"{', '.join(missing)} must be set as well (or none of them)")
        if self.start_lead_max_ms < self.start_lead_ms:
            raise _fail("WATCHPARTY_START_LEAD_MAX_MS must be at least WATCHPARTY_START_LEAD_MS")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments, then the mapping ``from_env`` reads (nothing for a plain
        ``Settings(...)``, so tests never pick up the machine's environment)."""
        return init_settings, _MappingSource(settings_cls)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default); raises
        ``SettingsError`` naming the first variable that is wrong."""
        environ = os.environ if environ is None else environ
        if (environ.get("WATCHPARTY_PROXY_HOPS") or "").strip():
            raise SettingsError(
                "WATCHPARTY_PROXY_HOPS is gone: name the proxies instead, as "
                "WATCHPARTY_TRUSTED_PROXIES=<their addresses or CIDRs> (docs/operations.md)"
            )
        with _reading(environ):
            try:
                return cls()
            except ValidationError as error:
                raise SettingsError(describe(cls, error)) from None


def variables() -> dict[str, str]:
    """Every environment variable read, by field name (the README's table lists them)."""
    return {
        name: str(field.validation_alias)
        for name, field in Settings.model_fields.items()
        if field.validation_alias is not None
    }


_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("environ", default=None)


@contextmanager
def _reading(environ: Mapping[str, str]) -> Iterator[None]:
    token = _ENVIRON.set({key: value.strip() for key, value in environ.items() if value.strip()})
    try:
        yield
    finally:
        _ENVIRON.reset(token)


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source, over the mapping ``from_env`` was given; a
    blank value means the default."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls, case_sensitive=True, env_ignore_empty=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return dict(_ENVIRON.get() or {})
