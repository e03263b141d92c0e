"""The sync bench's surroundings: its test videos, the server it starts, and the delaying
(and losing) TCP proxy each page reaches the server through."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from servers import free_port, wait_listening

MEDIA = Path(tempfile.gettempdir()) / "watchparty-sync-media"


def make_media() -> None:
    """Two one-minute clips (a moving test pattern with a tone) and a two-hour video made of
    the first, once per machine."""
    MEDIA.mkdir(exist_ok=True)
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is needed to make the test videos: apt-get install ffmpeg")
    for name, pattern, tone in (("a.webm", "testsrc2", 440), ("b.webm", "smptebars", 660)):
        if (MEDIA / name).exists():
            continue
        subprocess.run(
            [
                *("ffmpeg", "-hide_banner", "-loglevel", "error", "-y"),
                *("-f", "lavfi", "-i", f"{pattern}=s=320x180:r=30:d=60"),
                *("-f", "lavfi", "-i", f"sine=f={tone}:d=60"),
                *("-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"),
                *("-g", "30", "-c:a", "libopus", "-b:a", "32k", "-shortest"),
                str(MEDIA / f".{name}"),
            ],
            check=True,
        )
        (MEDIA / f".{name}").rename(MEDIA / name)
    if not (MEDIA / "long.webm").exists():
        listing = MEDIA / "long.txt"
        listing.write_text("file 'a.webm'\n" * 120)
        subprocess.run(
            [
                *("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat"),
                *("-safe", "0", "-i", str(listing), "-c", "copy", str(MEDIA / ".long.webm")),
            ],
            check=True,
        )
        (MEDIA / ".long.webm").rename(MEDIA / "long.webm")


def start_server(extra_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "WATCHPARTY_MEDIA_DIR": str(MEDIA),
        "WATCHPARTY_DATA_DIR": tempfile.mkdtemp(prefix="watchparty-sync-"),
        # every page joins as a new guest from one address: the default (30 an hour) is six
        # profiles
        "WATCHPARTY_GUEST_RATE_LIMIT": "10000/hour",
        **extra_env,
    }
    process = subprocess.Popen([sys.executable, "-m", "watchparty"], env=env)
    wait_listening(process, port, "the server", 10)
    return process, port


class DelayProxy:
    """A TCP proxy that delivers every chunk ``latency +/- jitter`` seconds after it arrived,
    in each direction, never out of order (a chunk waits for the one before it): what a
    longer, jittery network path does to a TCP stream.

    With ``loss``, that share of chunks is lost once and sent again a retransmission timeout
    later, holding up every chunk behind it: what a lost segment costs a TCP stream with too
    little traffic for a fast retransmit (Linux: RTO = SRTT + 4 RTTVAR, at least 200 ms).

    With ``media_rate`` (bytes a second), video files (``GET /media/...``) come down no
    faster, so the page holds only a few seconds ahead, and ``media_flowing`` cleared stops
    them: a media server that pauses, which the socket does not notice.
    """

    def __init__(
        self,
        target_port: int,
        latency: float,
        jitter: float,
        seed: int,
        loss: float = 0.0,
        media_rate: float | None = None,
    ) -> None:
        self.target_port = target_port
        self.latency = latency
        self.jitter = jitter
        self.loss = loss
        self.rto = max(0.2, 2 * latency + 4 * jitter)
        self.random = random.Random(seed)
        self.lost = 0
        self.media_rate = media_rate
        self.media_flowing = asyncio.Event()
        self.media_flowing.set()
        self.media_due = 0.0
        self.media_bytes = 0  # video bytes handed to the page
        self.port = 0
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in self.connections:
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)

    def _delay(self) -> float:
        delay = max(0.0, self.latency + self.random.uniform(-self.jitter, self.jitter))
        if self.loss and self.random.random() < self.loss:
            self.lost += 1
            delay += self.rto
        return delay

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        task.add_done_callback(self.connections.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        media: set[bool] = set()  # holds True once the page asked this connection for a video
        pumps = asyncio.gather(
            self._pump(reader, up_writer, asks=media), self._pump(up_reader, writer, paced=media)
        )
        try:
            await pumps
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # closed by close(); Python 3.11's start_server logs a cancelled handler
        finally:
            pumps.cancel()
            writer.close()
            up_writer.close()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        asks: set[bool] | None = None,
        paced: set[bool] | None = None,
    ) -> None:
        """Carry one direction; ``asks`` (upward) notes a video request on the connection,
        after which ``paced`` (downward) holds the answer to ``media_rate``."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
            writer.close()

        delivering = loop.create_task(deliver())
        last_due = 0.0
        try:
            while True:
                media = bool(paced) and self.media_rate is not None
                chunk = await reader.read(16384 if media else 65536)
                if asks is not None and b"GET /media/" in chunk:
                    asks.add(True)
                if media:  # one pace for all its requests
                    await self.media_flowing.wait()
                    rate = self.media_rate  # None once the server is back at full speed
                    if rate is not None:
                        self.media_due = max(self.media_due, loop.time()) + len(chunk) / rate
                        await asyncio.sleep(self.media_due - loop.time())
                    self.media_bytes += len(chunk)
                last_due = max(last_due, loop.time() + self._delay())
                queue.put_nowait((last_due, chunk))
                if not chunk:
                    break
            await delivering
        finally:
            delivering.cancel()
