"""Starting a server for a bench: a free loopback port, and waiting until it listens."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(process: subprocess.Popen[bytes], port: int, what: str, seconds: float) -> None:
    """Return once ``port`` accepts connections; kill ``process`` and exit if it does not
    within about ``seconds``."""
    for _ in range(round(seconds / 0.1)):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{what} did not start")
