"""A real ``redis-server`` (the Debian package) on a free port, for the cluster tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator

from tests.mongo import wait_for_port
from watchparty.store.embedded import free_port


class RedisServer:
    """One that a test may kill and start again on its port: it keeps nothing on disk, so it
    comes back empty, as a Redis without persistence does after a crash."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is missing (scripts/test installs it: apt redis-server)"
            )
        self._binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = tempfile.mkdtemp(prefix="wp-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                *(self._binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            cwd=self._folder,
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        """As a crash does: at once, saying nothing to its clients."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def close(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self._folder, ignore_errors=True)


def redis_server() -> Iterator[str]:
    """Start one, yield its URL, stop it."""
    server = RedisServer()
    try:
        server.start()
        yield server.url
    finally:
        server.close()
