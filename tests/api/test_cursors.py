"""Page cursors of the business API: whatever a client sends as `?cursor=`, the three paged calls answer a
page or a 422 naming the cursor, never a 500; a cursor the API gave out leads to the next page."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.api.conftest import Relationship
from vrm.accounts.models import Business

NOT_A_CURSOR = {"cursor": "is not a cursor this API gave out"}


def cursor(value: Any) -> str:
    """A cursor as the API makes one: base64url (unpadded) of JSON."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def paths(relationship: Relationship) -> list[str]:
    """The three paged calls, one of them about a journey the business opened and recorded in."""
    ring = relationship.app.extensions["vrm"].keyring
    with relationship.database.sessions.begin() as session:
        vault, shop = relationship.vault(session), session.get(Business, relationship.business_id)
        assert shop is not None
        journey = factories.journey(session, ring, vault, shop, opened_by="business", reference="C-1")
        factories.interaction(session, vault, shop, journey_id=journey.id)
    return ["/customer/interactions", "/customer/journeys", f"/customer/journeys/{journey.id}"]


UUID = "0b6e9d8c-3c2f-4d53-9a4f-0e8f2b1c7d11"
REFUSED = [
    cursor(["2026-01-05T10:00:00", UUID]),  # a naive time: no zone to compare with
    cursor(["0001-01-01T00:00:00+00:00", UUID]),  # before 1900
    cursor(["9999-12-31T23:00:00-05:00", UUID]),  # beyond the last datetime once in UTC
    cursor(["2026-01-05T10:00:00+00:00", 5]),  # an id that is a number
    cursor([5, UUID]),
    cursor({"at": "2026-01-05T10:00:00+00:00", "id": UUID}),  # an object of two keys
    cursor(["2026-01-05T10:00:00+00:00", UUID, "extra"]),
    cursor(["2026-01-05T10:00:00+00:00", "not-a-uuid"]),
    cursor("just text"),
    "%%%",
    "é",
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
    cursor([[[[[]]]]]),
]


@pytest.mark.parametrize("value", REFUSED)
def test_a_cursor_the_api_did_not_give_out_is_refused_on_every_paged_call(
    client: FlaskClient, relationship: Relationship, paths: list[str], value: str
) -> None:
    token = relationship.token()
    for path in paths:
        answer = relationship.call(client, f"{path}?cursor={value}", token)
        assert answer.status_code == 422, (path, value, answer.get_data(as_text=True))
        assert answer.mimetype == "application/problem+json"
        assert answer.get_json()["errors"] == NOT_A_CURSOR, path


def test_a_well_formed_cursor_pages_on(
    client: FlaskClient, relationship: Relationship, paths: list[str]
) -> None:
    token = relationship.token()
    late = datetime.now(UTC) + timedelta(days=365)
    for path in paths:
        answer = relationship.call(client, f"{path}?cursor={cursor([late.isoformat(), UUID])}", token)
        assert answer.status_code == 200, (path, answer.get_data(as_text=True))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
MOMENTS = st.datetimes(timezones=st.none() | st.timezones()).map(datetime.isoformat)
PAIRS = st.tuples(MOMENTS | JSON, st.uuids().map(str) | JSON).map(list)
RAW = st.text(alphabet=st.characters(codec="ascii"), max_size=40)


def test_no_cursor_answers_500(client: FlaskClient, relationship: Relationship, paths: list[str]) -> None:
    """Arbitrary base64url of arbitrary JSON (and of near-cursors, and plain junk) on each paged call."""
    token = relationship.token()

    @given(value=(JSON | PAIRS).map(cursor) | RAW, path=st.sampled_from(paths))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(value: str, path: str) -> None:
        answer = relationship.call(client, path, token, query_string={"cursor": value})
        assert answer.status_code in (200, 422), (path, value, answer.status_code)
        if answer.status_code == 422:
            assert answer.get_json()["errors"] == NOT_A_CURSOR, (path, value)

    check()
