"""Who may control a room: every mode against every role (pure, no I/O)."""

from __future__ import annotations

import pytest

from watchparty.core.permissions import CONTROLS, may_control, refusal, role_of


def test_roles() -> None:
    assert role_of(None, "owner", ("mod",)) == "guest"
    assert role_of("owner", "owner", ("mod",)) == "owner"
    assert role_of("mod", "owner", ("mod",)) == "moderator"
    assert role_of("someone", "owner", ("mod",)) == "member"
    assert role_of("someone", None, ()) == "member"  # a room without an owner


@pytest.mark.parametrize(
    ("control", "allowed"),
    [
        ("everyone", {"owner", "moderator", "member", "guest"}),
        ("members", {"owner", "moderator", "member"}),
        ("owner", {"owner", "moderator"}),
    ],
)
def test_each_mode(control: str, allowed: set[str]) -> None:
    assert control in CONTROLS
    for role in ("owner", "moderator", "member", "guest"):
        assert may_control(control, role) is (role in allowed)  # type: ignore[arg-type]


def test_refusals_say_who_may() -> None:
    assert refusal("members").code == "forbidden"
    assert "signed-in members" in refusal("members").message
    assert "owner and moderators" in refusal("owner").message
