"""Signed webhooks: a business hears when a customer changes their preferences or their consent.

Events are written to an outbox (`webhook_deliveries`) in the same transaction as the change, so none is
lost; `vrm webhooks deliver` sends them, retrying with exponential backoff, so each arrives at least once.
Signatures follow Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`, keyed with the hook's secret. Payloads carry pairwise ids, never personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vrm.consent.models import Grant, Webhook, WebhookDelivery
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.errors import NotFound, ValidationError
from vrm.oauth.clients import redirect_uri_problem
from vrm.oauth.pairwise import subject_for

EVENTS = ("preferences.changed", "consent.changed", "consent.withdrawn")
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about 20 hours of retries before a delivery is given up
BATCH = 50

# (url, headers, body) -> HTTP status; raises OSError when the receiver cannot be reached
Sender = Callable[[str, dict[str, str], bytes], int]


@dataclass(frozen=True)
class Round:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def set_webhook(
    session: Session, *, keyring: KeyRing, business_id: uuid.UUID, url: str
) -> tuple[Webhook, str]:
    """Point the business's webhook at `url` (https); return it with its signing secret.

    Raises:
        ValidationError: the URL is not https (plain http only on a loopback address).
    """
    problem = redirect_uri_problem(url)
    if problem:
        raise ValidationError({"url": problem})
    hook = session.scalar(select(Webhook).where(Webhook.business_id == business_id))
    if hook is None:
        hook = Webhook(id=uuid.uuid4(), business_id=business_id, url=url, secret_version=1)
        session.add(hook)
    hook.url = url
    session.flush()
    return hook, webhook_secret(keyring, hook)


def rotate_webhook_secret(session: Session, *, keyring: KeyRing, business_id: uuid.UUID) -> str:
    """Replace the signing secret (the old one stops verifying at once).

    Raises:
        NotFound: the business has no webhook.
    """
    hook = session.scalar(select(Webhook).where(Webhook.business_id == business_id))
    if hook is None:
        raise NotFound("this business has no webhook")
    hook.secret_version += 1
    session.flush()
    return webhook_secret(keyring, hook)


def webhook_secret(keyring: KeyRing, hook: Webhook) -> str:
    """Derived from the key ring, the hook and its version: nothing secret is stored in the database."""
    raw = hmac.new(
        keyring.webhook_key, hook.id.bytes + hook.secret_version.to_bytes(4, "big"), hashlib.sha256
    )
    return "whsec_" + base64.b64encode(raw.digest()).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def businesses_with_access(session: Session, *, customer_id: uuid.UUID) -> set[uuid.UUID]:
    now = utcnow()
    return set(
        session.scalars(select(Grant.business_id).where(Grant.customer_id == customer_id, Grant.live_at(now)))
    )


def announce(
    session: Session,
    *,
    keyring: KeyRing,
    customer_id: uuid.UUID,
    business_ids: Iterable[uuid.UUID],
    event: str,
) -> int:
    """Queue an event about a customer for each of these businesses that has a webhook; return how many."""
    assert event in EVENTS
    now = utcnow()
    hooks = session.scalars(select(Webhook).where(Webhook.business_id.in_(set(business_ids)))).all()
    for hook in hooks:
        delivery_id = uuid.uuid4()
        sub = subject_for(session, keyring=keyring, business_id=hook.business_id, customer_id=customer_id)
        payload = {"id": str(delivery_id), "type": event, "sub": sub, "occurred_at": now.isoformat()}
        session.add(
            WebhookDelivery(
                id=delivery_id,
                webhook_id=hook.id,
                event=event,
                payload=json.dumps(payload, separators=(",", ":")),
                next_attempt_at=now,
            )
        )
    session.flush()
    return len(hooks)


def deliver_due(sessions: sessionmaker[Session], *, keyring: KeyRing, send: Sender) -> Round:
    """Send every delivery that is due, one transaction each, so a crash loses no state."""
    outcome = Round()
    with sessions() as session:
        due = list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.delivered_at.is_(None),
                    WebhookDelivery.failed_at.is_(None),
                    WebhookDelivery.next_attempt_at <= utcnow(),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(BATCH)
            )
        )
    for delivery_id in due:
        with sessions.begin() as session:
            # Locked (other workers skip it on PostgreSQL) and re-checked: never sent twice at once.
            row = session.scalar(
                select(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .with_for_update(skip_locked=True)
            )
            if row is None or row.delivered_at is not None or row.failed_at is not None:
                continue
            result = _attempt(session, keyring, row, send)
        outcome = Round(
            outcome.delivered + (result == "delivered"),
            outcome.retrying + (result == "retrying"),
            outcome.failed + (result == "failed"),
        )
    return outcome


def _attempt(session: Session, keyring: KeyRing, row: WebhookDelivery, send: Sender) -> str:
    hook = session.get(Webhook, row.webhook_id)
    assert hook is not None  # deliveries cascade with their hook
    now = utcnow()
    timestamp = int(now.timestamp())
    body = row.payload.encode()
    headers = {
        "Content-Type": "application/json",
        "webhook-id": str(row.id),
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(webhook_secret(keyring, hook), str(row.id), timestamp, body),
    }
    row.attempts += 1
    try:
        status = send(hook.url, headers, body)
        row.last_status = f"HTTP {status}"
    except OSError as error:
        status, row.last_status = 0, f"unreachable: {type(error).__name__}"[:200]
    if 200 <= status < 300:
        row.delivered_at = now
        return "delivered"
    if row.attempts >= MAX_ATTEMPTS:
        row.failed_at = now
        return "failed"
    row.next_attempt_at = now + _backoff(row.attempts)
    return "retrying"


def http_send(
    url: str, headers: dict[str, str], body: bytes, *, allow_private: bool = False, timeout: float = 10
) -> int:
    """POST the event; redirects are not followed (the registered URL is the only destination).

    A receiver slower than `timeout` seconds (to connect, or between bytes of its answer) counts as a failed
    attempt: the event is sent again later with the same id, whether or not the receiver went on to take it.

    Unless `allow_private` (development), a URL whose host resolves to a private, loopback, link-local or
    reserved address is refused: a webhook must not let a business make this server call inside its network.
    """
    if not allow_private:
        _refuse_internal(urlsplit(url).hostname or "")
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        raise OSError(str(error)) from error
    return response.status_code


def _refuse_internal(host: str) -> None:
    """Raises: OSError: the host is, or resolves to, an address inside a private network."""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}") from error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise OSError(f"refused: {host} resolves to a non-public address")


def _backoff(attempts: int) -> timedelta:
    wait: timedelta = FIRST_RETRY * (2 ** (attempts - 1))
    return min(wait, LONGEST_WAIT)


def due_count(session: Session, now: datetime | None = None) -> int:
    """How many deliveries wait to be sent now (for the delivery command's progress line)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(
                WebhookDelivery.delivered_at.is_(None),
                WebhookDelivery.failed_at.is_(None),
                WebhookDelivery.next_attempt_at <= (now or utcnow()),
            )
        )
        or 0
    )
