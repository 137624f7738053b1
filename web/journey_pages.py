"""Journeys as the customer shapes them, and what the customer records themselves.

A journey follows one issue with one company across channels. The customer groups interactions with that
company into one (an existing journey or a new one they title), moves one out, retitles it, and records
what happened in their own words ("I called; they promised a refund by Friday"), which the company sees
only if the customer shares it. These routes join the `history` blueprint.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from vrm.errors import NotFound, ValidationError
from vrm.serving.request_scope import db_session, runtime
from vrm.vault import interactions as history_service
from vrm.vault.journeys import (
    Journey,
    get_journey,
    journey_timeline,
    list_journeys,
    move_interaction,
    rename_journey,
    start_journey,
)
from web import words
from web.clock import viewer_zone
from web.forms import ConfirmForm, JourneyChoiceForm, JourneyTitleForm, OwnInteractionForm, show_errors
from web.history import back_to, businesses, channel_choices, company_choices, failed_page, history, own
from web.login import signed_in_vault

OUT, NEW = "none", "new"  # the journey form's choices besides an existing journey's id


@history.get("/journeys/<journey_id>")
@login_required  # type: ignore[untyped-decorator]
def journey(journey_id: str) -> tuple[str, int]:
    return _journey_page(journey_id)


def _journey_page(
    journey_id: str,
    title_form: JourneyTitleForm | None = None,
    record_form: OwnInteractionForm | None = None,
) -> tuple[str, int]:
    """The journey's thread across channels, with its title form and the customer's own record form."""
    vault = signed_in_vault()
    found = get_journey(db_session(), vault=vault, journey_id=journey_id)
    steps = journey_timeline(db_session(), vault=vault, journey_id=found.id)
    failed = title_form is not None or record_form is not None
    return render_template(
        "journey.html",
        journey=found,
        steps=steps,
        summary=words.journey_summary([step.channel for step in steps]),
        company=businesses().get(found.business_id, "the company"),
        businesses=businesses(),
        words=words,
        title_form=title_form or JourneyTitleForm(formdata=None, title=found.title),
        record_form=record_form or _own_form(in_journey=True),
        confirm=ConfirmForm(),
        back=url_for("history.journey", journey_id=found.id),
    ), (422 if failed else 200)


@history.post("/journeys/<journey_id>/title")
@login_required  # type: ignore[untyped-decorator]
def retitle(journey_id: str) -> Response | tuple[str, int]:
    found = get_journey(db_session(), vault=signed_in_vault(), journey_id=journey_id)
    form = JourneyTitleForm()
    if form.validate_on_submit():
        rename_journey(db_session(), vault=signed_in_vault(), journey_id=found.id, title=form.title.data)
        flash("The journey's title is saved.")
        return redirect(url_for("history.journey", journey_id=found.id))
    return _journey_page(journey_id, title_form=form)


@history.post("/journeys/<journey_id>/record")
@login_required  # type: ignore[untyped-decorator]
def record_in_journey(journey_id: str) -> Response | tuple[str, int]:
    """Record an interaction of the customer's own into this journey, with its company."""
    found = get_journey(db_session(), vault=signed_in_vault(), journey_id=journey_id)
    form = _own_form(in_journey=True)
    if form.validate_on_submit() and (saved := _save(form, found.business_id, found.id)) is not None:
        flash("Your record is saved in this journey.")
        return redirect(url_for("history.journey", journey_id=found.id) + f"#interaction-{saved}")
    return _journey_page(journey_id, record_form=form)


@history.route("/new", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def record_own() -> Response | tuple[str, int]:
    """Record an interaction yourself: any company, any channel, optionally into a journey with it."""
    form = _own_form(in_journey=False)
    if request.method == "GET" and request.args.get("business"):
        form.business.data = request.args["business"]
    if form.validate_on_submit():
        saved = _save(form, form.business.data, form.journey.data or None)
        if saved is not None:
            flash("Your record is saved in your history.")
            return redirect(url_for("history.timeline") + f"#interaction-{saved}")
    return render_template("record.html", form=form), (422 if request.method == "POST" else 200)


@history.post("/<interaction_id>/journey")
@login_required  # type: ignore[untyped-decorator]
def move(interaction_id: str) -> Response | tuple[str, int]:
    """Put an interaction into a journey with its company (an existing or a new one), or take it out."""
    item = history_service.get_interaction(
        db_session(), vault=signed_in_vault(), interaction_id=own(interaction_id)
    )
    form = JourneyChoiceForm()
    if form.validate_on_submit():
        try:
            target = _target(form, item)
        except ValidationError as error:
            show_errors(form, {"journey" if k == "journey_id" else k: m for k, m in error.errors.items()})
        else:
            flash(
                "Moved out of its journey."
                if target is None
                else f"Added to “{target.title or 'the journey'}”."
            )
            return back_to(item.id)
    return failed_page(item.id, form)


def _target(form: JourneyChoiceForm, item: history_service.Interaction) -> Journey | None:
    """Move the item as the form says; return the journey it is in now.

    Raises:
        ValidationError: no title for a new journey, or not a journey of the customer's with that company.
    """
    vault, choice = signed_in_vault(), form.journey.data
    if choice == OUT:
        move_interaction(db_session(), vault=vault, interaction_id=item.id, journey_id=None)
        return None
    if choice == NEW:
        if not (form.title.data or "").strip():
            raise ValidationError({"title": "give the new journey a title"})
        target = start_journey(
            db_session(),
            keyring=runtime().keyring,
            vault=vault,
            business_id=item.business_id,
            title=form.title.data,
        )
    else:
        try:
            target = get_journey(db_session(), vault=vault, journey_id=choice, business_id=item.business_id)
        except NotFound:
            raise ValidationError({"journey_id": "choose one of your journeys with this company"}) from None
    move_interaction(db_session(), vault=vault, interaction_id=item.id, journey_id=target.id)
    return target


def _own_form(*, in_journey: bool) -> OwnInteractionForm:
    """The customer's own record form; in a journey, its company and journey are the journey's."""
    form = OwnInteractionForm()
    form.channel.choices = [SelectChoice("", "Choose a channel"), *channel_choices()]
    if in_journey:
        del form.business
        del form.journey
    else:
        names = businesses()
        form.business.choices = [SelectChoice("", "Choose a company"), *company_choices(names)]
        form.journey.choices = [SelectChoice("", "None"), *_journey_choices(names)]
    if not form.is_submitted():
        form.occurred_at.data = datetime.now(viewer_zone()).replace(second=0, microsecond=0)
    return form


def _journey_choices(names: dict[uuid.UUID, str]) -> list[SelectChoice]:
    journeys = list_journeys(db_session(), vault=signed_in_vault())
    return [
        SelectChoice(str(j.id), f"{names.get(j.business_id, 'A company')}: {j.title or 'Untitled journey'}")
        for j in journeys
    ]


def _save(form: OwnInteractionForm, business_id: object, journey_id: object) -> uuid.UUID | None:
    """Record the form's interaction as the customer's own; on a refusal, show why on the form."""
    try:
        saved = history_service.add_interaction(
            db_session(),
            vault=signed_in_vault(),
            business_id=business_id,  # type: ignore[arg-type]
            journey_id=journey_id,  # type: ignore[arg-type]
            channel=form.channel.data,
            direction=form.direction.data,
            occurred_at=form.occurred_at.data,
            subject=form.subject.data,
            summary=form.summary.data,
            outcome=form.outcome.data,
            recorded_by="customer",
            shared=bool(form.shared.data),
        )
    except ValidationError as error:
        errors = dict(error.errors)
        if "journey_id" in errors:
            errors["journey"] = "choose one of your journeys with that company"
            del errors["journey_id"]
        show_errors(form, errors)
        return None
    return saved.id
