"""Saved playlists: ``/api/users/me/playlists``, ``/api/playlists/<id>``, loading into rooms."""
