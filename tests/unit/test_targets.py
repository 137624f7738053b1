"""Where a page may send the browser next: a path on this site, and nothing a browser reads as elsewhere."""

from __future__ import annotations

import pytest

from web.targets import local_target


@pytest.mark.parametrize(
    "value",
    [
        "/account",
        "/history?channel=email&show=all",
        "/history/journeys/0b6e9d8c-3c2f-4d53-9a4f-0e8f2b1c7d11?after=x#interaction-1",
        "/oauth/authorize?client_id=c&redirect_uri=https%3A%2F%2Fclient.example%2Fcallback&scope=a+b",
        "/",
    ],
)
def test_a_path_on_this_site_is_kept_as_it_is(value: str) -> None:
    assert local_target(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "/\\evil.com",  # browsers read /\ as //
        "/\\/evil.com",
        "\\\\evil.com",
        "//evil.com",
        "///evil.com",
        "/%5Cevil.com",  # a backslash once decoded
        "/%5cevil.com",
        "/%2F/evil.com",
        "/%2f%2fevil.com",
        "https://evil.com",
        "https:evil.com",
        "javascript:alert(1)",
        "evil.com",
        "/\tevil.com",
        "/\t/evil.com",  # browsers drop tabs and newlines from addresses: //evil.com
        "/\n/evil.com",
        "/\r/evil.com",
        "/%09/evil.com",
        "/%0a/evil.com",
        "/a\x00",
        "/a\u2028b",
        " /account",
        "",
        None,
        5,
        "/history/../signin",
        "/history/%2e%2e/signin",
        "/./account",
    ],
)
def test_anything_a_browser_could_read_as_elsewhere_is_refused(value: object) -> None:
    assert local_target(value) is None


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("/history", True),
        ("/history?channel=voice", True),
        ("/history/journeys/x", True),
        ("/historyx", False),
        ("/histories", False),
        ("/signin", False),
        ("/history/../signin", False),
        ("/history/%2E%2E/signin", False),
        ("/journeys/x", False),
    ],
)
def test_under_keeps_only_paths_below_it(value: str, kept: bool) -> None:
    assert (local_target(value, under="/history") == value) is kept
