"""YouTube search through a server-side proxy that keeps the API key secret."""
