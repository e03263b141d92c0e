"""Accounts: passwords, session tokens, sign-in throttling and the ``/api/auth`` routes."""
