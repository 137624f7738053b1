"""Browser sessions end when idle or old, and a stolen database holds no usable token."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.models import WebSession
from vrm.accounts.sessions import IDLE_LIMIT, LIFETIME, list_sessions, resume_session, start_session
from vrm.crypto.keyring import KeyRing


def test_a_token_resumes_its_session_until_it_idles_out(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    row, token = start_session(session, vault=vault, user_agent="Firefox")
    assert resume_session(session, token=token) is row
    row.last_seen_at -= IDLE_LIMIT + timedelta(seconds=1)
    assert resume_session(session, token=token) is None
    assert session.scalars(select(WebSession)).all() == []  # the expired session is gone


def test_an_active_session_still_ends_after_its_lifetime(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    row, token = start_session(session, vault=vault, user_agent=None)
    row.created_at -= LIFETIME + timedelta(seconds=1)
    assert resume_session(session, token=token) is None


def test_only_the_tokens_hash_is_stored(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    row, token = start_session(session, vault=vault, user_agent="Firefox")
    assert token.encode() not in row.token_hash and len(row.token_hash) == 32
    assert b"Firefox" not in (row.user_agent or b"")  # the device description is sealed
    assert list_sessions(session, vault=vault)[0].user_agent == "Firefox"


def test_unknown_or_malformed_tokens_resume_nothing(session: Session, keyring: KeyRing) -> None:
    for token in ("", "x" * 43, "\ud800", None):
        assert resume_session(session, token=token) is None  # type: ignore[arg-type]
