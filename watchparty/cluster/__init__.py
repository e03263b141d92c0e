"""Rooms shared between processes (``REDIS_URL``): which process holds each room
(``leases``), how processes ask each other things (``peers``), sockets and HTTP requests
whose room is held elsewhere (``relay``, ``forward``), all started together (``node``).
docs/scaling.md tells the story."""
