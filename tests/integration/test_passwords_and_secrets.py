"""Password hashing, the development JWT secret, and the settings that guard them."""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

import aiohttp
import pytest

from tests.accounts import register
from tests.conftest import ServerFactory
from watchparty.accounts.passwords import PasswordHasher
from watchparty.accounts.secret import jwt_secret
from watchparty.settings import Settings, SettingsError


async def test_hash_and_verify() -> None:
    hasher = PasswordHasher(rounds=4)
    hashed = await hasher.hash("correct horse")
    assert hashed.startswith("$2b$04$")
    assert "correct horse" not in hashed
    assert await hasher.verify("correct horse", hashed)
    assert not await hasher.verify("correct horsE", hashed)
    assert not await hasher.verify("correct horse" + "x" * 80, hashed)  # over 72 bytes


async def test_checking_a_missing_account_costs_as_much_as_a_real_one() -> None:
    """No timing tells whether an account exists: without a hash, a decoy is checked."""
    hasher = PasswordHasher(rounds=10)  # ~60 ms a check: far above the noise
    hashed = await hasher.hash("correct horse")

    async def timed(hash_: str | None, password: str) -> float:
        started = time.perf_counter()
        assert not await hasher.verify(password, hash_)
        return time.perf_counter() - started

    real = statistics.median([await timed(hashed, "wrong") for _ in range(3)])
    missing = statistics.median([await timed(None, "wrong") for _ in range(3)])
    too_long = statistics.median([await timed(hashed, "x" * 100) for _ in range(3)])
    assert 0.5 < missing / real < 2
    assert 0.5 < too_long / real < 2


def test_development_secret_is_generated_once_and_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(data_dir=tmp_path / "data")
    first = jwt_secret(settings)
    path = tmp_path / "data" / "jwt-secret"
    assert len(first.encode()) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert jwt_secret(settings) == first  # kept across restarts
    assert str(path) in caplog.text
    assert first not in caplog.text
    assert jwt_secret(Settings(data_dir=tmp_path / "data", jwt_secret="s" * 32)) == "s" * 32


def test_production_requires_a_long_enough_secret() -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET is required"):
        Settings.from_env({"WATCHPARTY_ENV": "production"})
    with pytest.raises(SettingsError, match="at least 32 bytes"):
        Settings.from_env({"JWT_SECRET": "short"})
    settings = Settings.from_env(
        {"WATCHPARTY_ENV": "production", "JWT_SECRET": "k" * 32, "METRICS_TOKEN": "m"}
    )
    assert settings.production
    assert settings.jwt_secret == "k" * 32
    assert "k" * 32 not in repr(settings)


async def test_sessions_survive_a_restart_with_the_generated_secret(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    data_dir = tmp_path / "shared-data"
    first = await start_server(jwt_secret=None, data_dir=data_dir)
    async with aiohttp.ClientSession() as http:
        account = await register(http, str(first.make_url("")).rstrip("/"), "ann")
        await first.close()
        second = await start_server(jwt_secret=None, data_dir=data_dir)
        async with http.get(second.make_url("/api/users/me"), headers=account.bearer) as response:
            assert response.status == 200
        # A server with another secret does not accept it.
        third = await start_server(jwt_secret="z" * 40)
        async with http.get(third.make_url("/api/users/me"), headers=account.bearer) as response:
            assert response.status == 401


def test_an_unusable_secret_file_is_an_error_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "jwt-secret").write_text("short\n")
    with pytest.raises(RuntimeError, match="unusable"):
        jwt_secret(Settings(data_dir=tmp_path))
    assert (tmp_path / "jwt-secret").read_text() == "short\n"
