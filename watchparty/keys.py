"""Every object shared on the application, under one typed key each."""

from __future__ import annotations

import socketio
from aiohttp import web

from watchparty.realtime.registry import RoomRegistry
from watchparty.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", RoomRegistry)
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
