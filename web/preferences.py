"""The customer's contact and sharing preferences: the rules every company must follow."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from vrm.accounts.businesses import get_business, list_businesses
from vrm.accounts.models import Business
from vrm.consent.webhooks import announce, businesses_with_access
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.preferences import (
    Preferences,
    get_override,
    get_preferences,
    list_overrides,
    preferences_for_business,
    set_override,
    update_preferences,
)
from vrm.vault.profile import get_profile
from vrm.vault.vocabulary import CHANNELS, DATA_CATEGORIES, FREQUENCY_PERIODS, PURPOSES
from web import choices, words
from web.clock import viewer_zone, zone_chosen
from web.forms import ConfirmForm
from web.login import signed_in, signed_in_vault

preferences = Blueprint("preferences", __name__, url_prefix="/preferences")


@preferences.get("")
@login_required  # type: ignore[untyped-decorator]
def show() -> str:
    return _page(_values_of(get_preferences(db_session(), vault=signed_in_vault())), {})


@preferences.post("")
@login_required  # type: ignore[untyped-decorator]
def save() -> Response | tuple[str, int]:
    submitted = _from_form(request.form)
    try:
        update_preferences(db_session(), vault=signed_in_vault(), changes=submitted)
    except ValidationError as error:
        return _page(submitted, error.errors), 422
    announce_preferences_changed()
    flash("Your preferences are saved. Every company must follow them from now on.")
    return redirect(url_for("preferences.show"))


def _page(values: dict[str, Any], errors: dict[str, str]) -> str:
    overridden = set(list_overrides(db_session(), vault=signed_in_vault()))
    language = get_profile(db_session(), vault=signed_in_vault()).language
    return render_template(
        "preferences.html",
        **_form_context(values, errors),
        companies=list_businesses(db_session()),
        overridden=overridden,
        language=choices.language_label(language),
    )


def _form_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """What both preference forms (general and one company's) are drawn from."""
    # Quiet hours not set yet start in the customer's own zone; with none chosen, in the browser's (by
    # static/time-zone.js), or in UTC.
    own_zone = viewer_zone().key if zone_chosen() else None
    zone = (values["quiet_hours"] or {}).get("time_zone") or own_zone or "UTC"
    return {
        "values": values,
        "errors": errors,
        "words": words,
        "channels": CHANNELS,
        "purposes": PURPOSES,
        "categories": DATA_CATEGORIES,
        "periods": FREQUENCY_PERIODS,
        "quiet_zone": zone,
        "quiet_zone_from_browser": not values["quiet_hours"] and own_zone is None,
        "zone_groups": choices.time_zones(zone),
        "input_id": _input_id,
        "confirm": ConfirmForm(),
    }


@preferences.get("/companies/<name>")
@login_required  # type: ignore[untyped-decorator]
def company(name: str) -> str:
    business = get_business(db_session(), name=name)
    effective = preferences_for_business(db_session(), vault=signed_in_vault(), business_id=business.id)
    return _company_page(business, _values_of(effective), {})


@preferences.post("/companies/<name>")
@login_required  # type: ignore[untyped-decorator]
def save_company(name: str) -> Response | tuple[str, int]:
    business = get_business(db_session(), name=name)
    vault = signed_in_vault()
    chosen = _from_form(request.form)
    settings = _differences(get_preferences(db_session(), vault=vault), chosen)
    try:
        set_override(db_session(), vault=vault, business_id=business.id, settings=settings)
    except ValidationError as error:
        return _company_page(business, chosen, error.errors), 422
    announce_preferences_changed(business.id)
    flash(
        f"Your rules for {business.display_name} are saved."
        if settings
        else f"{business.display_name} follows your general preferences."
    )
    return redirect(url_for("preferences.company", name=name))


def _differences(general: Preferences, chosen: dict[str, Any]) -> dict[str, Any]:
    """Only where one company's rules differ from the general ones, so later general changes still
    apply to everything the customer did not single out."""
    # Both are complete (vrm.vault.preferences.complete_contact): every channel and purpose is there.
    contact = {
        c: {p: allowed for p, allowed in chosen["contact"][c].items() if allowed != general.contact[c][p]}
        for c in CHANNELS
    }
    differences = {
        "contact": {c: d for c, d in contact.items() if d},
        "data_sharing": {
            k: on for k, on in chosen["data_sharing"].items() if on != general.data_sharing.get(k)
        },
        # An unticked "different quiet hours" box means: the general ones apply.
        "quiet_hours": chosen["quiet_hours"] if chosen["quiet_hours"] != general.quiet_hours else None,
        # A cap left empty where the general preferences have one means: no limit for this company.
        "frequency_caps": {
            c: cap for c, cap in chosen["frequency_caps"].items() if cap != general.frequency_caps.get(c)
        },
    }
    return {key: value for key, value in differences.items() if value}


def _company_page(business: Business, values: dict[str, Any], errors: dict[str, str]) -> str:
    override = get_override(db_session(), vault=signed_in_vault(), business_id=business.id)
    return render_template(
        "company_preferences.html",
        **_form_context(values, errors),
        business=business,
        own_quiet_hours="quiet_hours" in override or (bool(errors) and values["quiet_hours"] is not None),
        has_override=bool(override),
    )


@preferences.post("/companies/<name>/reset")
@login_required  # type: ignore[untyped-decorator]
def reset_company(name: str) -> Response:
    business = get_business(db_session(), name=name)
    set_override(db_session(), vault=signed_in_vault(), business_id=business.id, settings={})
    announce_preferences_changed(business.id)
    flash(f"{business.display_name} follows your general preferences again.")
    return redirect(url_for("preferences.company", name=name))


def announce_preferences_changed(only: uuid.UUID | None = None) -> None:
    """Tell the companies concerned (through their webhooks) that the rules changed and must be re-read."""
    concerned = businesses_with_access(db_session(), customer_id=signed_in().customer_id)
    announce(
        db_session(),
        keyring=runtime().keyring,
        customer_id=signed_in().customer_id,
        business_ids=concerned if only is None else concerned & {only},
        event="preferences.changed",
    )


def _input_id(error_key: str) -> str:
    """The id of the input a service error is about: `quiet_hours.start` is `quiet_start`, and so on."""
    parts = error_key.split(".")
    if parts[0] == "quiet_hours" and len(parts) == 2:
        return f"quiet_{parts[1]}"
    if parts[0] == "frequency_caps" and len(parts) == 3:
        return f"cap-{parts[1]}-{parts[2]}"
    if parts[0] == "contact" and len(parts) == 3:
        return f"contact-{parts[1]}-{parts[2]}"
    if parts[0] == "data_sharing" and len(parts) == 2:
        return f"share-{parts[1]}"
    return parts[0]


def _values_of(current: Preferences) -> dict[str, Any]:
    return {
        "contact": current.contact,
        "quiet_hours": current.quiet_hours,
        "frequency_caps": current.frequency_caps,
        "preferred_channel": current.preferred_channel,
        "data_sharing": current.data_sharing,
    }


def _from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The whole preferences as the service takes them (an unchecked box sends nothing: it means no)."""
    quiet = None
    if form.get("quiet_hours") == "on":
        quiet = {
            "start": form.get("quiet_start", ""),
            "end": form.get("quiet_end", ""),
            "time_zone": form.get("quiet_time_zone", ""),
        }
    caps: dict[str, Any] = {}
    for channel in CHANNELS:
        limit = form.get(f"cap-{channel}-limit", "").strip()
        caps[channel] = (
            None
            if not limit
            else {
                "limit": int(limit) if limit.isdigit() else limit,
                "period": form.get(f"cap-{channel}-period", ""),
            }
        )
    return {
        "contact": {c: {p: form.get(f"contact-{c}-{p}") == "on" for p in PURPOSES} for c in CHANNELS},
        "quiet_hours": quiet,
        "frequency_caps": caps,
        "preferred_channel": form.get("preferred_channel") or None,
        "data_sharing": {category: form.get(f"share-{category}") == "on" for category in DATA_CATEGORIES},
    }
