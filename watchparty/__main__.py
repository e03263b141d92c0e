"""``python -m watchparty``: read settings from the environment and serve."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web

from watchparty.app import create_app
from watchparty.logs import RequestLog, configure
from watchparty.settings import Settings, SettingsError


def main() -> None:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"watchparty: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure(settings.log_level, json_lines=settings.log_format == "JSON")
    log = logging.getLogger("watchparty")
    log.info("starting on http://%s:%d", settings.host, settings.port)
    # run_app turns SIGINT and SIGTERM into a graceful shutdown and returns, so we exit 0.
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        loop=new_event_loop(),
        access_log_class=RequestLog,
    )


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when it is installed (the ``[fast]`` extra), else asyncio's: with it
    a room broadcast costs less per viewer (docs/fanout.md)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    logging.getLogger("watchparty").info("event loop: uvloop")
    return uvloop.new_event_loop()


if __name__ == "__main__":
    main()
