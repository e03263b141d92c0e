"""The demo page and the health check."""
