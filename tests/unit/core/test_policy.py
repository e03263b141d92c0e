"""THE permission table: every action against every role and control mode (pure, no I/O)."""

from __future__ import annotations

import pytest

from watchparty.core.policy import (
    CONTROLS,
    POLICY,
    ROLES,
    Action,
    Control,
    allows,
    grants,
    may_act_on,
    outranked,
    refusal,
    role_of,
)


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
def test_who_controls_playback_in_each_mode(control: Control, allowed: set[str]) -> None:
    assert control in CONTROLS
    for role in ROLES:
        assert allows("control", role, control) is (role in allowed)


@pytest.mark.parametrize("control", CONTROLS)
def test_moderation_is_for_the_owner_and_moderators_whatever_the_mode(control: Control) -> None:
    moderation: tuple[Action, ...] = (
        "delete_chat",
        "kick",
        "mute",
        "ban",
        "unban",
        "set_control",
        "set_queue_mode",
    )
    for action in moderation:
        assert {r for r in ROLES if allows(action, r, control)} == {"owner", "moderator"}
    owners: tuple[Action, ...] = ("edit_room", "set_access", "delete_room")
    for action in owners:
        assert {r for r in ROLES if allows(action, r, control)} == {"owner"}


def test_moderation_acts_only_below_ones_rank() -> None:
    assert may_act_on("kick", "moderator", "member")
    assert may_act_on("kick", "moderator", "guest")
    assert not may_act_on("kick", "moderator", "moderator")
    assert not may_act_on("ban", "moderator", "owner")
    assert may_act_on("ban", "owner", "moderator")
    assert not may_act_on("mute", "member", "guest")  # not allowed at all
    assert may_act_on("unban", "moderator", "owner")  # no target rank in the rule


def test_refusals_say_who_may() -> None:
    assert "signed-in members" in refusal("control", "members")
    assert "owner and moderators" in refusal("control", "owner")
    assert refusal("delete_room") == "only the room's owner may delete the room"
    assert refusal("kick") == "only the owner and moderators may kick members"
    assert outranked("ban") == "you cannot ban members of your rank or above"


@pytest.mark.parametrize("control", CONTROLS)
def test_grants_are_the_table_seen_by_role(control: Control) -> None:
    table = grants(control)
    assert set(table) == set(ROLES)
    for role in ROLES:
        assert table[role]["may"] == [a for a in POLICY if allows(a, role, control)]
    assert table["owner"]["rank"] > table["moderator"]["rank"] > table["member"]["rank"]
    assert ("control" in table["guest"]["may"]) is (control == "everyone")
