"""Journeys as the customer shapes them, and what the customer records themselves.

A journey follows one issue with one company across channels. The customer groups interactions with that
company into one (an existing journey or a new one they title), moves one out, retitles it, and records
what happened in their own words ("I called; they promised a refund by Friday"), which the company sees
only if the customer shares it. These routes join the `history` blueprint.

A journey's page shows its thread oldest first, STEPS interactions a page (`?after=` names the last one
before the page, as `occurred_at|id`), so however long a journey grows, a page opens a bounded number.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from vrm import validation as v
from vrm.errors import NotFound, ValidationError
from vrm.serving.request_scope import db_session, runtime
from vrm.vault import interactions as history_service
from vrm.vault.journeys import (
    Journey,
    business_sees,
    get_journey,
    move_interaction,
    rename_journey,
    start_journey,
)
from vrm.vault.threads import journey_channels, journey_timeline, newest_journeys, steps_before
from web import words
from web.clock import day, viewer_zone, viewer_zone_label, zone_chosen
from web.forms import ConfirmForm, JourneyChoiceForm, JourneyTitleForm, OwnInteractionForm, show_errors
from web.history import (
    CHOICES,
    back_target,
    back_to,
    businesses,
    channel_choices,
    company_choices,
    cursor_parts,
    failed_page,
    history,
    is_journey_page,
    own,
    page_cursor,
)
from web.login import signed_in_vault

OUT, NEW = "none", "new"  # the journey form's choices besides an existing journey's id
STEPS = 100  # interactions on one page of a journey
NO_TIME = "enter the day and time it happened"  # plain words for a time the vault could not take


@history.get("/journeys/<journey_id>")
@login_required  # type: ignore[untyped-decorator]
def journey(journey_id: str) -> tuple[str, int]:
    return _journey_page(journey_id, after=request.args.get("after"))


def _journey_page(
    journey_id: str,
    title_form: JourneyTitleForm | None = None,
    record_form: OwnInteractionForm | None = None,
    after: str | None = None,
) -> tuple[str, int]:
    """A page of the journey's thread across channels, with its title form and the customer's own record
    form; a page cursor that is not one shows the thread from its start."""
    vault = signed_in_vault()
    found = get_journey(db_session(), vault=vault, journey_id=journey_id)
    steps, after = _steps(found, after)
    later = None
    if len(steps) > STEPS:
        steps, last = steps[:STEPS], steps[STEPS - 1]
        later = url_for("history.journey", journey_id=found.id, after=page_cursor(last.occurred_at, last.id))
    names = businesses()
    company = names.get(found.business_id, "the company")
    failed = title_form is not None or record_form is not None
    return render_template(
        "journey.html",
        journey=found,
        steps=steps,
        later=later,
        from_start=url_for("history.journey", journey_id=found.id) if after else None,
        summary=words.journey_summary(
            journey_channels(db_session(), vault=vault, journey_ids={found.id}).get(found.id, [])
        ),
        seen=words.journey_seen(company, business_sees(db_session(), vault=vault, journey_id=found.id)),
        company=company,
        businesses=names,
        words=words,
        title_form=title_form or _title_form(company, found.title),
        record_form=record_form or _own_form(in_journey=True),
        confirm=ConfirmForm(),
        back=url_for("history.journey", journey_id=found.id, after=after),
    ), (422 if failed else 200)


def _steps(found: Journey, after: str | None) -> tuple[list[history_service.Interaction], str | None]:
    """One more than a page of the journey's thread after the cursor `after`, and the cursor used: none
    for the start, also in place of one that is not a cursor."""
    if after:
        try:
            page = journey_timeline(
                db_session(),
                vault=signed_in_vault(),
                journey_id=found.id,
                limit=STEPS + 1,
                after=cursor_parts(after),
            )
        except ValidationError:
            pass
        else:
            return page, after
    return journey_timeline(db_session(), vault=signed_in_vault(), journey_id=found.id, limit=STEPS + 1), None


def _title_form(company: str, title: str | None = None, *, sent: bool = False) -> JourneyTitleForm:
    """The journey's title form, saying who can see the title."""
    form = JourneyTitleForm() if sent else JourneyTitleForm(formdata=None, title=title)
    form.title.description = f"Leave it blank for no title. {words.journey_title_seen(company)}"
    return form


@history.post("/journeys/<journey_id>/title")
@login_required  # type: ignore[untyped-decorator]
def retitle(journey_id: str) -> Response | tuple[str, int]:
    """Rename the journey; a title the vault refuses is shown again, as typed, with the reason."""
    found = get_journey(db_session(), vault=signed_in_vault(), journey_id=journey_id)
    form = _title_form(businesses().get(found.business_id, "The company"), sent=True)
    if form.validate_on_submit():
        try:
            rename_journey(db_session(), vault=signed_in_vault(), journey_id=found.id, title=form.title.data)
        except ValidationError as error:
            show_errors(form, error.errors)
        else:
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
        return redirect(_page_holding(saved) + f"#interaction-{saved.id}")
    return _journey_page(journey_id, record_form=form)


def _page_holding(step: history_service.Interaction) -> str:
    """The journey page that shows `step`: the first one, or (far into a long journey) one starting at it."""
    if steps_before(db_session(), vault=signed_in_vault(), step=step) < STEPS:
        return url_for("history.journey", journey_id=step.journey_id)
    # Just before the step: a moment earlier than it, with the largest id there can be.
    just_before = page_cursor(step.occurred_at - timedelta(microseconds=1), uuid.UUID(int=2**128 - 1))
    return url_for("history.journey", journey_id=step.journey_id, after=just_before)


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
            return redirect(url_for("history.timeline") + f"#interaction-{saved.id}")
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
            show_errors(form, error.errors, names={"journey_id": "journey"})
        else:
            if target is None:
                return _moved_out(item.id)
            company = businesses().get(item.business_id, "the company")
            flash(f"Added to “{target.title}”." if target.title else f"Added to the journey with {company}.")
            return back_to(item.id)
    return failed_page(item.id, form)


def _moved_out(item: uuid.UUID) -> Response:
    """Back where the customer was: at the item on the timeline, or on the journey page it just left."""
    back = back_target()
    if is_journey_page(back.partition("?")[0]):
        flash("Moved out of this journey. It stays in your history.")
        return redirect(back)
    flash("Moved out of its journey.")
    return back_to(item)


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
    form.occurred_at.description = (
        f"In your time zone, {viewer_zone_label()}."
        if zone_chosen()
        else "In UTC (Coordinated Universal Time)."
    )
    if in_journey:
        del form.business
        del form.journey
    else:
        names = businesses()
        form.business.choices = [SelectChoice("", "Choose a company"), *company_choices(names)]
        _journey_picker(form, names)
    if not form.is_submitted():
        form.occurred_at.data = datetime.now(viewer_zone()).replace(second=0, microsecond=0)
    return form


def _journey_picker(form: OwnInteractionForm, names: dict[uuid.UUID, str]) -> None:
    """Offer the newest journeys with each company, grouped under its name; static/journey-picker.js shows
    only the chosen company's, and the vault refuses a journey with another company whatever is sent."""
    shortlists = newest_journeys(db_session(), vault=signed_in_vault(), per_business=CHOICES)
    choices = [SelectChoice("", "None")]
    for business_id, name in names.items():
        for found in shortlists[business_id].journeys if business_id in shortlists else []:
            label = f"{found.title or 'Untitled journey'} (started {day(found.created_at)})"
            choices.append(
                SelectChoice(str(found.id), label, {"data-business": str(business_id)}, optgroup=name)
            )
    form.journey.choices = choices
    form.journey.render_kw = {"data-follows": form.business.id}
    cut = (
        " Only your newest journeys with each company are listed."
        if any(shortlist.more for shortlist in shortlists.values())
        else ""
    )
    form.journey.description = (
        "A journey with the company you chose. If you share this record, that company can see the journey "
        f"and its title too.{cut}"
    )


def _save(
    form: OwnInteractionForm, business_id: object, journey_id: object
) -> history_service.Interaction | None:
    """Record the form's interaction as the customer's own; on a refusal, show why on the form."""
    try:
        return history_service.add_interaction(
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
            errors["journey_id"] = "choose one of your journeys with that company"
        if errors.get("occurred_at") not in (None, v.IN_THE_FUTURE):
            errors["occurred_at"] = NO_TIME  # the vault's words are for developers (RFC 3339)
        show_errors(form, errors, names={"journey_id": "journey"})
        return None
