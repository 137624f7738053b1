"""The customer's interaction history: a filterable timeline, journeys across channels, feedback and notes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from vrm.accounts.businesses import list_businesses
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session
from vrm.vault import interactions as history_service
from web import words
from web.forms import ConfirmForm, FeedbackForm, NoteForm, TimelineFilterForm, show_errors
from web.login import signed_in_vault

history = Blueprint("history", __name__, url_prefix="/history")
PAGE = 20


def _businesses() -> dict[uuid.UUID, str]:
    return {business.id: business.display_name for business in list_businesses(db_session())}


@history.get("")
@login_required  # type: ignore[untyped-decorator]
def timeline() -> tuple[str, int]:
    return _timeline_page()


def _timeline_page(failed: tuple[uuid.UUID, Any] | None = None) -> tuple[str, int]:
    """Render the timeline; `failed` is an item's form that did not pass, shown open with its errors."""
    businesses = _businesses()
    filters = TimelineFilterForm(request.args)
    filters.business.choices = [
        SelectChoice("", "All companies"),
        *(SelectChoice(str(k), v) for k, v in businesses.items()),
    ]
    filters.channel.choices = [
        SelectChoice("", "All channels"),
        *(SelectChoice(k, v) for k, v in words.CHANNELS.items()),
    ]
    items: list[history_service.Interaction] = []
    older = None
    status = 200 if filters.validate() else 422
    if status == 200:
        try:
            items = history_service.list_interactions(
                db_session(), vault=signed_in_vault(), limit=PAGE + 1, **_criteria(filters)
            )
        except ValidationError as error:
            show_errors(filters, error.errors)
            status = 422
    if len(items) > PAGE:
        items, last = items[:PAGE], items[PAGE - 1]
        older = {**request.args.to_dict(), "before": f"{last.occurred_at.isoformat()}|{last.id}"}
    return render_template(
        "history.html",
        filters=filters,
        items=items,
        older=older,
        businesses=businesses,
        words=words,
        failed=failed,
        confirm=ConfirmForm(),
        feedback_form=_feedback_form,
    ), (422 if failed else status)


def _feedback_form(item: history_service.Interaction) -> FeedbackForm:
    """A rating form showing the customer's current rating and comment, if any."""
    rating = str(item.rating) if item.rating else None
    return FeedbackForm(formdata=None, rating=rating, comment=item.feedback_comment)


def _criteria(filters: TimelineFilterForm) -> dict[str, Any]:
    """Turn the filter form (and the page cursor) into the service's arguments."""
    criteria: dict[str, Any] = {
        "business_id": filters.business.data or None,
        "channel": filters.channel.data or None,
        "include_hidden": request.args.get("show") == "all",
    }
    if filters.since.data:
        criteria["since"] = datetime.combine(filters.since.data, time.min, UTC)
    if filters.until.data:
        criteria["until"] = datetime.combine(filters.until.data, time.min, UTC) + timedelta(days=1)
    cursor = request.args.get("before")
    if cursor:
        at, _, last_id = cursor.partition("|")
        criteria["before"] = (at, last_id)
    return criteria


@history.get("/journeys/<journey_id>")
@login_required  # type: ignore[untyped-decorator]
def journey(journey_id: str) -> str:
    vault = signed_in_vault()
    steps = history_service.journey_timeline(db_session(), vault=vault, journey_id=journey_id)  # type: ignore[arg-type]
    titles = {j.id: j.title for j in history_service.list_journeys(db_session(), vault=vault)}
    return render_template(
        "journey.html",
        steps=steps,
        title=titles.get(uuid.UUID(journey_id)),  # a valid id: journey_timeline found it
        summary=words.journey_summary([s.channel for s in steps]),
        businesses=_businesses(),
        words=words,
    )


@history.post("/<interaction_id>/feedback")
@login_required  # type: ignore[untyped-decorator]
def feedback(interaction_id: str) -> Response | tuple[str, int]:
    form = FeedbackForm()
    item = _own(interaction_id)
    if form.validate_on_submit():
        try:
            history_service.record_feedback(
                db_session(),
                vault=signed_in_vault(),
                interaction_id=item,
                rating=int(form.rating.data),
                comment=form.comment.data,
            )
        except ValidationError as error:
            show_errors(
                form, {"comment" if k == "feedback_comment" else k: m for k, m in error.errors.items()}
            )
        else:
            flash("Thank you: your rating is saved.")
            return _back_to(item)
    return _timeline_page(failed=(item, form))


@history.post("/<interaction_id>/note")
@login_required  # type: ignore[untyped-decorator]
def note(interaction_id: str) -> Response | tuple[str, int]:
    form = NoteForm()
    item = _own(interaction_id)
    if form.validate_on_submit():
        history_service.update_interaction(
            db_session(),
            vault=signed_in_vault(),
            interaction_id=item,
            changes={"customer_note": form.note.data},
        )
        flash("Your note is saved.")
        return _back_to(item)
    return _timeline_page(failed=(item, form))


@history.post("/<interaction_id>/visibility")
@login_required  # type: ignore[untyped-decorator]
def visibility(interaction_id: str) -> Response:
    item = _own(interaction_id)
    hide = request.form.get("hidden") == "true"
    history_service.update_interaction(
        db_session(), vault=signed_in_vault(), interaction_id=item, changes={"hidden": hide}
    )
    flash("Hidden from your timeline." if hide else "Shown on your timeline again.")
    return _back_to(item)


@history.route("/<interaction_id>/delete", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def delete(interaction_id: str) -> str | Response:
    item = history_service.get_interaction(
        db_session(), vault=signed_in_vault(), interaction_id=_own(interaction_id)
    )
    form = ConfirmForm()  # only carries the token onto the page; the app checks it on every POST
    if request.method == "POST":
        history_service.delete_interaction(db_session(), vault=signed_in_vault(), interaction_id=item.id)
        flash("The interaction is deleted from your history.")
        return redirect(url_for("history.timeline"))
    return render_template(
        "delete_interaction.html", item=item, form=form, businesses=_businesses(), words=words
    )


def _own(interaction_id: str) -> uuid.UUID:
    """The id of one of the signed-in customer's interactions; anything else is a 404, whoever owns it."""
    history_service.get_interaction(db_session(), vault=signed_in_vault(), interaction_id=interaction_id)  # type: ignore[arg-type]
    return uuid.UUID(interaction_id)


def _back_to(item: uuid.UUID) -> Response:
    return redirect(url_for("history.timeline", show="all") + f"#interaction-{item}")
