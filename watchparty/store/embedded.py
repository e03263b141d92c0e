"""The embedded default: a local MongoDB-wire server (nx-27017) as a child process.

It lets ``python -m watchparty`` run with no database to install. The same driver code talks
to it and to real MongoDB; only the start-up differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
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
STOP_SECONDS = 5.0
TERM_EVERY = 0.5
LOCK_FILE = "watchparty.lock"


class DataFolderInUse(RuntimeError):
    """Another live watchparty owns this data folder (and its database): nothing was
    changed."""


def lock_folder(folder: Path) -> int:
    """Own ``folder`` for as long as this process lives (an advisory lock the kernel drops
    with the process, however it ends): a second server on the same folder had stopped the
    first one's database as "left behind". Returns the lock's file descriptor."""
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DataFolderInUse(
            f"the data folder {folder} is in use by a running watchparty (pid {holder}); "
            "stop it, or give this one another WATCHPARTY_DATA_DIR"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def keep_private(folder: Path) -> None:
    """The data folder holds password hashes: readable by its owner only (folders 0700,
    files 0600), whatever the umask was when they were made."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


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


def _in_child() -> Callable[[], None]:
    """What the server's process does before it starts: files it makes are its owner's only
    (umask 077), and, on Linux, the kernel sends it SIGTERM when watchparty dies, however it
    dies. Its own session keeps a terminal's Ctrl-C away from it (watchparty flushes first and
    stops it itself), but a SIGKILL, a crash or a second signal cutting the clean-up short
    would otherwise leave it running. ``leftover_pid`` covers other systems at the next start.
    """
    prctl = None
    if sys.platform.startswith("linux"):
        # Loaded before the fork: nothing to import after.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def prepare() -> None:
        os.umask(0o077)
        if prctl is not None:
            prctl(pr_set_pdeathsig, signal.SIGTERM)

    return prepare


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
        self._lock: int | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        if self.data_dir == "memory":
            data, stem = "memory", Path(tempfile.gettempdir()) / f"nx-27017-{self.port}"
        else:
            folder = Path(self.data_dir)
            (folder / "mongodb").mkdir(parents=True, exist_ok=True, mode=0o700)
            self._lock = lock_folder(folder)
            keep_private(folder)
            data, stem = str(folder / "mongodb"), folder / "nx-27017"
        self._stderr_path = stem.with_suffix(".stderr")
        if data != "memory" and (pid := leftover_pid(stem.with_suffix(".pid"), data)):
            # watchparty was killed hard last time (its server runs in a session of its own)
            await stop_leftover(pid)
        self._stderr = self._stderr_path.open("ab")
        self._stderr_path.chmod(0o600)
        self._process = await asyncio.create_subprocess_exec(
            *server_command(self.port, data, stem),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._stderr,
            preexec_fn=_in_child(),
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
        """Stop the server, its clients closed first (so everything is saved: SQLite keeps a
        commit through a kill). nx-27017 now and then does not act on a SIGTERM (as
        tests/e2e/test_main.py found), so it is asked again every ``TERM_EVERY`` seconds, and
        killed after ``STOP_SECONDS``."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            asked = 0
            while process.returncode is None and asked * TERM_EVERY < STOP_SECONDS:
                process.terminate()
                asked += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), TERM_EVERY)
            if process.returncode is None:
                log.warning("the embedded database server did not stop; killing it")
                process.kill()
                await process.wait()
            elif asked > 1:
                log.info("the embedded database server stopped after %d SIGTERMs", asked)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._lock is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock)  # closing the descriptor drops the lock
            self._lock = None
