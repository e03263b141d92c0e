"""A real ``redis-server`` (the Debian package) on a free port, for the cluster tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator

from tests.mongo import wait_for_port
from watchparty.store.embedded import free_port


def redis_server() -> Iterator[str]:
    """Start one, yield its URL, stop it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing (scripts/test installs it: apt redis-server)")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="wp-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
