"""Rooms over HTTP: create, read, join and leave."""
