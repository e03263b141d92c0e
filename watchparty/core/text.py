"""The text rule every incoming string meets, wherever it comes from (a socket event, an HTTP
body, a query): it must be Unicode text that UTF-8 can carry.

JSON lets a client send a lone UTF-16 surrogate (``"\\ud800"``), which Python decodes into a
``str`` that no UTF-8 encoder (BSON, a websocket frame, a log file) accepts. Let through, one
such string stopped a room's saves; so it is refused at the door, in keys as in values, at any
depth. Text shown to other people (names, titles, reasons) also refuses control and format
characters (``DISPLAY_FORBIDDEN``), checked by the models' ``CleanText`` fields.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# Control (Cc), format (Cf: bidi overrides, zero-width joiners) and surrogate (Cs) characters.
DISPLAY_FORBIDDEN = frozenset({"Cc", "Cf", "Cs"})
NOT_TEXT = "must be valid Unicode text (a lone surrogate is not)"


def encodable(text: str) -> bool:
    """Whether UTF-8 can encode ``text`` (it holds no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def displayable(text: str) -> bool:
    """Whether ``text`` may be shown to others as it is: no control, format or surrogate
    characters."""
    return text.isprintable() or not any(
        unicodedata.category(ch) in DISPLAY_FORBIDDEN for ch in text
    )


def made_displayable(text: str, limit: int) -> str:
    """``text`` from elsewhere (a service's title) as a display text: control, format and
    surrogate characters dropped, spaces collapsed, at most ``limit`` characters."""
    kept = "".join(_displayed(ch) for ch in text)
    return " ".join(kept.split())[:limit]


def _displayed(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cc":
        return " "  # a newline or tab parts words
    return "" if category in DISPLAY_FORBIDDEN else ch


# Where a value sits in a payload: its key or index, after its container's place (None at
# the top); built as a chain, so that a deep payload costs no copying of paths.
Place = tuple["Place | None", Any] | None


def unencodable(data: Any) -> str | None:
    """Where the first string in ``data`` that UTF-8 cannot carry is (a dotted path, keys and
    indexes), or None. ``data`` is what a JSON parser returns; walked without recursion, so
    any nesting the parser accepted is fine here. The path is spelt out only for a string
    that fails: every event of every client passes here (the clock ping, most of them)."""
    stack: list[tuple[Place, Any]] = [(None, data)]
    while stack:
        place, value = stack.pop()
        if isinstance(value, str):
            if not encodable(value):
                return _where(place)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and not encodable(key):
                    return _where(place)
                stack.append(((place, key), item))
        elif isinstance(value, list | tuple):
            stack.extend(((place, i), v) for i, v in enumerate(value))
    return None


def _where(place: Place) -> str:
    keys = []
    while place is not None:
        place, key = place
        keys.append(_label(key))
    return ".".join(reversed(keys)) or "payload"


def _label(key: Any) -> str:
    """A key as it may appear in a message: short, and only if it is itself encodable."""
    text = str(key)
    return text[:40] if encodable(text) and displayable(text) else "?"
