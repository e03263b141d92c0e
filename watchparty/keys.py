"""Every object shared on the application, under one typed key each."""

from __future__ import annotations

import socketio
from aiohttp import web

from watchparty.accounts.passwords import PasswordHasher
from watchparty.accounts.session import Sessions
from watchparty.accounts.throttle import LoginThrottle
from watchparty.billing.service import StripeBilling
from watchparty.cluster.node import Cluster
from watchparty.plans import Plans
from watchparty.ratelimit import RateLimit
from watchparty.realtime.persistence import WriteBehind, WriteQueue
from watchparty.realtime.registry import RoomRegistry
from watchparty.search.service import SearchService
from watchparty.search.youtube import YouTube
from watchparty.settings import Settings
from watchparty.store.database import Store
from watchparty.store.embedded import EmbeddedMongo

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", RoomRegistry)
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
STORE = web.AppKey("store", Store)
WRITE_BEHIND = web.AppKey("write_behind", WriteBehind)
EMBEDDED_DB = web.AppKey("embedded_db", EmbeddedMongo)
SEARCH = web.AppKey("search", SearchService)
SEARCH_LIMIT = web.AppKey("search_limit", RateLimit)
ANONYMOUS_SEARCHES = web.AppKey("anonymous_searches", RateLimit)
YOUTUBE = web.AppKey("youtube", YouTube)
SESSIONS = web.AppKey("sessions", Sessions)
PASSWORDS = web.AppKey("passwords", PasswordHasher)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
REGISTER_LIMIT = web.AppKey("register_limit", RateLimit)
ROOM_CREATE_LIMIT = web.AppKey("room_create_limit", RateLimit)
BILLING = web.AppKey("billing", StripeBilling)
CHAT_WRITES = web.AppKey("chat_writes", WriteQueue)
PLANS = web.AppKey("plans", Plans)
CLUSTER = web.AppKey("cluster", Cluster)
