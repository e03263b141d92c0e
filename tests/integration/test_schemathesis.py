"""Schemathesis (from PyPI) against the live server, from its own ``/api/openapi.json``:
every operation with generated requests, valid and invalid, signed in by a Bearer token, and
the stateful phase following the document's links (a room from its creation): no 500, every
answer's status, type and body as documented, invalid requests refused, changes that need a
session refused without one. Stand-ins serve Stripe, YouTube and the OpenID provider, so
that those routes answer rather than say they are not configured."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.accounts import register
from tests.conftest import ServerFactory
from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOidc
from tests.fake_stripe import PRICE, SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from tests.fake_youtube import KEY, FakeYouTube

HERE = Path(__file__).resolve().parents[1] / "schemathesis"
ROOT = HERE.parents[1]
EXAMPLES = 25  # per operation and phase: about a minute on two cores


async def _fake(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]], app: web.Application
) -> str:
    return str((await aiohttp_server(app)).make_url("")).rstrip("/")


async def test_schemathesis_finds_nothing(
    start_server: ServerFactory,
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    tmp_path: Path,
) -> None:
    oidc = FakeOidc()
    oidc.base_url = await _fake(aiohttp_server, oidc.app())
    server = await start_server(
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_price_id=PRICE,
        stripe_api_base=await _fake(aiohttp_server, FakeStripe().app()),
        youtube_api_key=KEY,
        youtube_api_url=await _fake(aiohttp_server, FakeYouTube().app()) + "/youtube/v3",
        youtube_timeout_seconds=2,
        oidc_issuer=oidc.base_url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        # Generous limits: the requests reach the logic behind them (tests of their own
        # check the limits).
        register_rate_limit="1000/hour",
        room_create_rate_limit="1000/hour",
        subtitle_rate_limit="1000/hour",
    )
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        accounts = [await register(http, base, name) for name in ("fuzzy", "fuzz1", "fuzz2")]
    # Signing out everywhere and changing the password end the token's session: they run
    # apart, each with a token of its own, so that the rest stays signed in.
    ending = ("logout", "change_password")
    skip = [option for name in ending for option in ("--exclude-operation-id", name)]
    text = await _schemathesis(tmp_path, base, accounts[0].token, *skip)
    selected, total, tested = _counts(text)
    assert selected == tested == total - len(ending), text[-5000:]
    assert "Authentication failed" not in text, text[-5000:]  # the token stayed good
    for name, account in zip(ending, accounts[1:], strict=True):
        only = ("--include-operation-id", name, "--phases", "examples,coverage,fuzzing")
        assert _counts(await _schemathesis(tmp_path, base, account.token, *only))[::2] == (1, 1)


def _counts(report: str) -> tuple[int, int, int]:
    """Operations selected, of all, and tested, from the report's summary."""
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    tested = re.search(r"Tested: (\d+)", report)
    assert selected, report[-5000:]
    assert tested, report[-5000:]
    return int(selected[1]), int(selected[2]), int(tested[1])


async def _schemathesis(workdir: Path, base: str, token: str, *options: str) -> str:
    """Run the CLI on the served document; its report, once it found nothing."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{base}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--seed",
        "20261205",
        "--no-color",
        *options,
        cwd=workdir,  # where it keeps its cache: not in the checkout
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SCHEMATHESIS_HOOKS": "tests.schemathesis.hooks",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-20_000:]
    return text
