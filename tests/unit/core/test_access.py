"""Who may enter a room, pure: visibility, password and invites, with property tests of what
an invite promises (it never admits more people than its uses; the same person again never
uses it up)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from watchparty.core.access import Door, Invite, enter, live_invites, use
from watchparty.core.errors import Rejection

NOW = 1_000.0


def code(verdict: object) -> str | None:
    return verdict.code if isinstance(verdict, Rejection) else None


def test_an_unlisted_or_public_room_without_a_password_is_open() -> None:
    for visibility in ("public", "unlisted"):
        door = Door(visibility=visibility)
        assert enter(door, trusted=False, key="guest:a", invite=None, now=NOW) == "open"


def test_a_password_is_asked_of_everyone_but_the_trusted_and_invited() -> None:
    door = Door(has_password=True, invites=(Invite("tok", NOW),))
    assert enter(door, trusted=False, key="guest:a", invite=None, now=NOW) == "password"
    assert enter(door, trusted=True, key="user:o", invite=None, now=NOW) == "open"
    assert isinstance(enter(door, trusted=False, key="guest:a", invite="tok", now=NOW), Invite)


def test_a_private_room_refuses_strangers_and_admits_invites_and_the_allowed() -> None:
    door = Door(visibility="private", invites=(Invite("tok", NOW),))
    assert code(enter(door, trusted=False, key="guest:a", invite=None, now=NOW)) == "room_private"
    assert enter(door, trusted=True, key="user:u", invite=None, now=NOW) == "open"
    assert isinstance(enter(door, trusted=False, key="guest:a", invite="tok", now=NOW), Invite)


def test_unknown_expired_and_used_up_invites_are_refused_with_their_reason() -> None:
    door = Door(
        visibility="private",
        invites=(Invite("old", 0.0, expires_at=NOW), Invite("one", 0.0, uses=1, used_by=("b",))),
    )
    assert code(enter(door, trusted=False, key="a", invite="nope", now=NOW)) == "invite_invalid"
    assert code(enter(door, trusted=False, key="a", invite="old", now=NOW)) == "invite_expired"
    assert code(enter(door, trusted=False, key="a", invite="one", now=NOW)) == "invite_used_up"
    # the person it admitted comes back (a reload) without using it up
    assert isinstance(enter(door, trusted=False, key="b", invite="one", now=NOW), Invite)


def test_live_invites_drop_the_expired() -> None:
    invites = (Invite("a", 0.0, expires_at=NOW), Invite("b", 0.0, expires_at=NOW + 1))
    assert [i.token for i in live_invites(invites, NOW)] == ["b"]


@given(
    uses=st.integers(min_value=1, max_value=5),
    arrivals=st.lists(st.sampled_from([f"k{n}" for n in range(8)]), max_size=30),
)
def test_an_invite_never_admits_more_people_than_its_uses(uses: int, arrivals: list[str]) -> None:
    invites: tuple[Invite, ...] = (Invite("tok", 0.0, uses=uses),)
    admitted: set[str] = set()
    for key in arrivals:
        door = Door(visibility="private", invites=invites)
        verdict = enter(door, trusted=False, key=key, invite="tok", now=NOW)
        if isinstance(verdict, Invite):
            admitted.add(key)
            invites = use(invites, "tok", key)
        else:
            assert code(verdict) == "invite_used_up"
            assert key not in admitted
    assert len(admitted) <= uses
    assert set(invites[0].used_by) == admitted
    assert len(invites[0].used_by) == len(set(invites[0].used_by))  # counted once each
