"""The MongoDB-wire server the tests talk to, over TCP.

By default a throw-away nx-27017 (the embedded server) in memory; set ``MONGODB_URI`` to run
the same suite against another server, real MongoDB included. Every test gets a database of
its own, so tests never see each other's documents.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from watchparty.store.embedded import free_port, server_command


def with_database(uri: str, name: str) -> str:
    """``uri`` pointing at database ``name`` (query options kept)."""
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path=f"/{name}"))


def fresh_database_uri(server_uri: str) -> str:
    return with_database(server_uri, f"wp_test_{uuid.uuid4().hex[:12]}")


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"nx-27017 exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class MongoProcess:
    """An nx-27017 server the test controls: it can be stopped and started again."""

    def __init__(self, data: str | Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.data = str(data)
        self.files = Path(tempfile.mkdtemp(prefix="wp-nx-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> None:
        command = server_command(self.port, self.data, self.files / f"nx-27017-{self.port}")
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def session_server() -> Iterator[str]:
    """The URI of the session's server: ``MONGODB_URI``, or a fresh in-memory nx-27017."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external
        return
    server = MongoProcess("memory")
    server.start()
    try:
        yield server.uri
    finally:
        server.stop()
