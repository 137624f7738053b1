"""The customer's interaction history: a filterable timeline, with feedback, notes, hiding, sharing and
deleting on each interaction. Journeys and the customer's own records are in `web.journey_pages`.

Every per-item form carries `back`, the page it was sent from (the filtered timeline at its page, or a
journey): the customer lands back there, at the item. Only the history's own pages are accepted.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from vrm.accounts.businesses import list_businesses
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session
from vrm.vault import interactions as history_service
from vrm.vault.journeys import Journey, journey_channels, list_journeys
from web import words
from web.forms import ConfirmForm, FeedbackForm, NoteForm, TimelineFilterForm, show_errors
from web.login import signed_in_vault

history = Blueprint("history", __name__, url_prefix="/history")
PAGE = 20
JOURNEY_PAGE = re.compile(r"/journeys/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def businesses() -> dict[uuid.UUID, str]:
    return {business.id: business.display_name for business in list_businesses(db_session())}


def company_choices(names: dict[uuid.UUID, str]) -> list[SelectChoice]:
    return [SelectChoice(str(key), name) for key, name in names.items()]


def channel_choices() -> list[SelectChoice]:
    return [SelectChoice(key, name) for key, name in words.CHANNELS.items()]


@history.get("")
@login_required  # type: ignore[untyped-decorator]
def timeline() -> tuple[str, int]:
    return timeline_page(request.args, here())


def here() -> str:
    """This page's address with its query, as a `back` value for the forms on it."""
    return request.full_path.rstrip("?")


def timeline_page(args: MultiDict[str, str], back: str, failed: Any = None) -> tuple[str, int]:
    """Render the timeline for these filters; `failed` is an item's (id, form) that did not pass, shown
    with its errors."""
    names = businesses()
    filters = TimelineFilterForm(formdata=args)
    filters.business.choices = [SelectChoice("", "All companies"), *company_choices(names)]
    filters.channel.choices = [SelectChoice("", "All channels"), *channel_choices()]
    items: list[history_service.Interaction] = []
    older = None
    status = 200 if filters.validate() else 422
    if status == 200:
        try:
            items = history_service.list_interactions(
                db_session(), vault=signed_in_vault(), limit=PAGE + 1, **_criteria(filters, args)
            )
        except ValidationError as error:
            show_errors(filters, error.errors)
            status = 422
    if len(items) > PAGE:
        items, last = items[:PAGE], items[PAGE - 1]
        older = {**args.to_dict(), "before": f"{last.occurred_at.isoformat()}|{last.id}"}
    journeys = list_journeys(db_session(), vault=signed_in_vault())
    return render_template(
        "history.html",
        filters=filters,
        filtered=any(value for key, value in args.items() if key != "before"),
        items=items,
        older=older,
        businesses=names,
        words=words,
        failed=failed,
        back=back,
        confirm=ConfirmForm(),
        feedback_form=_feedback_form,
        journeys={journey.id: journey for journey in journeys},
        journeys_with=_by_business(journeys),
        paths=journey_channels(
            db_session(), vault=signed_in_vault(), journey_ids={i.journey_id for i in items if i.journey_id}
        ),
    ), (422 if failed else status)


def _by_business(journeys: list[Journey]) -> dict[uuid.UUID, list[Journey]]:
    grouped: dict[uuid.UUID, list[Journey]] = {}
    for journey in journeys:
        grouped.setdefault(journey.business_id, []).append(journey)
    return grouped


def _feedback_form(item: history_service.Interaction) -> FeedbackForm:
    """A rating form showing the customer's current rating and comment, if any."""
    rating = str(item.rating) if item.rating else None
    return FeedbackForm(formdata=None, rating=rating, comment=item.feedback_comment)


def _criteria(filters: TimelineFilterForm, args: MultiDict[str, str]) -> dict[str, Any]:
    """Turn the filter form (and the page cursor) into the service's arguments."""
    criteria: dict[str, Any] = {
        "business_id": filters.business.data or None,
        "channel": filters.channel.data or None,
        "include_hidden": args.get("show") == "all",
    }
    if filters.since.data:
        criteria["since"] = datetime.combine(filters.since.data, time.min, UTC)
    if filters.until.data:
        criteria["until"] = datetime.combine(filters.until.data, time.min, UTC) + timedelta(days=1)
    cursor = args.get("before")
    if cursor:
        at, _, last_id = cursor.partition("|")
        criteria["before"] = (at, last_id)
    return criteria


@history.post("/<interaction_id>/feedback")
@login_required  # type: ignore[untyped-decorator]
def feedback(interaction_id: str) -> Response | tuple[str, int]:
    form = FeedbackForm()
    item = own(interaction_id)
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
            return back_to(item)
    return failed_page(item, form)


@history.post("/<interaction_id>/note")
@login_required  # type: ignore[untyped-decorator]
def note(interaction_id: str) -> Response | tuple[str, int]:
    form = NoteForm()
    item = own(interaction_id)
    if form.validate_on_submit():
        history_service.update_interaction(
            db_session(),
            vault=signed_in_vault(),
            interaction_id=item,
            changes={"customer_note": form.note.data},
        )
        flash("Your note is saved.")
        return back_to(item)
    return failed_page(item, form)


@history.post("/<interaction_id>/visibility")
@login_required  # type: ignore[untyped-decorator]
def visibility(interaction_id: str) -> Response:
    item = own(interaction_id)
    hide = request.form.get("hidden") == "true"
    history_service.update_interaction(
        db_session(), vault=signed_in_vault(), interaction_id=item, changes={"hidden": hide}
    )
    flash("Hidden from your timeline." if hide else "Shown on your timeline again.")
    return back_to(item)


@history.post("/<interaction_id>/sharing")
@login_required  # type: ignore[untyped-decorator]
def sharing(interaction_id: str) -> Response:
    """Share an interaction the customer recorded with its company, or stop sharing it."""
    vault = signed_in_vault()
    item = history_service.get_interaction(db_session(), vault=vault, interaction_id=own(interaction_id))
    share = request.form.get("shared") == "true"
    if item.recorded_by != "customer":
        flash("What a company recorded is always theirs to see.")
        return back_to(item.id)
    history_service.update_interaction(
        db_session(), vault=vault, interaction_id=item.id, changes={"shared": share}
    )
    company = businesses().get(item.business_id, "The company")
    flash(f"{company} can now see it." if share else f"Only you can see it now; {company} no longer can.")
    return back_to(item.id)


@history.route("/<interaction_id>/delete", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def delete(interaction_id: str) -> str | Response:
    item = history_service.get_interaction(
        db_session(), vault=signed_in_vault(), interaction_id=own(interaction_id)
    )
    form = ConfirmForm()  # only carries the token onto the page; the app checks it on every POST
    if request.method == "POST":
        history_service.delete_interaction(db_session(), vault=signed_in_vault(), interaction_id=item.id)
        flash("The interaction is deleted from your history.")
        return redirect(back_target())
    return render_template(
        "delete_interaction.html",
        item=item,
        form=form,
        businesses=businesses(),
        words=words,
        back=back_target(request.args.get("back")),
    )


def own(interaction_id: str) -> uuid.UUID:
    """The id of one of the signed-in customer's interactions; anything else is a 404, whoever owns it."""
    history_service.get_interaction(db_session(), vault=signed_in_vault(), interaction_id=interaction_id)  # type: ignore[arg-type]
    return uuid.UUID(interaction_id)


def back_target(sent: str | None = None) -> str:
    """The page a form was sent from (`back`), if it is the timeline or a journey page; else the timeline.

    Anything else (another site, another path, a path with `..`) is ignored: the redirect stays home.
    """
    raw = request.form.get("back", "") if sent is None else sent
    timeline_path = url_for("history.timeline")
    parts = urlsplit(raw)
    inside = parts.path == timeline_path or JOURNEY_PAGE.fullmatch(parts.path.removeprefix(timeline_path))
    if parts.scheme or parts.netloc or parts.fragment or not inside or not raw.isprintable() or "\\" in raw:
        return timeline_path
    return parts.path + (f"?{parts.query}" if parts.query else "")


def back_to(item: uuid.UUID) -> Response:
    return redirect(back_target() + f"#interaction-{item}")


def failed_page(item: uuid.UUID, form: Any) -> tuple[str, int]:
    """The timeline the form was sent from, showing the item's form with its errors (status 422)."""
    back = back_target()
    return timeline_page(MultiDict(_query(back)), back, failed=(item, form))


def _query(address: str) -> list[tuple[str, str]]:
    parts = urlsplit(address)
    return parse_qsl(parts.query) if parts.path == url_for("history.timeline") else []
