"""``python -m watchparty``: read settings from the environment and serve.

With ``WEB_CONCURRENCY`` above 1 and ``REDIS_URL`` set, this process supervises that many
worker processes on one port (the kernel spreads connections over them, ``SO_REUSEPORT``) and
restarts any that dies; rooms span the workers through Redis (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
import socket
import sys

from aiohttp import web

from watchparty.app import create_app
from watchparty.collector import tune_collector
from watchparty.keys import CLUSTER
from watchparty.logs import RequestLog, configure
from watchparty.settings import Settings, SettingsError
from watchparty.store.database import DEFAULT_DATABASE
from watchparty.store.embedded import DataFolderInUse, EmbeddedMongo
from watchparty.wiring.shutdown import ShutdownWatch

log = logging.getLogger("watchparty")
WORKER = "--worker"  # how the supervisor starts a worker: share the port, no workers of its own
RESTART_DELAY_SECONDS = 1.0
STOP_WARN_SECONDS = 25.0  # a worker slower to stop than this is named, before a 30 s kill


def main() -> None:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"watchparty: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure(settings.log_level, json_lines=settings.log_format == "JSON")
    worker = WORKER in sys.argv[1:]
    try:
        if settings.web_concurrency > 1 and not worker:
            if settings.redis_url is not None:
                raise SystemExit(asyncio.run(supervise(settings)))
            log.warning(
                "WEB_CONCURRENCY=%d needs REDIS_URL for rooms to span processes; "
                "running one process",
                settings.web_concurrency,
            )
        serve(settings, share_port=worker)
    except DataFolderInUse as error:
        print(f"watchparty: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(settings: Settings, *, share_port: bool = False) -> None:
    # A worker stuck even before its shutdown begins writes its threads' stacks when its
    # supervisor asks (before this, SIGUSR1 would end it).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    tune_collector()
    log.info("starting on http://%s:%d", settings.host, settings.port)
    app = create_app(settings)
    sockets = []
    cluster = app.get(CLUSTER)
    if cluster is not None:
        # A loopback address of this process's own, where requests about the rooms it
        # holds, sent by other processes, are replayed (cluster.forward).
        internal = socket.socket()
        internal.bind(("127.0.0.1", 0))
        cluster.replay.internal_url = f"http://127.0.0.1:{internal.getsockname()[1]}"
        sockets.append(internal)
    watch = ShutdownWatch()
    watch.watch(app)
    # run_app turns SIGINT and SIGTERM into a graceful shutdown and returns, so we exit 0.
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            sock=sockets or None,
            reuse_port=share_port or None,
            print=None,
            loop=new_event_loop(),
            access_log_class=RequestLog,
        )
    finally:
        watch.cancel()


async def supervise(settings: Settings) -> int:
    """Run ``WEB_CONCURRENCY`` workers until SIGTERM or SIGINT, which each of them gets (and
    shuts down gracefully on); a worker that dies otherwise is started again. One embedded
    database serves them all when no MONGODB_URI is set."""
    env = dict(os.environ)
    embedded = None
    if settings.mongodb_uri is None:
        embedded = EmbeddedMongo(settings.data_dir)
        log.info("no MONGODB_URI: starting the embedded database in %s", embedded.data_dir)
        await embedded.start()
        env["MONGODB_URI"] = embedded.uri + DEFAULT_DATABASE
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    log.info("starting %d workers on port %d", settings.web_concurrency, settings.port)

    async def worker(number: int) -> int:
        while True:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "watchparty", WORKER, env=env
            )
            ended = asyncio.ensure_future(process.wait())
            stop = asyncio.ensure_future(stopping.wait())
            await asyncio.wait({ended, stop}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.is_set():
                stop.cancel()
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                done, _ = await asyncio.wait({ended}, timeout=STOP_WARN_SECONDS)
                if not done:  # SIGUSR1: it writes its threads' stacks (serve)
                    log.error("worker %d (pid %d) is still stopping", number, process.pid)
                    with contextlib.suppress(ProcessLookupError):  # it has just ended
                        process.send_signal(signal.SIGUSR1)
                return await ended
            stop.cancel()
            log.error("worker %d exited (%s); starting it again", number, process.returncode)
            await asyncio.sleep(RESTART_DELAY_SECONDS)

    try:
        codes = await asyncio.gather(*(worker(n) for n in range(settings.web_concurrency)))
    finally:
        if embedded is not None:
            await embedded.stop()
    # A worker still starting when told to stop dies of the signal itself: that is a stop too.
    return 0 if all(code in (0, -signal.SIGTERM) for code in codes) else 1


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when it is installed (the ``[fast]`` extra), else asyncio's: with it
    a room broadcast costs less per viewer (docs/decisions/003-direct-fanout.md)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    logging.getLogger("watchparty").info("event loop: uvloop")
    return uvloop.new_event_loop()


if __name__ == "__main__":
    main()
