"""Settings: defaults, parsing, and clear failures for malformed values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from watchparty.addresses import parse_networks
from watchparty.settings import Settings, SettingsError, variables


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080
    assert settings.host == "0.0.0.0"
    assert settings.cors_origins == ()
    assert settings.data_dir == Path("watchparty-data")


def test_values_are_read() -> None:
    settings = Settings.from_env(
        {
            "PORT": "5001",
            "CORS_ORIGINS": "https://a.example, http://localhost:3000/",
            "LOG_LEVEL": "debug",
            "WATCHPARTY_MAX_ROOMS": "7",
            "WATCHPARTY_DATA_DIR": "/tmp/wp",
        }
    )
    assert settings.port == 5001
    assert settings.cors_origins == ("https://a.example", "http://localhost:3000")
    assert settings.log_level == "DEBUG"
    assert settings.max_rooms == 7
    assert settings.data_dir == Path("/tmp/wp")


def test_every_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "MONGODB_URI": "mongodb://db.example:27017/wp",
            "WATCHPARTY_DB_TIMEOUT_MS": "1500",
            "WATCHPARTY_MAX_MEMBERS": "9",
            "WATCHPARTY_MAX_PAYLOAD": "2048",
            "YOUTUBE_API_KEY": "k",
            "YOUTUBE_API_URL": "http://127.0.0.1:9/yt/",
            "WATCHPARTY_YOUTUBE_TIMEOUT_SECONDS": "2",
            "WATCHPARTY_SEARCH_CACHE_SECONDS": "120",
            "WATCHPARTY_SEARCH_RATE_LIMIT": "5/second",
            "WATCHPARTY_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8",
            "WATCHPARTY_MEDIA_DIR": str(tmp_path),
            "WATCHPARTY_ENV": "production",
            "JWT_SECRET": "j" * 32,
            "METRICS_TOKEN": "metrics-secret",
            "WATCHPARTY_SESSION_SECONDS": "3600",
            "WATCHPARTY_BCRYPT_ROUNDS": "10",
            "WATCHPARTY_LOGIN_ACCOUNT_LIMIT": "3/minute",
            "WATCHPARTY_LOGIN_ADDRESS_LIMIT": "9/hour",
            "WATCHPARTY_REGISTER_RATE_LIMIT": "2/day",
            "REDIS_URL": "rediss://:pw@cache.example:6380/1",
            "WEB_CONCURRENCY": "4",
            "WATCHPARTY_ROOM_LEASE_SECONDS": "5",
        }
    )
    assert (settings.mongodb_uri, settings.db_timeout_ms) == ("mongodb://db.example:27017/wp", 1500)
    assert (settings.max_members_per_room, settings.socketio_max_payload) == (9, 2048)
    assert (settings.youtube_api_key, settings.youtube_api_url) == ("k", "http://127.0.0.1:9/yt")
    assert settings.youtube_timeout_seconds == 2
    assert (settings.search_cache_seconds, settings.search_rate_limit) == (120, "5/second")
    assert settings.trusted_proxies == parse_networks("10.0.0.0/8,fd00::/8")
    assert settings.media_dir == tmp_path
    assert (settings.environment, settings.jwt_secret) == ("PRODUCTION", "j" * 32)
    assert (settings.session_seconds, settings.bcrypt_rounds) == (3600, 10)
    assert (settings.login_account_limit, settings.login_address_limit) == ("3/minute", "9/hour")
    assert settings.register_rate_limit == "2/day"
    assert settings.redis_url == "rediss://:pw@cache.example:6380/1"
    assert (settings.web_concurrency, settings.room_lease_seconds) == (4, 5)


def test_blank_values_mean_default() -> None:
    assert Settings.from_env({"PORT": "  "}).port == 8080


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between 0 and 65535"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        ({"WATCHPARTY_MAX_ROOMS": "0"}, "WATCHPARTY_MAX_ROOMS must be at least 1"),
        ({"CORS_ORIGINS": "example.com"}, "CORS_ORIGINS entries must be"),
        ({"MONGODB_URI": "localhost:27017"}, "MONGODB_URI must start with mongodb://"),
        ({"YOUTUBE_API_URL": "ftp://x"}, "YOUTUBE_API_URL must start with http"),
        ({"WATCHPARTY_SEARCH_RATE_LIMIT": "lots"}, "WATCHPARTY_SEARCH_RATE_LIMIT must look like"),
        ({"WATCHPARTY_ENV": "staging"}, "WATCHPARTY_ENV must be one of"),
        ({"WATCHPARTY_BCRYPT_ROUNDS": "3"}, "WATCHPARTY_BCRYPT_ROUNDS must be between 4 and 16"),
        ({"WATCHPARTY_SESSION_SECONDS": "5"}, "WATCHPARTY_SESSION_SECONDS must be at least 60"),
        ({"WATCHPARTY_LOGIN_ACCOUNT_LIMIT": "x"}, "WATCHPARTY_LOGIN_ACCOUNT_LIMIT must look like"),
        ({"REDIS_URL": "cache.example:6379"}, "REDIS_URL must start with redis://"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY must be between 1 and 64"),
        ({"WATCHPARTY_ROOM_LEASE_SECONDS": "0"}, "WATCHPARTY_ROOM_LEASE_SECONDS must be between"),
        ({"WATCHPARTY_TRUSTED_PROXIES": "10.0.0.0/33"}, "WATCHPARTY_TRUSTED_PROXIES must be IP"),
        ({"WATCHPARTY_PROXY_HOPS": "1"}, "WATCHPARTY_PROXY_HOPS is gone: name the proxies"),
        (
            {"WATCHPARTY_ENV": "production", "JWT_SECRET": "j" * 32},
            "METRICS_TOKEN is required when WATCHPARTY_ENV is production",
        ),
        (
            {"WATCHPARTY_SEARCH_CACHE_SECONDS": "5"},
            "WATCHPARTY_SEARCH_CACHE_SECONDS must be at least",
        ),
    ],
)
def test_malformed_values_fail_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_secrets_stay_out_of_repr_and_errors() -> None:
    settings = Settings.from_env(
        {"YOUTUBE_API_KEY": "AIza-secret-key", "PORT": "81", "REDIS_URL": "redis://:pw-9x@r:1"}
    )
    assert settings.youtube_api_key == "AIza-secret-key"
    assert "AIza-secret-key" not in repr(settings)
    assert "pw-9x" not in repr(settings)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"MONGODB_URI": "user:hunter2@db"})
    assert "hunter2" not in str(caught.value)


def test_the_readme_documents_exactly_the_variables_that_are_read() -> None:
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    read = set(variables().values())
    assert len(read) > 50
    assert documented == read
