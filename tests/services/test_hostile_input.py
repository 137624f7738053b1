"""Whatever a client sends, a service accepts it or raises ValidationError naming fields: never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests import factories
from vrm.crypto.keyring import KeyRing
from vrm.errors import ValidationError
from vrm.vault.interactions import add_interaction, list_interactions, record_feedback
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
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(["22:00", "Europe/Paris", "+33612345678", "a@example.org", "FR", "1990-01-01", "day"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(WORDS | st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
HOSTILE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def accepts_or_names_fields(call: Any) -> None:
    try:
        call()
    except ValidationError as error:
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
@given(st.dictionaries(st.sampled_from(PREFERENCE_FIELDS) | st.text(max_size=8), JSON, max_size=4))
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
