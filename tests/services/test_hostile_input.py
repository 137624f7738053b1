"""Whatever a client sends, a service accepts it or raises ValidationError naming fields: never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.customers import authenticate, create_customer, find_customer
from vrm.crypto.keyring import KeyRing
from vrm.errors import ValidationError, VrmError
from vrm.vault.interactions import (
    add_interaction,
    delete_interaction,
    get_interaction,
    list_interactions,
    record_feedback,
    update_interaction,
)
from vrm.vault.journeys import rename_journey
from vrm.vault.preferences import FIELDS as PREFERENCE_FIELDS
from vrm.vault.preferences import set_override, update_preferences
from vrm.vault.profile import FIELDS as PROFILE_FIELDS
from vrm.vault.profile import get_profile, update_profile
from vrm.vault.vocabulary import CHANNELS, DATA_CATEGORIES, PURPOSES

WORDS = st.sampled_from(
    [
        *CHANNELS,
        *PURPOSES,
        *DATA_CATEGORIES,
        "start",
        "end",
        "time_zone",
        "limit",
        "period",
        "address",
        "number",
        "lines",
        "locality",
        "country",
        "label",
        "primary",
    ]
)
# Text from the whole code space, lone surrogates included (JSON can carry "\ud800").
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=20)
AWKWARD = st.sampled_from(
    [
        "22:00",
        "Europe",
        "Europe/Paris",
        "../../etc/passwd",
        "+33612345678",
        "a@example.org",
        "FR",
        "FR\n",
        "1990-01-01",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2020-01-01T10:00:00",
        "day",
        "\ud800",
        "a\udfffb",
        "false",
        str(uuid.uuid4()),
        "not-a-uuid",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | ANY_TEXT
    | AWKWARD
    | st.datetimes()
    | st.datetimes(timezones=st.timezones())
    | st.dates()
    | st.uuids()
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS | ANY_TEXT, inner, max_size=3),
    max_leaves=10,
)
HOSTILE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def accepts_or_names_fields(call: Any) -> None:
    """The call succeeds or fails with a client error (4xx); a validation error names its fields."""
    try:
        call()
    except VrmError as error:
        assert error.status < 500, error
        if isinstance(error, ValidationError):
            assert error.errors and all(isinstance(field, str) and field for field in error.errors)


@HOSTILE
@given(st.dictionaries(st.sampled_from(PROFILE_FIELDS) | st.text(max_size=8), JSON, max_size=4))
def test_profile_update_survives_any_input(
    session: Session, keyring: KeyRing, changes: dict[str, Any]
) -> None:
    _, vault = factories.customer(session, keyring)
    accepts_or_names_fields(lambda: update_profile(session, vault=vault, changes=changes))
    get_profile(session, vault=vault)  # whatever happened, the vault still opens


@HOSTILE
@given(st.dictionaries(st.sampled_from(PREFERENCE_FIELDS) | ANY_TEXT, JSON, max_size=4) | JSON)
def test_preferences_update_survives_any_input(
    session: Session, keyring: KeyRing, changes: dict[str, Any]
) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    accepts_or_names_fields(lambda: update_preferences(session, vault=vault, changes=changes))
    accepts_or_names_fields(lambda: set_override(session, vault=vault, business_id=shop.id, settings=changes))


@HOSTILE
@given(JSON, JSON, JSON, JSON, JSON, JSON)
def test_interaction_input_survives_any_values(
    session: Session,
    keyring: KeyRing,
    channel: Any,
    direction: Any,
    occurred_at: Any,
    subject: Any,
    rating: Any,
    comment: Any,
) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    accepts_or_names_fields(
        lambda: add_interaction(
            session,
            vault=vault,
            business_id=shop.id,
            channel=channel,
            direction=direction,
            occurred_at=occurred_at,
            subject=subject,
            summary=comment,
            outcome=comment,
        )
    )
    interaction = factories.interaction(session, vault, shop)
    accepts_or_names_fields(
        lambda: record_feedback(
            session, vault=vault, interaction_id=interaction.id, rating=rating, comment=comment
        )
    )
    accepts_or_names_fields(lambda: list_interactions(session, vault=vault, channel=channel, limit=rating))
    accepts_or_names_fields(
        lambda: list_interactions(
            session,
            vault=vault,
            business_id=direction,
            journey_id=channel,
            since=occurred_at,
            until=subject,
            before=(occurred_at, subject),
        )
    )
    accepts_or_names_fields(
        lambda: add_interaction(
            session,
            vault=vault,
            business_id=subject,
            journey_id=direction,
            channel="email",
            direction="inbound",
            occurred_at="2024-05-01T10:00:00+00:00",
            subject="Hello",
        )
    )
    for lookup in (get_interaction, delete_interaction):
        accepts_or_names_fields(lambda: lookup(session, vault=vault, interaction_id=subject))  # noqa: B023
    accepts_or_names_fields(
        lambda: update_interaction(session, vault=vault, interaction_id=interaction.id, changes=channel)
    )


@HOSTILE
@given(JSON, JSON)
def test_sign_up_and_sign_in_survive_any_values(
    session: Session, keyring: KeyRing, email: Any, password: Any
) -> None:
    accepts_or_names_fields(lambda: create_customer(session, keyring=keyring, email=email, password=password))
    accepts_or_names_fields(lambda: authenticate(session, keyring=keyring, email=email, password=password))
    accepts_or_names_fields(lambda: find_customer(session, keyring=keyring, email=email))


@pytest.mark.parametrize(
    "call",
    [
        lambda s, vault: update_profile(s, vault=vault, changes={"given_name": "\ud800"}),
        lambda s, vault: update_profile(s, vault=vault, changes={"attributes": {"\ud800": "x"}}),
        lambda s, vault: update_profile(s, vault=vault, changes=None),
        lambda s, vault: update_profile(s, vault=vault, changes=["given_name"]),
        lambda s, vault: update_profile(
            s, vault=vault, changes={"birth_date": datetime(1990, 1, 1, tzinfo=UTC)}
        ),
        lambda s, vault: update_profile(
            s,
            vault=vault,
            changes={"addresses": [{"lines": ["1 rue"], "locality": "Paris", "country": "FR\n"}]},
        ),
        lambda s, vault: update_profile(
            s, vault=vault, changes={"emails": [{"address": "a@b.org", "primary": "false"}]}
        ),
        lambda s, vault: update_preferences(
            s, vault=vault, changes={"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Europe"}}
        ),
        lambda s, vault: update_preferences(s, vault=vault, changes=None),
        lambda s, vault: set_override(s, vault=vault, business_id="not-a-uuid", settings={}),
        lambda s, vault: list_interactions(s, vault=vault, since=datetime(2020, 1, 1)),
        lambda s, vault: list_interactions(s, vault=vault, until="yesterday"),
        lambda s, vault: rename_journey(s, vault=vault, journey_id=uuid.uuid4(), title="\udfff"),
    ],
    ids=[
        "surrogate-name",
        "surrogate-key",
        "null-body",
        "list-body",
        "datetime-birth",
        "country-newline",
        "primary-as-text",
        "zone-directory",
        "null-preferences",
        "non-uuid-business",
        "naive-since",
        "text-until",
        "surrogate-title",
    ],
)
def test_known_hostile_inputs_are_refused_by_field(session: Session, keyring: KeyRing, call: Any) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(VrmError) as raised:
        call(session, vault)
    assert raised.value.status < 500
    get_profile(session, vault=vault)
