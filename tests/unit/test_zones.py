"""Time-zone names: the current ones people pick from, and what an old name means today."""

from __future__ import annotations

import pytest

from vrm import zones


def test_current_zones_are_the_tz_databases_names_people_live_in() -> None:
    names = {zone.name for zone in zones.current_zones()}
    assert {"America/Argentina/Buenos_Aires", "Asia/Kolkata", "Europe/Kyiv", "Pacific/Auckland"} <= names
    assert not names & {"US/Eastern", "Asia/Calcutta", "Europe/Kiev", "GB", "Etc/UTC", "localtime"}
    assert dict(zones.current_zones())["Pacific/Auckland"] == "NZ"


@pytest.mark.parametrize(
    ("name", "current"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("UTC", "UTC"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("GB", "Europe/London"),
        ("Zulu", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Europe/Vaduz", "Europe/Vaduz"),  # Liechtenstein's own name: current, although it links to Zurich
        ("Nowhere/Special", None),
        ("localtime", None),
        ("Factory", None),
    ],
)
def test_an_old_name_leads_to_the_zone_it_means_now(name: str, current: str | None) -> None:
    assert zones.current_name(name) == current
