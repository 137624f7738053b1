"""What the profile's pickers offer: languages and region formats by name (CLDR, through Babel), and time
zones by place, grouped by region. Values stay what the vault stores: BCP 47 tags and IANA zone names.

Each list is built once per process. A value the customer has stored that a list lacks (an old alias, a
tag typed before the pickers existed) is offered too, first, so saving the page never loses it.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel import Locale, localedata
from babel.dates import get_timezone_location

from vrm import zones

ENGLISH = Locale("en")
# The regions of the tz database, in the order the time-zone picker shows them.
ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


class Choice(NamedTuple):
    value: str
    label: str


class Group(NamedTuple):
    label: str
    choices: tuple[Choice, ...]


def languages(stored: str | None = None) -> list[Choice]:
    """Every language CLDR names in English, as 'Français — French', sorted by that name."""
    return _with_stored(_languages(), stored)


def region_formats(stored: str | None = None) -> list[Choice]:
    """Every language-and-region locale, as 'English (United Kingdom)', sorted by that name."""
    return _with_stored(_region_formats(), stored)


def time_zones(stored: str | None = None, *, now: datetime | None = None) -> list[Group]:
    """Current zone names by region ('Buenos Aires (Argentina) · UTC-3'), UTC last; a stored name not
    among them comes first, in a group of its own."""
    moment = now or datetime.now(UTC)
    groups = [
        Group(region, tuple(Choice(name, f"{place} · {utc_offset(name, moment)}") for name, place in places))
        for region, places in _zone_places()
    ]
    groups.append(Group("UTC", (Choice(zones.UTC, "UTC (Coordinated Universal Time)"),)))
    known = {choice.value for group in groups for choice in group.choices}
    if stored and stored not in known:
        current = zones.current_name(stored)
        label = stored if current in (None, stored) else f"{stored}, an older name for {zone_label(current)}"
        groups.insert(0, Group("Your current choice", (Choice(stored, label),)))
    return groups


def zone_label(name: str) -> str:
    """'Auckland (New Zealand)' for a current zone, the name itself for any other."""
    if name == zones.UTC:
        return "UTC"
    return dict(place for _, places in _zone_places() for place in places).get(name, name.replace("_", " "))


def language_label(tag: str | None) -> str | None:
    """The picker's name for a language tag ('Français — French'), the tag itself when it has none."""
    if tag is None:
        return None
    return next((choice.label for choice in _languages() if choice.value == tag), tag)


def utc_offset(name: str, moment: datetime) -> str:
    """'UTC+5:30', 'UTC-3' (with a minus sign), 'UTC+0': the zone's offset from UTC at `moment`."""
    offset = moment.astimezone(ZoneInfo(name)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "\N{MINUS SIGN}" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _with_stored(choices: tuple[Choice, ...], stored: str | None) -> list[Choice]:
    if stored and all(choice.value != stored for choice in choices):
        return [Choice(stored, stored), *choices]
    return list(choices)


def _sort_key(label: str) -> str:
    """Accents and case aside, so that 'Éwé' sorts among the e's."""
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _tag(identifier: str) -> str:
    return identifier.replace("_", "-")


@cache
def _languages() -> tuple[Choice, ...]:
    choices = []
    for identifier in localedata.locale_identifiers():
        english = ENGLISH.languages.get(identifier)
        if english is None:
            continue
        locale = Locale.parse(identifier)
        own = locale.get_display_name(locale) or english
        # Each locale's data is large; dropped at once, the list costs megabytes, not a hundred or more.
        localedata.clear_caches()
        own = own[:1].upper() + own[1:]
        label = own if own.casefold() == english.casefold() else f"{own} — {english}"
        choices.append(Choice(_tag(identifier), label))
    return tuple(sorted(choices, key=lambda choice: _sort_key(choice.label)))


@cache
def _region_formats() -> tuple[Choice, ...]:
    choices = []
    for identifier in localedata.locale_identifiers():
        locale = Locale.parse(identifier)
        if locale.territory and not locale.variant:
            choices.append(Choice(_tag(identifier), locale.get_display_name(ENGLISH) or identifier))
    return tuple(sorted(choices, key=lambda choice: _sort_key(choice.label)))


@cache
def _zone_places() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """For each region, its current zones as (name, 'City (Country)'), sorted by that label."""
    grouped: dict[str, list[tuple[str, str]]] = {region: [] for region in ZONE_REGIONS}
    for zone in zones.current_zones():
        region = zone.name.split("/", 1)[0]
        city = get_timezone_location(zone.name, ENGLISH, return_city=True)
        country = ENGLISH.territories.get(zone.country, zone.country)
        grouped.setdefault(region, []).append((zone.name, city if city == country else f"{city} ({country})"))
    return tuple(
        (region, tuple(sorted(places, key=lambda place: _sort_key(place[1]))))
        for region, places in grouped.items()
        if places
    )
