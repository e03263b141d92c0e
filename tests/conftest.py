"""Fixtures: the real app on a real port, and real Socket.IO clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.mongo import fresh_database_uri, session_server
from tests.peers import Peer
from tests.reach import Reached, ReachPlugin
from tests.socket_origins import SocketOrigins
from watchparty.app import create_app
from watchparty.settings import Settings
from watchparty.store.database import Store

ServerFactory = Callable[..., Awaitable[TestServer]]
JWT_SECRET = "test-secret-" + "x" * 60  # 64+ bytes, so an HS512 forgery can be made
PeerFactory = Callable[..., Awaitable[Peer]]


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ReachPlugin(Reached()), "watchparty-reach")


@pytest.fixture(scope="session")
def reached(pytestconfig: pytest.Config) -> Reached:
    """Every in-process server's /api error answers (tests/reach.py checks them)."""
    plugin = pytestconfig.pluginmanager.get_plugin("watchparty-reach")
    assert isinstance(plugin, ReachPlugin)
    return plugin.reached


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[str]:
    yield from session_server()


@pytest.fixture
def mongo_uri(mongo_server: str) -> str:
    """A database of this test's own on the session's MongoDB-wire server."""
    return fresh_database_uri(mongo_server)


@pytest.fixture
def settings(tmp_path: Any, mongo_uri: str) -> Settings:
    return Settings(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path / "data",
        mongodb_uri=mongo_uri,
        jwt_secret=JWT_SECRET,
        bcrypt_rounds=4,  # the cheapest cost: tests check behaviour, not bcrypt's speed
        # python-socketio's client closes its transport before the server reads its goodbye,
        # so every test disconnect would look like a lost connection; the tests of the grace
        # period turn it on.
        reconnect_grace_seconds=0,
        # Every test connects and creates rooms from one address, and some load one
        # connection with bursts of events no person sends (ordering, racing writers, chat
        # history); tests/integration/test_limits.py tests these limits with its own.
        connect_rate_limit="100000/minute",
        guest_rate_limit="100000/minute",
        queue_rate_limit="100000/minute",
        room_queue_rate_limit="100000/minute",
        room_create_rate_limit="100000/minute",
        event_rate_limit="100000/second",
        # No test talks to the internet: tests/fake_youtube.py and fake_lookups.py stand in.
        youtube_oembed_url=None,
        vimeo_oembed_url=None,
        dailymotion_api_url=None,
    )


@pytest.fixture
async def store(mongo_uri: str) -> AsyncIterator[Store]:
    """The store layer on this test's own database, indexes made."""
    store = Store(mongo_uri, timeout_ms=3000)
    await store.prepare()
    yield store
    await store.close()


@pytest.fixture
async def start_server(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    settings: Settings,
    reached: Reached,
) -> ServerFactory:
    """Start the real app on a free loopback port; settings may be overridden per call."""

    async def start(**overrides: Any) -> TestServer:
        values = {**settings.__dict__, **overrides}
        return await aiohttp_server(reached.watch(create_app(Settings(**values))))

    return start


@pytest.fixture
async def server(start_server: ServerFactory) -> TestServer:
    return await start_server()


@pytest.fixture
def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def room_id(http: aiohttp.ClientSession, base_url: str) -> str:
    async with http.post(f"{base_url}/api/rooms", json={}) as response:
        assert response.status == 201
        body = await response.json()
    return str(body["id"])


@pytest.fixture
async def join(base_url: str, room_id: str) -> AsyncIterator[PeerFactory]:
    """Connect a named peer to the room (or to another room/URL when given)."""
    peers: list[Peer] = []

    async def connect(name: str, **kwargs: Any) -> Peer:
        peer = Peer(name)
        peers.append(peer)
        auth = kwargs.pop("auth", {"room": kwargs.pop("room", room_id), "name": name})
        await peer.connect(kwargs.pop("url", base_url), auth, **kwargs)
        return peer

    yield connect
    for peer in peers:
        await peer.close()


@pytest.fixture(scope="session")
def socket_origins() -> Iterator[SocketOrigins]:
    origins = SocketOrigins()
    origins.install()
    yield origins
    origins.uninstall()


@pytest.fixture(autouse=True)
def _collect_garbage_after_each_test(socket_origins: SocketOrigins) -> Iterator[None]:
    """Collect at the end of every test, so an object a test leaks (an unclosed socket, say)
    warns in that test rather than in whichever one the garbage collector happens to run in
    (with where that socket was opened)."""
    yield
    socket_origins.collect()
