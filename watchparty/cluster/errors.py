"""What goes wrong between processes (``ClusterUnavailable`` and ``RoomElsewhere`` belong to
the rooms' ``Authority`` port: rooms.ports)."""

from __future__ import annotations


class PeerGone(Exception):
    """Another process did not answer (it is gone, or too slow to count on)."""
