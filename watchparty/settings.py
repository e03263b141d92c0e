"""Settings, read once from the environment into one frozen object.

Every knob the server has is here, so a misspelt or malformed value fails at start with a
message naming the variable instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import limits

from watchparty.addresses import Network, parse_networks
from watchparty.core.plans import FREE

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("TEXT", "JSON")
ENVIRONMENTS = ("DEVELOPMENT", "PRODUCTION")
# HS256 wants a key at least as long as its hash (RFC 7518 3.2).
MIN_JWT_SECRET_BYTES = 32


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable, never its value."""


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 8080
    data_dir: Path = Path("watchparty-data")
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    log_format: str = "TEXT"  # or "JSON": one JSON object per line
    max_rooms: int = 10_000
    max_members_per_room: int = 5_000
    # Rooms with more members send their members the count, not the list (docs/protocol.md).
    member_list_max: int = 100
    socketio_max_payload: int = 256 * 1024
    # MongoDB: None starts the embedded MongoDB-wire server with its data in data_dir.
    mongodb_uri: str | None = None
    db_timeout_ms: int = 3000
    shutdown_flush_seconds: float = 10.0
    # YouTube search: no key, no search (503 search_disabled). The key is never shown.
    youtube_api_key: str | None = field(default=None, repr=False)
    youtube_api_url: str = "https://www.googleapis.com/youtube/v3"
    youtube_timeout_seconds: int = 5
    search_cache_seconds: int = 6 * 3600
    search_rate_limit: str = "30/minute"
    # Searches that reach YouTube for people not signed in, all of them together: a search
    # costs 100 of YouTube's 10,000 default daily units, so guests get half the day's.
    anonymous_search_limit: str = "50/day"
    # Proxies whose X-Forwarded-For is believed (watchparty.addresses): their addresses or
    # networks. None: the connection's peer is the client.
    trusted_proxies: tuple[Network, ...] = ()
    # A folder of video files served at /media/ (rooms can play them as /media/<name>).
    media_dir: Path | None = None
    # Production requires JWT_SECRET and marks the session cookie Secure (HTTPS only).
    environment: str = "DEVELOPMENT"
    # Signs session tokens. None in development: one is generated and kept in data_dir.
    jwt_secret: str | None = field(default=None, repr=False)
    session_seconds: int = 7 * 24 * 3600
    bcrypt_rounds: int = 12
    # Failed logins, counted per account and per client address (limits syntax).
    login_account_limit: str = "5/15 minutes"
    login_address_limit: str = "30/15 minutes"
    register_rate_limit: str = "10/hour"
    # Stripe billing: all three of key, webhook secret and price, or none (billing disabled).
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_price_id: str | None = None
    # When set, GET /metrics needs "Authorization: Bearer <token>".
    metrics_token: str | None = field(default=None, repr=False)
    stripe_api_base: str = "https://api.stripe.com"
    # Where Stripe sends people back to after checkout; None: the request's own origin.
    public_base_url: str | None = None
    # A room on the free plan is deleted after this many days without use.
    free_room_idle_days: int = 30
    free_max_members: int = FREE.max_members  # viewers in a room on the free plan
    chat_rate_limit: str = "5/5 seconds"  # per member: a short burst, then rate_limited
    # Socket events per connection (TIME pings apart), pings per connection, connections
    # and room creations per client address.
    event_rate_limit: str = "20/second"
    time_rate_limit: str = "20/10 seconds"
    connect_rate_limit: str = "60/minute"
    room_create_rate_limit: str = "30/hour"
    # Queue changes per member (account or guest) and per room: each goes to every member.
    queue_rate_limit: str = "20/10 seconds"
    room_queue_rate_limit: str = "40/10 seconds"
    # New guest identities per client address (Tokens.issue_guest): mutes, votes and bans
    # follow a guest across reconnects, so a fresh identity must not be free.
    guest_rate_limit: str = "30/hour"
    # How long a member whose connection dropped stays in the room, waiting for it to return.
    reconnect_grace_seconds: int = 5
    # Sync (docs/sync.md): a start is scheduled this far ahead (plus the slowest member's
    # round trip, up to the maximum) so that everyone starts together.
    start_lead_ms: int = 300
    start_lead_max_ms: int = 2000
    # A room that waits for everyone plays on without a stalled member after this long.
    buffer_wait_seconds: int = 8
    # The page's drift correction: seek beyond sync_seek_ms, else nudge the playback rate by
    # up to sync_max_nudge_percent while off by more than sync_nudge_ms.
    sync_seek_ms: int = 150
    sync_nudge_ms: int = 5
    sync_max_nudge_percent: int = 5
    # Per-message deflate on websockets: off, as in Node's engine.io (see docs/fanout.md).
    ws_compression: bool = False
    # A connection with this many bytes sent to it but not yet read is closed (it reconnects).
    slow_client_bytes: int = 1024 * 1024
    # Several processes (docs/scaling.md): WEB_CONCURRENCY workers on one port, sharing rooms
    # through Redis. Without REDIS_URL there is one process. The URL may hold a password.
    redis_url: str | None = field(default=None, repr=False)
    web_concurrency: int = 1
    # A process that stops renewing a room's lease (it died) loses the room after this long.
    room_lease_seconds: int = 3

    @property
    def production(self) -> bool:
        return self.environment == "PRODUCTION"

    @property
    def billing_enabled(self) -> bool:
        return self.stripe_secret_key is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default)."""
        env = os.environ if env is None else env
        reader = _Reader(env)
        defaults = cls()
        environment = reader.choice("WATCHPARTY_ENV", defaults.environment, ENVIRONMENTS)
        production = environment == "PRODUCTION"
        stripe = reader.all_or_none("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_ID")
        lead = reader.integer("WATCHPARTY_START_LEAD_MS", defaults.start_lead_ms, high=5000)
        lead_max = reader.integer(
            "WATCHPARTY_START_LEAD_MAX_MS", defaults.start_lead_max_ms, high=10_000
        )
        if lead_max < lead:
            raise SettingsError(
                "WATCHPARTY_START_LEAD_MAX_MS must be at least WATCHPARTY_START_LEAD_MS"
            )
        return cls(
            host=reader.text("HOST", defaults.host),
            port=reader.integer("PORT", defaults.port, low=0, high=65535),
            data_dir=Path(reader.text("WATCHPARTY_DATA_DIR", str(defaults.data_dir))),
            cors_origins=reader.origins("CORS_ORIGINS"),
            log_level=reader.choice("LOG_LEVEL", defaults.log_level, LOG_LEVELS),
            log_format=reader.choice("LOG_FORMAT", defaults.log_format, LOG_FORMATS),
            max_rooms=reader.integer("WATCHPARTY_MAX_ROOMS", defaults.max_rooms, low=1),
            max_members_per_room=reader.integer(
                "WATCHPARTY_MAX_MEMBERS", defaults.max_members_per_room, low=1
            ),
            member_list_max=reader.integer(
                "WATCHPARTY_MEMBER_LIST_MAX", defaults.member_list_max, low=0
            ),
            socketio_max_payload=reader.integer(
                "WATCHPARTY_MAX_PAYLOAD", defaults.socketio_max_payload, low=1024
            ),
            mongodb_uri=reader.mongodb_uri("MONGODB_URI"),
            db_timeout_ms=reader.integer(
                "WATCHPARTY_DB_TIMEOUT_MS", defaults.db_timeout_ms, low=100, high=60_000
            ),
            youtube_api_key=reader.optional("YOUTUBE_API_KEY"),
            youtube_api_url=reader.url("YOUTUBE_API_URL", defaults.youtube_api_url),
            youtube_timeout_seconds=reader.integer(
                "WATCHPARTY_YOUTUBE_TIMEOUT_SECONDS",
                defaults.youtube_timeout_seconds,
                low=1,
                high=60,
            ),
            search_cache_seconds=reader.integer(
                "WATCHPARTY_SEARCH_CACHE_SECONDS", defaults.search_cache_seconds, low=60
            ),
            search_rate_limit=reader.rate(
                "WATCHPARTY_SEARCH_RATE_LIMIT", defaults.search_rate_limit
            ),
            anonymous_search_limit=reader.rate(
                "WATCHPARTY_ANONYMOUS_SEARCH_LIMIT", defaults.anonymous_search_limit
            ),
            trusted_proxies=reader.networks("WATCHPARTY_TRUSTED_PROXIES"),
            media_dir=reader.folder("WATCHPARTY_MEDIA_DIR"),
            environment=environment,
            jwt_secret=reader.jwt_secret("JWT_SECRET", required=production),
            session_seconds=reader.integer(
                "WATCHPARTY_SESSION_SECONDS", defaults.session_seconds, low=60
            ),
            bcrypt_rounds=reader.integer(
                "WATCHPARTY_BCRYPT_ROUNDS", defaults.bcrypt_rounds, low=4, high=16
            ),
            login_account_limit=reader.rate(
                "WATCHPARTY_LOGIN_ACCOUNT_LIMIT", defaults.login_account_limit
            ),
            login_address_limit=reader.rate(
                "WATCHPARTY_LOGIN_ADDRESS_LIMIT", defaults.login_address_limit
            ),
            register_rate_limit=reader.rate(
                "WATCHPARTY_REGISTER_RATE_LIMIT", defaults.register_rate_limit
            ),
            stripe_secret_key=stripe["STRIPE_SECRET_KEY"],
            stripe_webhook_secret=stripe["STRIPE_WEBHOOK_SECRET"],
            stripe_price_id=stripe["STRIPE_PRICE_ID"],
            stripe_api_base=reader.url("STRIPE_API_BASE", defaults.stripe_api_base),
            public_base_url=reader.optional_url("PUBLIC_BASE_URL"),
            metrics_token=reader.required_in_production("METRICS_TOKEN", production),
            free_room_idle_days=reader.integer(
                "WATCHPARTY_FREE_ROOM_IDLE_DAYS", defaults.free_room_idle_days, low=1
            ),
            free_max_members=reader.integer(
                "WATCHPARTY_FREE_MAX_MEMBERS", defaults.free_max_members, low=1
            ),
            chat_rate_limit=reader.rate("WATCHPARTY_CHAT_RATE_LIMIT", defaults.chat_rate_limit),
            event_rate_limit=reader.rate("WATCHPARTY_EVENT_RATE_LIMIT", defaults.event_rate_limit),
            time_rate_limit=reader.rate("WATCHPARTY_TIME_RATE_LIMIT", defaults.time_rate_limit),
            connect_rate_limit=reader.rate(
                "WATCHPARTY_CONNECT_RATE_LIMIT", defaults.connect_rate_limit
            ),
            room_create_rate_limit=reader.rate(
                "WATCHPARTY_ROOM_CREATE_RATE_LIMIT", defaults.room_create_rate_limit
            ),
            queue_rate_limit=reader.rate("WATCHPARTY_QUEUE_RATE_LIMIT", defaults.queue_rate_limit),
            room_queue_rate_limit=reader.rate(
                "WATCHPARTY_ROOM_QUEUE_RATE_LIMIT", defaults.room_queue_rate_limit
            ),
            guest_rate_limit=reader.rate("WATCHPARTY_GUEST_RATE_LIMIT", defaults.guest_rate_limit),
            ws_compression=reader.boolean("WATCHPARTY_WS_COMPRESSION", defaults.ws_compression),
            slow_client_bytes=reader.integer(
                "WATCHPARTY_SLOW_CLIENT_BYTES", defaults.slow_client_bytes, low=64 * 1024
            ),
            reconnect_grace_seconds=reader.integer(
                "WATCHPARTY_RECONNECT_GRACE_SECONDS",
                defaults.reconnect_grace_seconds,
                low=0,
                high=300,
            ),
            redis_url=reader.redis_url("REDIS_URL"),
            web_concurrency=reader.integer(
                "WEB_CONCURRENCY", defaults.web_concurrency, low=1, high=64
            ),
            room_lease_seconds=reader.integer(
                "WATCHPARTY_ROOM_LEASE_SECONDS", defaults.room_lease_seconds, low=1, high=60
            ),
            start_lead_ms=lead,
            start_lead_max_ms=lead_max,
            buffer_wait_seconds=reader.integer(
                "WATCHPARTY_BUFFER_WAIT_SECONDS", defaults.buffer_wait_seconds, low=1, high=300
            ),
            sync_seek_ms=reader.integer(
                "WATCHPARTY_SYNC_SEEK_MS", defaults.sync_seek_ms, low=50, high=10_000
            ),
            sync_nudge_ms=reader.integer(
                "WATCHPARTY_SYNC_NUDGE_MS", defaults.sync_nudge_ms, low=1, high=1000
            ),
            sync_max_nudge_percent=reader.integer(
                "WATCHPARTY_SYNC_MAX_NUDGE_PERCENT", defaults.sync_max_nudge_percent, low=1, high=50
            ),
        )


class _Reader:
    """Parses one variable at a time and raises ``SettingsError`` naming it."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _raw(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def integer(self, name: str, default: int, *, low: int = 0, high: float = math.inf) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number") from None
        if not low <= value <= high:
            bound = f"between {low} and {int(high)}" if high != math.inf else f"at least {low}"
            raise SettingsError(f"{name} must be {bound}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.upper() not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}")
        return raw.upper()

    def folder(self, name: str) -> Path | None:
        raw = self._raw(name)
        if raw is None:
            return None
        if not Path(raw).is_dir():
            raise SettingsError(f"{name} must name an existing folder")
        return Path(raw)

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() not in ("1", "0", "true", "false", "on", "off", "yes", "no"):
            raise SettingsError(f"{name} must be on or off")
        return raw.lower() in ("1", "true", "on", "yes")

    def optional(self, name: str) -> str | None:
        return self._raw(name)

    def required_in_production(self, name: str, production: bool) -> str | None:
        raw = self._raw(name)
        if raw is None and production:
            raise SettingsError(f"{name} is required when WATCHPARTY_ENV is production")
        return raw

    def jwt_secret(self, name: str, *, required: bool) -> str | None:
        raw = self._raw(name)
        if raw is None and required:
            raise SettingsError(f"{name} is required when WATCHPARTY_ENV is production")
        if raw is not None and len(raw.encode()) < MIN_JWT_SECRET_BYTES:
            raise SettingsError(f"{name} must be at least {MIN_JWT_SECRET_BYTES} bytes long")
        return raw

    def url(self, name: str, default: str) -> str:
        raw = self._raw(name) or default
        if not raw.startswith(("http://", "https://")):
            raise SettingsError(f"{name} must start with http:// or https://")
        return raw.rstrip("/")

    def optional_url(self, name: str) -> str | None:
        return None if self._raw(name) is None else self.url(name, "")

    def all_or_none(self, *names: str) -> dict[str, str | None]:
        """Settings that only work together: all set, or none (a half-done set is a mistake)."""
        values = {name: self._raw(name) for name in names}
        missing = [name for name, value in values.items() if value is None]
        if missing and len(missing) < len(names):
            raise SettingsError(f"{', '.join(missing)} must be set as well (or none of them)")
        return values

    def rate(self, name: str, default: str) -> str:
        raw = self._raw(name) or default
        try:
            limits.parse(raw)
        except ValueError:
            raise SettingsError(f"{name} must look like '30/minute' or '5/second'") from None
        return raw

    def mongodb_uri(self, name: str) -> str | None:
        raw = self._raw(name)
        if raw is not None and not raw.startswith(("mongodb://", "mongodb+srv://")):
            raise SettingsError(f"{name} must start with mongodb:// or mongodb+srv://")
        return raw

    def redis_url(self, name: str) -> str | None:
        raw = self._raw(name)
        if raw is not None and not raw.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"{name} must start with redis://, rediss:// or unix://")
        return raw

    def networks(self, name: str) -> tuple[Network, ...]:
        if self._raw("WATCHPARTY_PROXY_HOPS") is not None:
            raise SettingsError(
                "WATCHPARTY_PROXY_HOPS is gone: name the proxies instead, as "
                f"{name}=<their addresses or CIDRs> (docs/operations.md)"
            )
        raw = self._raw(name)
        if raw is None:
            return ()
        try:
            return parse_networks(raw)
        except ValueError:
            raise SettingsError(
                f"{name} must be IP addresses or networks, comma-separated (10.0.0.0/8)"
            ) from None

    def origins(self, name: str) -> tuple[str, ...]:
        raw = self._raw(name)
        if raw is None:
            return ()
        origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
        for origin in origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise SettingsError(f"{name} entries must be '*' or start with http:// or https://")
        return origins
