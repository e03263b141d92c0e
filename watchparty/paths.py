"""Where the demo page's templates and static files are.

From a source checkout (or an editable install) they sit beside the package; a regular
``pip install .`` puts them under ``<prefix>/share/watchparty`` (see setup.cfg data_files).
"""

from __future__ import annotations

import sys
from pathlib import Path


def web_root() -> Path:
    candidates = [
        Path(__file__).resolve().parent.parent,
        Path(sys.prefix) / "share" / "watchparty",
    ]
    for candidate in candidates:
        if all((candidate / part).is_dir() for part in ("templates", "static", "clients")):
            return candidate
    raise FileNotFoundError("the watchparty templates and static folders are not installed")
