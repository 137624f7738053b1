"""Times as the customer reads them: in their own time zone, named, never bare UTC.

Every customer page shows a moment through the `when` filter (day and time) or `day` (the day only), and
fills a date input through `date_value`; each converts to `viewer_zone()`, the zone of whoever is reading.
A moment may be a datetime (naive ones are UTC, as the database gives them) or an RFC 3339 string, as
signed receipts carry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup

UTC_ZONE = ZoneInfo("UTC")
Moment = datetime | str


def viewer_zone() -> ZoneInfo:
    """The time zone the reader of this page chose."""
    return UTC_ZONE


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
