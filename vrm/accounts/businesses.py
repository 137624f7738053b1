"""Businesses: the companies customers deal with."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.models import Business
from vrm.errors import Conflict, NotFound

HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")


def create_business(
    session: Session, *, name: str, display_name: str | None = None, website: str | None = None
) -> Business:
    """Register a business under a handle (lower-case letters, digits, dashes).

    Raises:
        ValidationError: the handle, name or website is invalid.
        Conflict: the handle is taken.
    """
    problems = v.Problems()
    if not isinstance(name, str) or not HANDLE.match(name):
        problems.add("name", "must be 3-64 lower-case letters, digits or dashes, e.g. acme-telecom")
    shown = v.text(display_name or name, "display_name", problems, max_length=200, required=True)
    site = v.text(website, "website", problems, max_length=500)
    if site is not None and not site.startswith(("https://", "http://")):
        problems.add("website", "must be an http(s) URL")
    problems.check()
    if session.scalar(select(Business.id).where(Business.name == name)) is not None:
        raise Conflict(f"a business named {name} already exists")
    business = Business(id=uuid.uuid4(), name=name, display_name=shown or name, website=site)
    session.add(business)
    session.flush()
    return business


def get_business(session: Session, *, name: str) -> Business:
    """Raises: NotFound: no business has this handle."""
    business = session.scalar(select(Business).where(Business.name == name))
    if business is None:
        raise NotFound(f"no business named {name}")
    return business


def list_businesses(session: Session) -> list[Business]:
    return list(session.scalars(select(Business).order_by(Business.name)))
