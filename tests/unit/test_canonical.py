"""Consent-log events encode canonically (RFC 8785): one byte string per value, whoever computes it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vrm.consent.canonical import _encode, canonical, is_canonical


def test_members_sort_by_utf16_code_units_as_rfc_8785_shows() -> None:
    # RFC 8785, 3.2.3: the emoji (a surrogate pair, D83D...) sorts before U+FB33, unlike by code point.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    names = list(json.loads(canonical(value)))
    assert names == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_no_whitespace_and_only_the_required_escapes() -> None:
    value = {"b": [1, True, None], "a": 'quote " backslash \\ tab \t bell \x07 del \x7f euro \u20ac'}
    assert (
        canonical(value)
        == (
            '{"a":"quote \\" backslash \\\\ tab \\t bell \\u0007 del \x7f euro \u20ac","b":[1,true,null]}'
        ).encode()
    )


@pytest.mark.parametrize("value", [1.5, 2**53, -(2**53), {1: "x"}, "\ud800", {"a": {"b": object()}}])
def test_what_has_no_single_encoding_is_refused(value: object) -> None:
    with pytest.raises(ValueError):
        canonical(value)


unicode_text = st.text(st.characters(blacklist_categories=("Cs",)))  # lone surrogates: refused above
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | unicode_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(unicode_text, children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_any_event_value_round_trips_and_encodes_the_same_after_a_round_trip(value: object) -> None:
    encoded = canonical(value)
    assert json.loads(encoded) == value
    assert canonical(json.loads(encoded)) == encoded


any_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(any_values)
def test_the_fast_encoder_agrees_with_the_exact_one_on_everything(value: object) -> None:
    try:
        exact = _encode(value).encode()
    except ValueError:
        with pytest.raises(ValueError):
            canonical(value)
    else:
        assert canonical(value) == exact


@pytest.mark.parametrize(
    ("encoded", "holds"),
    [
        (b'{"a":1,"b":"x"}', True),
        (b'{"a":"1.5 at 10:30, [1e3]"}', True),  # number-like text inside a string
        ('{"a":"\u20ac"}'.encode(), True),
        (b'{"b":1,"a":2}', False),  # members out of order
        (b'{"a": 1}', False),  # whitespace
        (b'{"a":1.5}', False),  # a float
        (b'{"a":[1,1e3]}', False),
        (b'{"a":1.0}', False),
        (b'{"a":9007199254740993}', False),  # beyond 2^53
        (rb'{"a":"\u00e9"}', False),  # an escape JCS does not make
        (rb'{"a":"\/"}', False),
    ],
)
def test_the_verifiers_check_knows_canonical_bytes_from_the_rest(encoded: bytes, holds: bool) -> None:
    assert is_canonical(encoded, json.loads(encoded)) is holds


@given(any_values)
def test_the_verifiers_check_agrees_with_encoding_again(value: object) -> None:
    """For anything an event's bytes may hold, the fast check says what re-encoding exactly would."""
    try:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False, ensure_ascii=False)
    except ValueError:
        return  # NaN and infinity are not JSON: no event's bytes hold them
    encoded = text.encode("utf-8", "surrogatepass")
    try:
        expected = _encode(json.loads(encoded)).encode() == encoded
    except ValueError:
        expected = False
    assert is_canonical(encoded, json.loads(encoded)) is expected
