"""Cost of the encrypted vault against the same service calls storing plaintext.

Both sides run the real services on the same SQLite database and tables; the baseline's vault stores the
very bytes the real one would encrypt, so the ratio is the whole cost of sealing and opening (AES-GCM,
associated data, key unwrap).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench.report import interleaved, line
from vrm import schema
from vrm.accounts.businesses import create_business
from vrm.accounts.customers import create_customer
from vrm.accounts.models import Customer
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker
from vrm.vault.interactions import add_interaction, list_interactions, record_feedback
from vrm.vault.keys import open_vault
from vrm.vault.preferences import create_preferences, get_preferences, update_preferences
from vrm.vault.profile import create_profile, get_profile, update_profile
from vrm.vault.seal import CustomerVault, decode_value, encode_value

INTERACTIONS = 100
ROUNDS = 40
PROFILE = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "display_name": "Ada Lovelace",
    "emails": [{"address": "ada@example.org", "primary": True}, {"address": "ada@work.example"}],
    "phones": [{"number": "+44 20 7946 0958"}],
    "addresses": [
        {"lines": ["12 St James's Square"], "locality": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
    ],
    "language": "en",
    "locale": "en-GB",
    "birth_date": "1985-12-10",
    "attributes": {"tier": "gold"},
}
PREFERENCES = {
    "contact": {"email": {"marketing": True}},
    "preferred_channel": "email",
    "quiet_hours": {"start": "21:00", "end": "08:00", "time_zone": "Europe/London"},
    "frequency_caps": {"email": {"limit": 2, "period": "week"}},
}


class PlaintextVault(CustomerVault):
    """The baseline: the same encoded values, stored without encryption."""

    def seal(self, table: str, column: str, row_id: uuid.UUID, value: Any) -> bytes | None:
        return None if value is None else encode_value(value)

    def open(self, table: str, column: str, row_id: uuid.UUID, blob: bytes | None) -> Any:
        return None if blob is None else decode_value(blob)


def write_vault(session: Session, vault: CustomerVault, business_id: uuid.UUID) -> None:
    """Seal and store a full vault: profile, preferences and 100 interactions with feedback."""
    update_profile(session, vault=vault, changes=PROFILE)
    update_preferences(session, vault=vault, changes=PREFERENCES)
    start = datetime.now(UTC) - timedelta(days=200)
    for number in range(INTERACTIONS):
        interaction = add_interaction(
            session,
            vault=vault,
            business_id=business_id,
            channel=("email", "chat", "voice")[number % 3],
            direction="inbound",
            occurred_at=start + timedelta(days=number),
            subject=f"Question {number}",
            summary="The customer asked about their bill and the agent explained the tariff change.",
            outcome="Resolved on first contact",
        )
        if number % 4 == 0:
            record_feedback(session, vault=vault, interaction_id=interaction.id, rating=4, comment="Helpful")


def read_vault(session: Session, vault: CustomerVault) -> int:
    get_profile(session, vault=vault)
    get_preferences(session, vault=vault)
    return len(list_interactions(session, vault=vault, limit=INTERACTIONS))


def plaintext_customer(session: Session, ring: KeyRing) -> PlaintextVault:
    """Create a customer whose rows, from the first, hold plaintext (same services, same tables)."""
    customer = Customer(id=uuid.uuid4(), email_index=os.urandom(32), email=b"plain@example.org")
    session.add(customer)
    session.flush()
    # Logged under a pseudonym like the sealed one: both sides write the same consent-log events.
    vault = PlaintextVault(customer.id, sealer=None, log_key=ring.log_pseudonym_key)  # type: ignore[arg-type]
    create_profile(session, vault=vault, email="plain@example.org")
    create_preferences(session, vault=vault)
    return vault


def run() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        schema.upgrade(engine)
        sessions = make_sessionmaker(engine)
        ring = KeyRing.generate("development")
        with sessions.begin() as session:
            business_id = create_business(session, name="bench-business").id
            sealed_id = create_customer(session, keyring=ring, email="sealed@example.org").id
            plain = plaintext_customer(session, ring)
            write_vault(session, open_vault(session, keyring=ring, customer_id=sealed_id), business_id)
            write_vault(session, plain, business_id)

        def sealed(session: Session) -> CustomerVault:
            return open_vault(session, keyring=ring, customer_id=sealed_id)  # the unwrap is part of the cost

        def plaintext(session: Session) -> CustomerVault:
            return plain

        reader, writer = _reader(sessions), _writer(sessions, business_id)
        assert reader(sealed)() == reader(plaintext)() == INTERACTIONS
        read_sealed, read_plain = interleaved(reader(sealed), reader(plaintext), rounds=ROUNDS)
        write_sealed, write_plain = interleaved(writer(sealed), writer(plaintext), rounds=ROUNDS // 4)
        engine.dispose()
    label = f"profile + preferences + {INTERACTIONS} interactions"
    return [
        line(f"vault open, {label}", read_sealed, read_plain, goal=1.5),
        line(f"vault seal and write, {label}", write_sealed, write_plain, goal=2.0),
    ]


VaultOf = Callable[[Session], CustomerVault]


def _reader(sessions: sessionmaker[Session]) -> Callable[[VaultOf], Callable[[], int]]:
    def reader(vault_of: VaultOf) -> Callable[[], int]:
        def read() -> int:
            with sessions() as session:
                return read_vault(session, vault_of(session))

        return read

    return reader


def _writer(
    sessions: sessionmaker[Session], business_id: uuid.UUID
) -> Callable[[VaultOf], Callable[[], None]]:
    def writer(vault_of: VaultOf) -> Callable[[], None]:
        def write() -> None:
            with sessions() as session:  # rolled back, so every round writes the same amount
                write_vault(session, vault_of(session), business_id)

        return write

    return writer
