"""watchparty: watch videos together, in sync, from a shared link."""

__version__ = "0.1.0"
