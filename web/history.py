"""The customer's interaction history: a filterable timeline, with feedback, notes, hiding, sharing and
deleting on each interaction. Journeys and the customer's own records are in `web.journey_pages`.

Every per-item form carries `back`, the page it was sent from (the filtered timeline at its page, or a
journey): the customer lands back there, at the item. Only the history's own pages are accepted.

The From and To days are days where the customer lives (`web.clock.viewer_zone`): From starts at its
midnight there, To ends at the next midnight there.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
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
from vrm.validation import EARLIEST
from vrm.vault import interactions as history_service
from vrm.vault.threads import journey_channels, journeys_by_id, newest_journeys
from web import words
from web.clock import viewer_zone
from web.forms import ConfirmForm, FeedbackForm, NoteForm, TimelineFilterForm, show_errors
from web.login import signed_in_vault
from web.targets import local_target

history = Blueprint("history", __name__, url_prefix="/history")
PAGE = 20
JOURNEY_PAGE = re.compile(r"/journeys/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FILTERS = ("business", "channel", "since", "until", "show")  # what the timeline's own links carry over
CHOICES = 20  # journeys offered per company on a card: the newest ones
# Days a filter can name: nothing is recorded before 1900, and the day after To must still be a date.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
OUT_OF_RANGE = "Enter a day from 1 January 1900 to 31 December 9998."
OWN_RATING = (
    "This is your own record, so it cannot be rated: ratings are for what a company did. Add a note instead."
)


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
    items, status = _items(filters, args)
    older = None
    if len(items) > PAGE:
        items, last = items[:PAGE], items[PAGE - 1]
        older = {**_filters_of(args), "before": page_cursor(last.occurred_at, last.id)}
    vault, in_journeys = signed_in_vault(), {item.journey_id for item in items if item.journey_id}
    return render_template(
        "history.html",
        filters=filters,
        filtered=bool(_filters_of(args)),
        items=items,
        older=older,
        businesses=names,
        words=words,
        failed=failed,
        back=back,
        confirm=ConfirmForm(),
        feedback_form=_feedback_form,
        journeys=journeys_by_id(db_session(), vault=vault, journey_ids=in_journeys),
        shortlists=newest_journeys(
            db_session(),
            vault=vault,
            per_business=CHOICES,
            business_ids={item.business_id for item in items if item.journey_id is None},
        ),
        paths=journey_channels(db_session(), vault=vault, journey_ids=in_journeys),
    ), (422 if failed else status)


def _items(
    filters: TimelineFilterForm, args: MultiDict[str, str]
) -> tuple[list[history_service.Interaction], int]:
    """The page's interactions (one more than a page, to tell whether there are older ones) and the
    status: 422, with the filter form's errors, when the filters are not ones to search by."""
    if not filters.validate():
        return [], 422
    criteria = _criteria(filters, args)
    if filters.errors:
        return [], 422
    try:
        return history_service.list_interactions(
            db_session(), vault=signed_in_vault(), limit=PAGE + 1, **criteria
        ), 200
    except ValidationError as error:
        show_errors(filters, error.errors)
        return [], 422


def _filters_of(args: MultiDict[str, str]) -> dict[str, str]:
    """The timeline's filters among a request's arguments: nothing else is carried into its links."""
    return {key: args[key] for key in FILTERS if args.get(key)}


def _feedback_form(item: history_service.Interaction) -> FeedbackForm:
    """A rating form showing the customer's current rating and comment, if any."""
    rating = str(item.rating) if item.rating else None
    return FeedbackForm(formdata=None, rating=rating, comment=item.feedback_comment)


def _criteria(filters: TimelineFilterForm, args: MultiDict[str, str]) -> dict[str, Any]:
    """Turn the filter form (and the page cursor) into the service's arguments; a From or To day out of
    range gets its field error instead."""
    criteria: dict[str, Any] = {
        "business_id": filters.business.data or None,
        "channel": filters.channel.data or None,
        "include_hidden": args.get("show") == "all",
    }
    for field, key, days_later in ((filters.since, "since", 0), (filters.until, "until", 1)):
        if field.data is None:
            continue
        if not FIRST_DAY <= field.data <= LAST_DAY:
            field.errors = [*field.errors, OUT_OF_RANGE]
        else:
            criteria[key] = start_of_day(field.data + timedelta(days=days_later))
    cursor = args.get("before")
    if cursor:
        criteria["before"] = cursor_parts(cursor)
    return criteria


def page_cursor(at: datetime, last_id: uuid.UUID) -> str:
    """Where a page of the timeline or of a journey ends, as its links carry it: 'occurred_at|id'."""
    return f"{at.isoformat()}|{last_id}"


def cursor_parts(cursor: str) -> tuple[str, str]:
    """A `page_cursor` taken apart, for the service to check (anything else is refused there)."""
    at, _, last_id = cursor.partition("|")
    return at, last_id


def start_of_day(day: date) -> datetime:
    """The first moment of `day` where the reader lives, in UTC (1900 at the earliest: nothing is older)."""
    # A midnight skipped by a clock change (fold=0) resolves to the first moment the day has there.
    return max(datetime.combine(day, time.min, viewer_zone()).astimezone(UTC), EARLIEST)


@history.post("/<interaction_id>/feedback")
@login_required  # type: ignore[untyped-decorator]
def feedback(interaction_id: str) -> Response | tuple[str, int]:
    """Rate what a company did. The customer's own records are not rated (the page offers no rating on
    them): a rating of one's own note means nothing, and a company that may read ratings would see it."""
    form = FeedbackForm()
    item = history_service.get_interaction(
        db_session(), vault=signed_in_vault(), interaction_id=own(interaction_id)
    )
    if item.recorded_by == "customer":
        form.form_errors.append(OWN_RATING)
    elif form.validate_on_submit():
        try:
            history_service.record_feedback(
                db_session(),
                vault=signed_in_vault(),
                interaction_id=item.id,
                rating=int(form.rating.data),
                comment=form.comment.data,
            )
        except ValidationError as error:
            show_errors(form, error.errors, names={"feedback_comment": "comment"})
        else:
            flash("Thank you: your rating is saved.")
            return back_to(item.id)
    return failed_page(item.id, form)


@history.post("/<interaction_id>/note")
@login_required  # type: ignore[untyped-decorator]
def note(interaction_id: str) -> Response | tuple[str, int]:
    form = NoteForm()
    item = own(interaction_id)
    if form.validate_on_submit():
        try:
            history_service.update_interaction(
                db_session(),
                vault=signed_in_vault(),
                interaction_id=item,
                changes={"customer_note": form.note.data},
            )
        except ValidationError as error:
            show_errors(form, error.errors, names={"customer_note": "note"})
        else:
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
    target = local_target(raw, under=timeline_path)
    parts = urlsplit(target or timeline_path)
    if parts.path != timeline_path and not is_journey_page(parts.path):
        return timeline_path
    return parts.path + (f"?{parts.query}" if parts.query else "")  # without a fragment: the item's is added


def is_journey_page(path: str) -> bool:
    """Whether `path` is a journey's page (/history/journeys/<id>, with the history's own prefix)."""
    timeline_path = url_for("history.timeline")
    return path.startswith(timeline_path + "/") and bool(JOURNEY_PAGE.fullmatch(path[len(timeline_path) :]))


def back_to(item: uuid.UUID) -> Response:
    return redirect(back_target() + f"#interaction-{item}")


def failed_page(item: uuid.UUID, form: Any) -> tuple[str, int]:
    """The timeline the form was sent from, showing the item's form with its errors (status 422)."""
    back = back_target()
    return timeline_page(MultiDict(_query(back)), back, failed=(item, form))


def _query(address: str) -> list[tuple[str, str]]:
    parts = urlsplit(address)
    return parse_qsl(parts.query) if parts.path == url_for("history.timeline") else []
