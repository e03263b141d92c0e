"""``python -m watchparty.probe``: exit 0 when this machine's server answers ``/healthz``.

The container's HEALTHCHECK, in Python because slim images have no curl; it asks the port the
server was given (``PORT``) on loopback, so it checks this container and nothing else.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4.0


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8080')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return 0 if response.status == 200 else 1
    except (OSError, urllib.error.URLError) as error:
        print(f"watchparty: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
