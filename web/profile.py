"""The customer's profile page: names, several emails, phones and addresses (one primary each), their
preferred language, region format and time zone (picked by name), and birthday."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import Form

from vrm.consent.policy import audience
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session
from vrm.vault.profile import Profile, get_profile, update_profile
from web import choices
from web.forms import ProfileForm, show_errors
from web.login import signed_in_vault
from web.preferences import announce_preferences_changed

profile = Blueprint("profile", __name__, url_prefix="/profile")
LISTS = {"emails": "primary_email", "phones": "primary_phone", "addresses": "primary_address"}
ENTRY_ERROR = re.compile(r"(emails|phones|addresses)\[(\d+)\](?:\.(\w+))?")


@profile.get("")
@login_required  # type: ignore[untyped-decorator]
def show() -> str:
    current = get_profile(db_session(), vault=signed_in_vault())
    return _page(_form_for(current), zone_stored=current.time_zone is not None)


@profile.post("")
@login_required  # type: ignore[untyped-decorator]
def save() -> Response | tuple[str, int]:
    form = ProfileForm()
    if form.validate_on_submit():
        changes, kept = _changes(form)
        vault = signed_in_vault()
        before = get_profile(db_session(), vault=vault).language
        try:
            saved = update_profile(db_session(), vault=vault, changes=changes)
        except ValidationError as error:
            _attach(form, error.errors, kept)
        else:
            if saved.language != before:
                # Companies read it as the preferred language of the preferences: tell them to read again.
                announce_preferences_changed()
            flash("Your profile is saved.")
            return redirect("/profile")
    for name in LISTS:
        if not any(_blank(name, entry.form) for entry in form[name].entries):
            form[name].append_entry()  # always a free row to add one more
    return _page(form), 422


def _page(form: ProfileForm, *, zone_stored: bool = True) -> str:
    """The page; `zone_stored` False: no time zone chosen yet, so the picker offers the browser's."""
    form.language.choices = [("", "No preference"), *choices.languages(form.language.data or None)]
    form.locale.choices = [("", "No preference"), *choices.region_formats(form.locale.data or None)]
    zones = {group.label: list(group.choices) for group in choices.time_zones(form.time_zone.data or None)}
    # Until the customer chooses, none is chosen: saving the profile without JavaScript (which would start
    # the picker at the browser's zone) must not turn the UTC that times show in meanwhile into a choice.
    unchosen = {} if form.time_zone.data else {"Not chosen yet": [("", "Not chosen yet (times show in UTC)")]}
    form.time_zone.choices = {**unchosen, **zones}
    form.time_zone.data = form.time_zone.data or ""
    # Which companies may read each part of the profile now: the consent policy's answer, explained.
    readers = audience(db_session(), vault=signed_in_vault())
    return render_template("profile.html", form=form, audience=readers, zone_stored=zone_stored)


def _form_for(current: Profile) -> ProfileForm:
    """The form filled with the profile, plus one empty row in each list for adding another."""
    data: dict[str, Any] = {
        "given_name": current.given_name,
        "family_name": current.family_name,
        "display_name": current.display_name,
        "language": current.language,
        "locale": current.locale,
        "time_zone": current.time_zone,
        "birth_date": date.fromisoformat(current.birth_date) if current.birth_date else None,
        "emails": [{"address": e["address"], "label": e["label"]} for e in current.emails] + [{}],
        "phones": [{"number": p["number"], "label": p["label"]} for p in current.phones] + [{}],
        "addresses": [{**a, "lines": "\n".join(a["lines"])} for a in current.addresses] + [{}],
    }
    for name, primary in LISTS.items():
        items = getattr(current, name)
        data[primary] = next((i for i, item in enumerate(items) if item.get("primary")), None)
    return ProfileForm(data=data)


def _changes(form: ProfileForm) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The service's changes from the form; `kept` maps each list's entries back to their form rows."""
    changes: dict[str, Any] = {
        name: form[name].data or None
        for name in ("given_name", "family_name", "display_name", "language", "locale", "time_zone")
    }
    changes["birth_date"] = form.birth_date.data.isoformat() if form.birth_date.data else None
    kept: dict[str, list[int]] = {}
    for name, primary_field in LISTS.items():
        entries, kept[name] = [], []
        for row, entry in enumerate(form[name].entries):
            if _blank(name, entry.form):
                continue
            entries.append({**_VALUES[name](entry.form), "primary": row == form[primary_field].data})
            kept[name].append(row)
        changes[name] = entries
    return changes, kept


_VALUES: dict[str, Callable[[Form], dict[str, Any]]] = {
    "emails": lambda f: {"address": f.address.data, "label": f.label.data},
    "phones": lambda f: {"number": f.number.data, "label": f.label.data},
    "addresses": lambda f: {
        "lines": [line.strip() for line in (f.lines.data or "").splitlines() if line.strip()],
        "locality": f.locality.data,
        "region": f.region.data,
        "postal_code": f.postal_code.data,
        "country": f.country.data,
        "label": f.label.data,
    },
}


def _blank(name: str, entry: Form) -> bool:
    return not any((field.data or "").strip() for field in entry if field.name.rsplit("-", 1)[-1] != "label")


def _attach(form: ProfileForm, errors: dict[str, str], kept: dict[str, list[int]]) -> None:
    """Put each service error on the form row and field it is about (`emails[1].address` and so on)."""
    others: dict[str, str] = {}
    for key, message in errors.items():
        match = ENTRY_ERROR.match(key)  # a prefix: "addresses[0].lines[1]" is about addresses[0].lines
        if match is None:
            others[LISTS.get(key, key)] = message  # a list-wide error (two primaries) goes on its choice
            continue
        name, index, sub = match.group(1), int(match.group(2)), match.group(3) or ""
        entry = form[name].entries[kept[name][index]].form
        target = entry[sub] if sub in entry._fields else None
        if target is None:
            others[LISTS[name]] = message
        else:
            target.errors = [*target.errors, message[0].upper() + message[1:] + "."]
    show_errors(form, others)
