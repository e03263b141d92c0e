"""The JWT secret in development: generated once and kept in the data folder.

Production requires ``JWT_SECRET`` (settings refuse to start without it). In development a
random secret is written to ``<data_dir>/jwt-secret`` (readable by its owner only), so sessions
survive a restart without anyone choosing a secret.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from watchparty.settings import MIN_JWT_SECRET_BYTES, Settings

log = logging.getLogger(__name__)
SECRET_FILE = "jwt-secret"


def jwt_secret(settings: Settings) -> str:
    if settings.jwt_secret is not None:
        return settings.jwt_secret
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        _create(path)
        log.warning("JWT_SECRET is not set: generated a session secret in %s", path)
    else:
        log.warning("JWT_SECRET is not set: using the session secret kept in %s", path)
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise RuntimeError(f"the session secret in {path} is unusable: delete it or set JWT_SECRET")
    return secret


def _create(path: Path) -> None:
    """Write a new secret to ``path`` whole, unless another process just did (first wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)  # atomic, and refuses to replace a secret already there
    except FileExistsError:
        pass
    finally:
        draft.unlink()
