"""``create_app(settings)``: the application, as a short list of steps (watchparty.wiring),
each making its part and owning that part's start and stop."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from watchparty.headers import add_security_headers, content_security_policy
from watchparty.http import page_errors
from watchparty.keys import CSP, LIMITS, SETTINGS
from watchparty.logs import request_ids
from watchparty.rooms.ports import Clock
from watchparty.settings import Settings
from watchparty.wiring.accounts import setup_accounts
from watchparty.wiring.database import setup_database, setup_writers
from watchparty.wiring.realtime import setup_realtime
from watchparty.wiring.services import (
    setup_billing,
    setup_metrics,
    setup_search,
    setup_subtitles,
)
from watchparty.wiring.web import API_MAX_BODY, setup_web

# PyMongo logs whole commands at DEBUG (documents with password hashes in them), and stripe
# logs request and response bodies (customers' emails). Whatever LOG_LEVEL says, these stay at
# INFO, so no hash, token or customer detail reaches a log.
QUIET_LOGGERS = ("pymongo", "stripe")


def create_app(settings: Settings, *, clock: Clock = time.time) -> web.Application:
    """The steps run in order; their clean-ups run in reverse: billing and search stop, the
    writers save what is pending, the cluster gives its rooms back, the database stops."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    app = web.Application(middlewares=[request_ids, page_errors], client_max_size=API_MAX_BODY)
    app[SETTINGS] = settings
    app[LIMITS] = []
    app.cleanup_ctx.append(_limits)  # first in, so last out: once nothing counts any more
    app[CSP] = content_security_policy(settings)
    app.on_response_prepare.append(add_security_headers)
    setup_database(app, settings)
    setup_accounts(app, settings)
    setup_realtime(app, settings, clock)
    setup_writers(app)
    setup_search(app, settings)
    setup_subtitles(app, settings)
    setup_billing(app, settings)
    setup_metrics(app, settings)
    setup_web(app, settings)
    return app


async def _limits(app: web.Application) -> AsyncIterator[None]:
    """Limits shared through Redis hold connections of their own: closed with the app."""
    yield
    for limit in app[LIMITS]:
        await limit.close()
