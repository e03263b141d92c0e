"""The clock ping's quick reader accepts only what the model accepts, with the same values."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from watchparty.core import Rejection, TimePing, validate
from watchparty.core.time_ping import EXACT_INTEGER, read_time_ping

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -0.0, 10, 10.0, 10.000001, EXACT_INTEGER, EXACT_INTEGER + 1, True]),
)
values = st.one_of(numbers, st.none(), st.text(max_size=3), st.booleans(), st.lists(numbers))
keys = st.sampled_from(["client_time", "rtt", "other", "\ud800"])
payloads = st.one_of(
    st.dictionaries(keys, values, max_size=3),
    st.fixed_dictionaries({"client_time": numbers}),
    st.fixed_dictionaries({"client_time": numbers, "rtt": st.one_of(st.none(), numbers)}),
    values,
)


@settings(max_examples=1000)
@given(payloads)
def test_the_quick_reader_agrees_with_the_model(payload: Any) -> None:
    quick = read_time_ping(payload)
    model = validate(TimePing, payload)
    if quick is None:
        return  # left to the model, whatever it says
    assert not isinstance(model, Rejection), (payload, model)
    client_time, rtt = quick
    assert type(client_time) is float
    assert client_time == model.client_time
    assert rtt == model.rtt
    assert rtt is None or type(rtt) is float


def test_the_usual_forms_are_read_quickly() -> None:
    """What the page and the client library send, and the edges of what is allowed."""
    assert read_time_ping({"client_time": 1733600000.25}) == (1733600000.25, None)
    assert read_time_ping({"client_time": 17, "rtt": None}) == (17.0, None)
    assert read_time_ping({"client_time": 1.5, "rtt": 0.042}) == (1.5, 0.042)
    assert read_time_ping({"client_time": 1.5, "rtt": 0}) == (1.5, 0.0)
    assert read_time_ping({"client_time": 1.5, "rtt": 10}) == (1.5, 10.0)


def test_anything_unusual_is_left_to_the_model() -> None:
    unusual: tuple[Any, ...] = (
        None,
        [],
        {},
        {"client_time": True},
        {"client_time": "1"},
        {"client_time": math.nan},
        {"client_time": math.inf},
        {"client_time": EXACT_INTEGER + 1},
        {"client_time": 1.0, "rtt": -0.5},
        {"client_time": 1.0, "rtt": 10.5},
        {"client_time": 1.0, "rtt": False},
        {"client_time": 1.0, "other": 1},
        {"client_time": 1.0, "rtt": None, "other": 1},
    )
    for payload in unusual:
        assert read_time_ping(payload) is None, payload
