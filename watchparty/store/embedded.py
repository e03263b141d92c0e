"""The embedded default: a local MongoDB-wire server (nx-27017) as a child process.

It lets ``python -m watchparty`` run with no database to install. The same driver code talks
to it and to real MongoDB; only the start-up differs.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pymongo import AsyncMongoClient

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# nx-27017 logs every command at INFO, to stderr and to its log file; WARNING keeps both small.
LAUNCHER = (
    "import logging, sys; logging.getLogger('nx_27017').setLevel(logging.WARNING); "
    "from nx_27017.nx_27017 import main; sys.argv[0] = 'nx-27017'; sys.exit(main())"
)


def server_command(port: int, data: str, stem: Path) -> list[str]:
    """The command line of an nx-27017 server on loopback ``port``.

    ``data`` is a folder for its SQLite files (one per database) or ``"memory"``; its log and
    pid files are ``stem`` + ``.log`` / ``.pid`` (its defaults are shared paths under /tmp).
    """
    return [
        sys.executable,
        "-c",
        LAUNCHER,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        data,
        "--log-file",
        f"{stem}.log",
        "--pid-file",
        f"{stem}.pid",
    ]


def _stop_with_parent() -> Callable[[], None] | None:
    """On Linux, have the kernel send the server SIGTERM when watchparty dies, however it dies.

    Its own session keeps a terminal's Ctrl-C away from it (watchparty flushes first and
    stops it itself), but a SIGKILL, a crash or a second signal cutting the clean-up short
    would otherwise leave it running. ``leftover_pid`` covers other systems at the next start.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork: nothing to import after
    pr_set_pdeathsig = 1

    def set_death_signal() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return set_death_signal


def leftover_pid(pid_file: Path, data: str) -> int | None:
    """The pid of a server an earlier run left on this data, if one still runs.

    The pid file alone is not trusted: that process's command line must be an nx-27017
    server of this very data folder.
    """
    try:
        pid = int(pid_file.read_text().split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):
        return None
    if any(b"nx_27017" in part for part in command) and data.encode() in command:
        return pid
    return None


async def stop_leftover(pid: int) -> None:
    """Stop it: two servers must not share the SQLite files."""
    log.warning("stopping the database server an earlier run left behind (pid %d)", pid)
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        await asyncio.sleep(0.05)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
    os.kill(pid, signal.SIGKILL)


class EmbeddedMongo:
    """Start, reach and stop one nx-27017 server bound to loopback.

    ``data_dir`` holds one SQLite file per database, its log and its pid file; ``"memory"``
    keeps everything in memory (for throw-away test servers).
    """

    def __init__(self, data_dir: Path | str, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self._process: asyncio.subprocess.Process | None = None
        self._stderr_path = Path(tempfile.gettempdir()) / "nx-27017.stderr"
        self._stderr: BinaryIO | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        if self.data_dir == "memory":
            data, stem = "memory", Path(tempfile.gettempdir()) / f"nx-27017-{self.port}"
        else:
            (Path(self.data_dir) / "mongodb").mkdir(parents=True, exist_ok=True)
            data, stem = str(Path(self.data_dir) / "mongodb"), Path(self.data_dir) / "nx-27017"
        self._stderr_path = stem.with_suffix(".stderr")
        if data != "memory" and (pid := leftover_pid(stem.with_suffix(".pid"), data)):
            # watchparty was killed hard last time (its server runs in a session of its own)
            await stop_leftover(pid)
        self._stderr = self._stderr_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            *server_command(self.port, data, stem),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._stderr,
            preexec_fn=_stop_with_parent(),
            # Its own session: a Ctrl-C in the terminal reaches watchparty, which flushes its
            # writes first and then stops this server.
            start_new_session=True,
        )
        await self._wait_until_answering()

    async def _wait_until_answering(self) -> None:
        assert self._process is not None
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            self.uri, serverSelectionTimeoutMS=250
        )
        try:
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                while True:
                    if self._process.returncode is not None:
                        tail = self._stderr_path.read_text(errors="replace")[-500:]
                        raise RuntimeError(f"the embedded database server exited at start: {tail}")
                    try:
                        await client.admin.command("ping")
                        return
                    except Exception:
                        await asyncio.sleep(0.1)
        finally:
            await client.close()

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                log.warning("the embedded database server did not stop; killing it")
                process.kill()
                await process.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
