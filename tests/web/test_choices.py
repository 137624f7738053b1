"""The profile's pickers: languages, region formats and time zones by name, valued as the vault keeps them."""

from __future__ import annotations

from datetime import UTC, datetime

from vrm import validation as v
from web import choices

JANUARY = datetime(2027, 1, 15, 12, tzinfo=UTC)  # summer in New Zealand, winter in Argentina's north


def test_languages_read_by_their_own_name_and_english_one() -> None:
    offered = dict(choices.languages())
    assert offered["fr"] == "Français — French"
    assert offered["pt-BR"] == "Português (Brasil) — Brazilian Portuguese"
    assert offered["en"] == "English"
    labels = [label for _, label in choices.languages()]
    assert labels.index("Deutsch — German") < labels.index("English") < labels.index("Français — French")


def test_region_formats_read_as_language_and_region() -> None:
    offered = dict(choices.region_formats())
    assert offered["en-GB"] == "English (United Kingdom)"
    assert offered["fr-CA"] == "French (Canada)"
    assert "en" not in offered  # a language alone is no region format


def test_every_value_offered_is_a_tag_the_vault_keeps_as_it_is() -> None:
    problems = v.Problems()
    for value, _ in [*choices.languages(), *choices.region_formats()]:
        assert v.language_tag(value, "language", problems) == value
    assert not problems.errors


def test_a_stored_tag_without_a_name_stays_selectable() -> None:
    assert choices.languages("x-klingon")[0] == ("x-klingon", "x-klingon")
    assert choices.region_formats("en-GB").count(("en-GB", "English (United Kingdom)")) == 1


def test_time_zones_come_by_region_as_places_with_their_offset() -> None:
    groups = choices.time_zones(now=JANUARY)
    assert [group.label for group in groups][:3] == ["Africa", "America", "Antarctica"]
    assert groups[-1].choices == (("UTC", "UTC (Coordinated Universal Time)"),)
    america = dict(next(group for group in groups if group.label == "America").choices)
    assert america["America/Argentina/Buenos_Aires"] == "Buenos Aires (Argentina) · UTC\N{MINUS SIGN}3"
    apostrophe, minus = "\N{RIGHT SINGLE QUOTATION MARK}", "\N{MINUS SIGN}"
    assert america["America/St_Johns"] == f"St. John{apostrophe}s (Canada) · UTC{minus}3:30"  # CLDR's name
    pacific = dict(next(group for group in groups if group.label == "Pacific").choices)
    assert pacific["Pacific/Auckland"] == "Auckland (New Zealand) · UTC+13"
    offered = {value for group in groups for value, _ in group.choices}
    assert not offered & {"US/Eastern", "Asia/Calcutta", "Europe/Kiev"}  # old names are not offered


def test_a_stored_old_zone_name_stays_selectable_and_says_what_it_means() -> None:
    first = choices.time_zones("Asia/Calcutta", now=JANUARY)[0]
    assert first.choices == (("Asia/Calcutta", "Asia/Calcutta, an older name for Kolkata (India)"),)
