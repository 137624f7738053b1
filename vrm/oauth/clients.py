"""OAuth clients: a business's applications, their exact redirect URIs, the scopes they may ask for."""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.consent.scopes import SCOPES, scope_names, scope_text
from vrm.crypto.derive import secret_digest
from vrm.db import utcnow
from vrm.errors import NotFound
from vrm.oauth.models import OAuthClient
from vrm.vault.rows import business_exists
from vrm.vault.vocabulary import PURPOSES

MAX_REDIRECT_URIS = 10
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}  # RFC 8252 §7.3: native apps and development
HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")  # as urlsplit gives it: lower case


def create_client(
    session: Session,
    *,
    business_id: uuid.UUID,
    name: Any,
    redirect_uris: Any,
    scopes: Any = None,
    purpose: Any = "service",
) -> tuple[OAuthClient, str]:
    """Register an application of a business; return it with its secret, which is shown only now.

    Raises:
        ValidationError: naming each bad field (a redirect URI that is not absolute https, a wildcard...).
    """
    problems = v.Problems()
    shown = v.text(name, "name", problems, max_length=200, required=True)
    uris = _redirect_uris(redirect_uris, problems)
    allowed = scope_names(SCOPES if scopes is None else scopes, "scopes", problems)
    v.choice(purpose, "purpose", problems, PURPOSES)
    if not business_exists(session, business_id):
        problems.add("business", "names no business")
    problems.check()
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(
        id=uuid.uuid4(),
        client_id="vrm_" + secrets.token_urlsafe(18),
        secret_hash=secret_digest(secret),
        business_id=business_id,
        name=shown,
        purpose=purpose,
        redirect_uris="\n".join(uris),
        scopes=scope_text(allowed),
    )
    session.add(client)
    session.flush()
    return client, secret


def find_client(session: Session, *, client_id: object) -> OAuthClient | None:
    if not v.is_text(client_id) or len(client_id) > 64:  # type: ignore[arg-type]
        return None
    return session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def check_secret(client: OAuthClient, secret: object) -> bool:
    """Whether the secret is the client's, compared in constant time."""
    candidate = secret_digest(secret) if v.is_text(secret) else b""  # type: ignore[arg-type]
    return hmac.compare_digest(client.secret_hash, candidate)


def rotate_secret(session: Session, *, client_id: object, business_id: uuid.UUID) -> str:
    """Replace a client's secret (the old one stops working at once); return the new one.

    Raises:
        NotFound: the business has no such client.
    """
    client = find_client(session, client_id=client_id)
    if client is None or client.business_id != business_id:
        raise NotFound("no such client")
    secret = secrets.token_urlsafe(32)
    client.secret_hash, client.secret_rotated_at = secret_digest(secret), utcnow()
    session.flush()
    return secret


def redirect_uris_of(client: OAuthClient) -> list[str]:
    return client.redirect_uris.split("\n")


def _redirect_uris(value: Any, problems: v.Problems) -> list[str]:
    uris = [value] if isinstance(value, str) else value
    if not isinstance(uris, list | tuple) or not uris or len(uris) > MAX_REDIRECT_URIS:
        problems.add("redirect_uris", f"must be 1 to {MAX_REDIRECT_URIS} absolute URIs")
        return []
    for index, uri in enumerate(uris):
        reason = redirect_uri_problem(uri)
        if reason:
            problems.add(f"redirect_uris[{index}]", reason)
    return list(dict.fromkeys(uris))


def redirect_uri_problem(uri: object) -> str | None:
    """Why a redirect URI may not be registered (RFC 9700 §2.1, §4.1), or None when it may."""
    if not v.is_text(uri) or not 0 < len(uri) <= 500:  # type: ignore[arg-type]
        return "must be a URI of at most 500 characters"
    assert isinstance(uri, str)
    if any(ch.isspace() or ord(ch) < 0x21 or ord(ch) > 0x7E for ch in uri) or "*" in uri:
        return "must be a plain ASCII URI without spaces or wildcards"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return "is not a valid URI"
    if parts.fragment or "#" in uri:
        return "must not have a fragment"
    if parts.username or parts.password:
        return "must not carry credentials"
    if host is None or not HOST.fullmatch(host):
        # Also what a browser can be told a consent form may lead to (CSP form-action): no IPv6 literal.
        return "must name its host by a DNS name or an IPv4 address (for loopback, 127.0.0.1 or localhost)"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    return "must be an https URI (plain http only for 127.0.0.1 or localhost)"


def list_clients(session: Session, *, business_id: uuid.UUID) -> list[OAuthClient]:
    return list(
        session.scalars(
            select(OAuthClient).where(OAuthClient.business_id == business_id).order_by(OAuthClient.created_at)
        )
    )
