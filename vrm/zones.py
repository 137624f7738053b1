"""Time-zone names as the tz database has them now: the current ones people pick from, and where an old
name (a backward-compatible alias such as US/Eastern or Asia/Calcutta) points today.

Both come from the `tzdata` package the project depends on: `zone.tab` lists one current zone per country
and place (with its country), and `tzdata.zi` holds every link from an old name to the zone it now means.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import NamedTuple
from zoneinfo import available_timezones

UTC = "UTC"
# Names in the zoneinfo directory that are files but no time zone anyone lives in.
NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})
UTC_ZONES = frozenset({"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu"})


class Zone(NamedTuple):
    name: str  # the IANA name, e.g. America/Argentina/Buenos_Aires
    country: str  # the ISO 3166 code of the country it is in, e.g. AR


def known_zones() -> frozenset[str]:
    """Every name the tz database resolves now, old aliases included (not `localtime` and the like)."""
    return _known()


def current_zones() -> tuple[Zone, ...]:
    """The current zone names people live in (one or more per country), in `zone.tab`'s order."""
    return _current()


def current_name(name: str) -> str | None:
    """The current name of a zone: itself when current, the zone an old alias links to, UTC for UTC's
    aliases (Etc/UTC, Zulu...); None when the tz database does not know the name at all."""
    if name not in _known():
        return None
    if name == UTC or name in _current_names():
        return name
    target = _links().get(name, name)
    if target in UTC_ZONES:
        return UTC
    return target if target in _known() else name  # the system's database may lack a newer target


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_ZONES


@cache
def _current() -> tuple[Zone, ...]:
    zones = []
    for line in _tzdata_text("zone.tab").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coordinates, name, *_comment = line.split("\t")
        if name in _known():  # the system's tz database may be older than the package's table
            zones.append(Zone(name, country))
    return tuple(zones)


@cache
def _current_names() -> frozenset[str]:
    return frozenset(zone.name for zone in _current())


@cache
def _links() -> dict[str, str]:
    """Old name -> the zone it links to, from the `L target name` lines of tzdata.zi."""
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return links


def _tzdata_text(name: str) -> str:
    return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
