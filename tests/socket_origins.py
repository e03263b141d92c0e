"""Where each open socket was opened, so that the ResourceWarning of one a test leaks says
where it came from. tracemalloc would say so too, but slows the suite several times over,
and such a leak tends to show only in a full run."""

from __future__ import annotations

import gc
import re
import socket
import sys
import traceback
from typing import Any


class SocketOrigins:
    """Records the stack that opened each socket, by file descriptor (the one a leaked socket
    still holds, so no later socket can have taken it)."""

    def __init__(self) -> None:
        self._stacks: dict[int, list[traceback.FrameSummary]] = {}
        self._init = socket.socket.__init__

    def install(self) -> None:
        original, stacks = self._init, self._stacks

        def init(sock: socket.socket, *args: Any, **kwargs: Any) -> None:
            original(sock, *args, **kwargs)
            stacks[sock.fileno()] = traceback.extract_stack(limit=16)[:-1]

        socket.socket.__init__ = init  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        socket.socket.__init__ = self._init  # type: ignore[method-assign]

    def origin(self, sock: object) -> str | None:
        found = re.search(r"\bfd=(\d+)", repr(sock))
        stack = self._stacks.get(int(found.group(1))) if found else None
        return "".join(traceback.format_list(stack)) if stack else None

    def collect(self) -> None:
        """gc.collect(), noting on the warning of each socket it finds unclosed where that
        socket was opened."""
        hook = sys.unraisablehook

        def noting(args: Any) -> None:
            try:
                origin = self.origin(args.object)
                if origin and isinstance(args.exc_value, BaseException):
                    args.exc_value.add_note("the socket was opened at:\n" + origin)
            finally:
                hook(args)

        sys.unraisablehook = noting
        try:
            gc.collect()
        finally:
            sys.unraisablehook = hook
