"""Reading the contact standing in bulk, resealing the rules a change has cleared, and counting sends.

A batch of 10,000 questions is answered from two indexed queries: the standing rows (is a grant live, and
the customer's contact rules for the business, sealed) and the business's recent sends for frequency caps.
Rows come back as the driver gives them, not as ORM objects or parsed UUIDs: at this size, converting
values costs more than the query.

The rules are sealed under a key derived from the primary key-encryption key, not the customer's data key:
unwrapping 10,000 data keys would cost more than the rest of a batch. It keeps the vault's guarantees: no
plaintext at rest; each value bound to its row (business, customer and pairwise id), so it cannot be moved;
an erased customer's rows deleted with them; and once a key version is retired, whatever it sealed,
backups included, is unreadable, as the data keys it wrapped are. Rules that a change cleared, or sealed
under a retired key, are opened from the vault and sealed back, guarded by `version`, so rules read before
a concurrent change never overwrite it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, time, timedelta
from functools import cache
from itertools import chain
from operator import attrgetter
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Executable,
    String,
    Uuid,
    any_,
    bindparam,
    func,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.types import NULLTYPE

from vrm.consent.models import ContactStanding
from vrm.crypto.envelope import Sealer, key_id_of
from vrm.crypto.keyring import KeyRing
from vrm.db import UTCDateTime
from vrm.errors import KeyRingError
from vrm.vault.keys import open_vaults
from vrm.vault.preferences import ContactRules, contact_rules

LABEL = b"vrm/contact-standing/v1"
AAD_PREFIX = LABEL + b"\x00"
# Sealed rules name a cap's period by its place here: add periods at the end, never reorder.
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


class Rules(NamedTuple):
    """A customer's contact rules for one business, in the compact form decisions read."""

    allowed: dict[str, list[str]]  # channel -> the purposes allowed on it; channels allowing none are absent
    quiet: list[Any] | None  # quiet hours: [start minute of the day, end minute, time zone]
    caps: dict[str, list[Any]]  # channel -> [limit, index of its period in PERIODS]

    @classmethod
    def of(cls, rules: ContactRules) -> Rules:
        allowed = {
            channel: [purpose for purpose, yes in purposes.items() if yes]
            for channel, purposes in rules.contact.items()
            if any(purposes.values())
        }
        quiet = rules.quiet_hours
        window = [_minute(quiet["start"]), _minute(quiet["end"]), quiet["time_zone"]] if quiet else None
        caps = {
            channel: [cap["limit"], list(PERIODS).index(cap["period"])]
            for channel, cap in rules.frequency_caps.items()
            if cap
        }
        return cls(allowed, window, caps)


def standings(
    session: Session, *, keyring: KeyRing, business_id: uuid.UUID, subjects: Sequence[str], now: datetime
) -> Iterator[tuple[str, Any, Rules | None]]:
    """Yield (pairwise id, customer id as the driver gives it, rules) for each customer the business knows
    under one of `subjects`; rules are None when no grant to the business is live. Others are left out.
    `customer_uuid` makes a UUID of the customer id when one is needed.

    Rows stream from the cursor and each is done with before the next: a batch keeps no per-customer
    objects alive, so it neither grows memory nor keeps waking the garbage collector.

    Raises:
        IntegrityError: a sealed value was altered or moved.
    """
    dialect = session.get_bind().dialect.name
    params = {"business_id": business_id, "subjects": _batch(dialect, subjects), "now": now}
    stale: list[tuple[str, Any, int]] = []
    sealers = _Sealers(keyring)
    aad = _aad_maker(business_id, dialect)
    rows = session.connection().execute(_lookup(dialect), params)
    # Fetched a thousand at a time (one driver call each), each row done with before the next.
    for subject, customer_id, consenting, sealed, version in chain.from_iterable(rows.partitions(1000)):
        if not consenting:
            yield subject, customer_id, None
            continue
        sealer = sealers[key_id_of(sealed)] if sealed is not None else None
        if sealer is None:
            stale.append((subject, customer_id, version))
            continue
        yield subject, customer_id, Rules(*orjson.loads(sealer.open(sealed, aad(customer_id, subject))))
    if stale:
        yield from _reseal(session, keyring=keyring, business_id=business_id, stale=stale)


def sent_counts(
    session: Session, *, business_id: uuid.UUID, subjects: Sequence[str], now: datetime
) -> dict[tuple[str, str], tuple[int, ...]]:
    """How many messages the business sent each of these customers on each channel in the rolling day,
    week and month before `now` (in the order of PERIODS): its outbound interactions, by (pairwise id,
    channel). Pairs with none are left out. What the customer recorded and keeps to themselves does not
    count: a deny must not tell the business of a record it may not see."""
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"business_id": business_id, "subjects": _batch(dialect, subjects)}
    params.update({period: now - length for period, length in PERIODS.items()})
    return {
        (subject, channel): tuple(map(int, sums))
        for subject, channel, *sums in session.connection().execute(_counting(dialect), params)
    }


def _batch(dialect: str, subjects: Sequence[str]) -> Any:
    # One parameter for the whole batch (an array, or JSON on SQLite): no 10,000-placeholder statements.
    return list(subjects) if dialect == "postgresql" else orjson.dumps(list(subjects)).decode()


def _asked(dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return ContactStanding.subject == any_(bindparam("subjects", type_=ARRAY(String)))
    subjects: BindParameter[Any] = bindparam("subjects")
    return ContactStanding.subject.in_(select(func.json_each(subjects).table_valued("value").c.value))


@cache
def _lookup(dialect: str) -> Executable:
    now = bindparam("now", type_=UTCDateTime())
    return select(
        ContactStanding.subject,
        # Untyped: passed on as the driver returns them, with no per-row conversion.
        type_coerce(ContactStanding.customer_id, NULLTYPE),
        type_coerce(ContactStanding.consent_until > now, NULLTYPE),
        type_coerce(ContactStanding.rules, NULLTYPE),
        ContactStanding.version,
    ).where(ContactStanding.business_id == bindparam("business_id"), _asked(dialect))


@cache
def _counting(dialect: str) -> Executable:
    """Sums of outbound sends since each of PERIODS' moments, by (pairwise id, channel).

    Driven from the batch's ids: each customer's interactions with the business are read through the
    (customer, business, time) index. SQLite's planner, without statistics, would rather scan all of the
    business's interactions and test each against the batch (seconds instead of milliseconds), so its
    statement fixes the join order with CROSS JOIN.
    """
    sums = ", ".join(f"SUM(CASE WHEN i.occurred_at >= :{period} THEN 1 ELSE 0 END)" for period in PERIODS)
    month = max(PERIODS, key=PERIODS.__getitem__)
    if dialect == "postgresql":
        source, asked = "contact_standing AS s", "s.subject = ANY(:subjects)"
    else:
        source, asked = (
            "json_each(:subjects) AS asked CROSS JOIN contact_standing AS s",
            "s.subject = asked.value",
        )
    # Built from this module's constants only; every value is a bound parameter.
    statement = (
        f"SELECT s.subject, i.channel, {sums} FROM {source} CROSS JOIN interactions AS i "  # noqa: S608  # nosec B608
        f"WHERE {asked} AND s.business_id = :business_id AND i.customer_id = s.customer_id "
        "AND i.business_id = s.business_id AND i.direction = 'outbound' AND i.shared "
        f"AND i.occurred_at >= :{month} GROUP BY s.subject, i.channel"
    )
    return text(statement).bindparams(
        bindparam("business_id", type_=Uuid()),
        bindparam("subjects", type_=ARRAY(String) if dialect == "postgresql" else String()),
        *(bindparam(period, type_=UTCDateTime()) for period in PERIODS),
    )


RESEAL = (
    update(ContactStanding)
    .where(
        ContactStanding.business_id == bindparam("b_business"),
        ContactStanding.subject == bindparam("b_subject"),
        ContactStanding.version == bindparam("b_version"),
    )
    .values(rules=bindparam("b_rules"))
)


def _reseal(
    session: Session, *, keyring: KeyRing, business_id: uuid.UUID, stale: list[tuple[str, Any, int]]
) -> list[tuple[str, Any, Rules | None]]:
    """Open the cleared rules from the vault, answer with them, and store them sealed for next time."""
    ids = {customer_id: customer_uuid(customer_id) for _, customer_id, _ in stale}
    vaults = open_vaults(session, keyring=keyring, customer_ids=ids.values())
    opened = contact_rules(session, vaults=vaults, business_id=business_id)
    keyring.refresh()  # seal under the primary key as it is now, should another process have rotated
    sealer = keyring.derived_sealer(LABEL, keyring.primary)
    aad = _aad_maker(business_id, session.get_bind().dialect.name)
    found: list[tuple[str, Any, Rules | None]] = []
    writes = []
    for subject, customer_id, version in stale:
        from_vault = opened.get(ids[customer_id])  # None: erased meanwhile, nothing left to decide from
        rules = Rules.of(from_vault) if from_vault is not None else None
        found.append((subject, customer_id, rules))
        if rules is not None:
            sealed = sealer.seal(orjson.dumps(list(rules)), aad(customer_id, subject))
            writes.append(
                {"b_business": business_id, "b_subject": subject, "b_version": version, "b_rules": sealed}
            )
    if writes:
        try:
            with session.begin_nested():
                session.connection().execute(RESEAL, writes)
        except OperationalError:
            # SQLite only: another request is writing, and a transaction that has read cannot wait for it.
            # The answers stand (they came from the vault); the next batch reseals instead.
            pass
    return found


class _Sealers(dict[int, Sealer | None]):
    """The sealers that open stored rules, by key version; None for a retired one (those are resealed)."""

    def __init__(self, keyring: KeyRing) -> None:
        super().__init__()
        self.keyring = keyring

    def __missing__(self, key_id: int) -> Sealer | None:
        try:
            sealer: Sealer | None = self.keyring.derived_sealer(LABEL, key_id)
        except KeyRingError:
            sealer = None
        self[key_id] = sealer
        return sealer


def _aad_maker(business_id: uuid.UUID, dialect: str) -> Callable[[Any, str], bytes]:
    """Bind rules to their row: business, customer (as the database returns the id) and pairwise id."""
    prefix = AAD_PREFIX + business_id.bytes
    # PostgreSQL returns ids as UUIDs, SQLite as the stored hex.
    id_bytes: Callable[[Any], bytes] = attrgetter("bytes") if dialect == "postgresql" else bytes.fromhex

    def aad(customer_id: Any, subject: str) -> bytes:
        return prefix + id_bytes(customer_id) + subject.encode()

    return aad


def customer_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


def _minute(clock: str) -> int:
    moment = time.fromisoformat(clock)
    return moment.hour * 60 + moment.minute
