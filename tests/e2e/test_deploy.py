"""Deploying the way Heroku's Python buildpack does: ``requirements.txt`` alone, on the Python
that ``.python-version`` names, then the Procfile's ``web:`` command.

The buildpack (heroku/heroku-buildpack-python, lib/package_manager.sh) refuses an app whose
only package file is ``setup.py``; with ``requirements.txt`` it runs ``pip install -r
requirements.txt`` and nothing else, so that file must hold every package the server needs.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.processes import wait_healthy
from watchparty.store.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.txt"
# The package manager files the buildpack looks for; it wants exactly one.
PACKAGE_MANAGER_FILES = ("requirements.txt", "Pipfile.lock", "poetry.lock", "uv.lock")
# What pip puts in any virtualenv, locked or not.
VENV_BASE = frozenset({"pip", "setuptools", "wheel"})


def locked() -> dict[str, str]:
    """The lock's exact versions by package name, for this interpreter (markers applied)."""
    versions: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if not line or line[0] in "# -":
            continue
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        pins = [spec for spec in requirement.specifier if spec.operator == "=="]
        assert len(pins) == 1, f"requirements.txt: {line!r} is not one exact version"
        versions[canonicalize_name(requirement.name)] = pins[0].version
    return versions


def declared() -> list[Requirement]:
    """setup.cfg's dependencies and its ``fast`` extra: what the lock is made from."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    lines += config["options.extras_require"]["fast"].splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_the_lock_holds_every_dependency_within_setup_cfg_bounds() -> None:
    versions = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{name} is in setup.cfg but not locked: run bash scripts/lock"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"requirements.txt pins {name}=={versions[name]} outside setup.cfg's "
            f"{requirement.specifier}: run bash scripts/lock"
        )


def test_python_version_names_the_python_the_tests_run_on() -> None:
    named = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", named), "the buildpack wants a major version such as 3.11"
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert named == running, f".python-version says {named}, the tests run on {running}"


def _pushed_files() -> list[str]:
    """The files ``git push`` would send: tracked ones, and new ones git does not ignore."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return [name for name in listing.stdout.decode().split("\0") if name]


def _copy_app(to: Path) -> None:
    for name in _pushed_files():
        source = ROOT / name
        if source.is_file():  # a deleted, not yet committed file is still listed
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)


def _web_command(app: Path) -> list[str]:
    for line in (app / "Procfile").read_text().splitlines():
        kind, _, command = line.partition(":")
        if kind.strip() == "web":
            return shlex.split(command)
    raise AssertionError("the Procfile has no web: process")


# Run inside the deployed virtualenv: the names of every package setup.cfg's requirements
# reach, following each installed package's own requirements.
CLOSURE = """
import json, sys
from importlib import metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
todo = [Requirement(line) for line in json.loads(sys.argv[1])]
seen = set()
while todo:
    requirement = todo.pop()
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        continue
    name = canonicalize_name(requirement.name)
    if name in seen:
        continue
    seen.add(name)
    todo.extend(Requirement(r) for r in metadata.requires(name) or ())
print(json.dumps(sorted(seen)))
"""


def _install(app: Path, venv: Path) -> None:
    """What the buildpack does, then checks that the lock is the whole of what it installed
    and that setup.cfg's requirements still reach all of it."""
    # The buildpack installs with --no-cache-dir; the pip cache is kept here, to spare CI the
    # downloads: what is installed is the same.
    for command in (
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin/pip"), "install", "--quiet", "--no-input", "-r", "requirements.txt"],
        [str(venv / "bin/pip"), "check"],
    ):
        done = subprocess.run(command, cwd=app, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stdout}{done.stderr}"
    python = str(venv / "bin/python")
    listing = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"], check=True, capture_output=True
    )
    installed = {canonicalize_name(p["name"]) for p in json.loads(listing.stdout)} - VENV_BASE
    versions = locked()
    assert installed == set(versions), (
        f"installed beyond the lock: {sorted(installed - set(versions))}; "
        f"locked, not installed: {sorted(set(versions) - installed)}"
    )
    wanted = json.dumps([str(r) for r in declared()])
    reached = subprocess.run([python, "-c", CLOSURE, wanted], check=True, capture_output=True)
    needed = set(json.loads(reached.stdout))
    assert set(versions) - needed == set(), "locked but no longer needed: run bash scripts/lock"


@pytest.mark.timeout(900)
async def test_installs_and_serves_as_the_buildpack_deploys(tmp_path: Path) -> None:
    app = tmp_path / "app"
    _copy_app(app)
    present = [name for name in PACKAGE_MANAGER_FILES if (app / name).exists()]
    assert present == ["requirements.txt"], f"the buildpack wants one package file: {present}"

    venv = tmp_path / "venv"
    await asyncio.to_thread(_install, app, venv)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "MONGODB_URI", "REDIS_URL")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PORT=str(port),
        WATCHPARTY_DATA_DIR=str(tmp_path / "data"),
    )
    command = _web_command(app)
    server = await asyncio.create_subprocess_exec(
        *command,
        cwd=app,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        health = await wait_healthy(f"http://127.0.0.1:{port}")
        assert health["status"] == "ok"
        server.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(server.communicate(), timeout=30)
        assert server.returncode == 0, output.decode()
        assert "uvloop" in output.decode(), "the lock carries [fast]: uvloop should be used"
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
