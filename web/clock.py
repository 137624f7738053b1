"""Times as the customer reads them: in their own time zone, named, never bare UTC.

Every customer page shows a moment through the `when` filter (day and time) or `day` (the day only), and
fills a date input through `date_value`; each converts to `viewer_zone()`, the zone of whoever is reading:
a signed-in customer's chosen one (their profile's), UTC for anyone else (signed-out pages, auditors,
business portal users). A moment may be a datetime (naive ones are UTC, as the database gives them) or an
RFC 3339 string, as signed receipts carry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from markupsafe import Markup

from vrm.serving.request_scope import db_session
from vrm.vault.profile import get_time_zone
from web.choices import zone_label
from web.login import signed_in_vault

UTC_ZONE = ZoneInfo("UTC")
Moment = datetime | str
# Pages of other readers than customers: whoever else is signed in in the same browser, they read UTC.
NOT_CUSTOMER_PAGES = frozenset({"portal", "audit"})


def viewer_zone() -> ZoneInfo:
    """The time zone the reader of this page chose (read once per request)."""
    if not has_request_context():
        return UTC_ZONE
    if "viewer_zone" not in g:
        g.viewer_zone = _chosen_zone()
    zone: ZoneInfo | None = g.viewer_zone
    return zone or UTC_ZONE


def zone_chosen() -> bool:
    """Whether the reader chose a time zone (or times show in UTC because nobody did)."""
    viewer_zone()  # read once per request, like the zone itself
    return has_request_context() and g.get("viewer_zone") is not None


def _chosen_zone() -> ZoneInfo | None:
    if request.blueprint in NOT_CUSTOMER_PAGES or not current_user.is_authenticated:
        return None
    name = get_time_zone(db_session(), vault=signed_in_vault())
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):  # a zone this machine's tz database no longer has
        return None


def viewer_zone_label() -> str:
    """'Auckland (New Zealand)': the reader's zone by place, for saying which zone times are in."""
    return zone_label(viewer_zone().key)


def local(moment: Moment) -> datetime:
    """`moment` in the reader's time zone."""
    instant = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    return aware.astimezone(viewer_zone())


def when(moment: Moment | None) -> Markup:
    """A `<time>` element: '5 Dec 2026, 17:36 GMT' in the reader's zone, the exact instant in `datetime`."""
    if moment is None:
        return Markup("")
    shown = local(moment)
    text = f"{shown.day} {shown:%b %Y, %H:%M} {shown.tzname()}"
    return Markup('<time datetime="{}">{}</time>').format(shown.isoformat(), text)


def day(moment: Moment | None) -> str:
    """'5 December 2026': the day `moment` falls on in the reader's zone."""
    if moment is None:
        return ""
    shown = local(moment)
    return f"{shown.day} {shown:%B %Y}"


def date_value(moment: Moment) -> str:
    """A date input's value (YYYY-MM-DD) for the day `moment` falls on in the reader's zone."""
    return local(moment).date().isoformat()


def install(app: Flask) -> None:
    app.jinja_env.filters.update(when=when, day=day, date_value=date_value)
    app.jinja_env.globals.update(
        viewer_zone=viewer_zone, viewer_zone_label=viewer_zone_label, zone_chosen=zone_chosen
    )
