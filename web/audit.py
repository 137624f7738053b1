"""The privacy auditor's workspace (`/audit`): search and export the consent log, report on a business,
and check the log's integrity. Auditors sign in with their token; they see pseudonyms, never personal data."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from vrm.accounts.auditors import end_auditor_session, resume_auditor_session, start_auditor_session
from vrm.accounts.models import Business
from vrm.consent import audit as workspace
from vrm.consent import events
from vrm.consent.checkpoints import latest
from vrm.consent.models import AuditVerification
from vrm.db import utcnow
from vrm.errors import AuthenticationFailed, NotFound, ValidationError
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.vocabulary import DATA_CATEGORIES
from web.forms import AuditorSignInForm, ConfirmForm, show_errors

audit = Blueprint("audit", __name__, url_prefix="/audit")
SESSION_KEY = "auditor_session"  # in the signed cookie, beside (not instead of) any other sign-in
F = TypeVar("F", bound=Callable[..., Any])
HISTORY = 20


def auditor_required(view: F) -> F:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        auditor = resume_auditor_session(db_session(), token=session.get(SESSION_KEY))
        if auditor is None:
            session.pop(SESSION_KEY, None)
            return redirect(url_for("audit.signin"))
        g.auditor = auditor
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


@audit.route("/signin", methods=["GET", "POST"])
def signin() -> str | BaseResponse | tuple[str, int]:
    form = AuditorSignInForm()
    if form.validate_on_submit():
        try:
            token = start_auditor_session(db_session(), token=form.token.data)
        except AuthenticationFailed as error:
            show_errors(form, {"token": error.detail})
        else:
            session.pop(SESSION_KEY, None)
            session[SESSION_KEY] = token
            return redirect(url_for("audit.search"))
        return render_template("audit_signin.html", form=form), 422
    return render_template("audit_signin.html", form=form)


@audit.post("/signout")
def signout() -> BaseResponse:
    end_auditor_session(db_session(), token=session.pop(SESSION_KEY, None))
    return redirect(url_for("audit.signin"))


@audit.get("")
@auditor_required
def search() -> str | tuple[str, int]:
    try:
        filters, handle = workspace.parse_filters(db_session(), request.args)
    except ValidationError as error:
        return _search_page(None, {}, error.errors), 422
    before = request.args.get("before", "")
    page = workspace.search(db_session(), filters, before=int(before) if before.isdigit() else None)
    query = {**filters.query(), **({"business": handle} if handle else {})}
    return _search_page(page, query, {})


@audit.get("/export.<kind>")
@auditor_required
def export(kind: str) -> Response:
    """Every event of the filtered view: JSONL (the exact events, as `vrm log export`) or CSV."""
    if kind not in ("jsonl", "csv"):
        raise NotFound("exports are .jsonl or .csv")
    filters, _ = workspace.parse_filters(db_session(), request.args)
    sessions = runtime().sessions

    def lines() -> Iterator[str]:
        # Its own session, closed when the last line is sent: the request's ends as this view returns.
        with sessions() as session:
            found = workspace.export(session, filters)
            yield from (f"{logged.text}\n" for logged in found) if kind == "jsonl" else _csv(found)

    return Response(
        lines(),
        mimetype="application/x-ndjson" if kind == "jsonl" else "text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="consent-log.{kind}"',
            "Cache-Control": "no-store",
        },
    )


@audit.get("/businesses/<handle>")
@auditor_required
def business(handle: str) -> str:
    found = db_session().scalar(select(Business).where(Business.name == handle))
    if found is None:
        raise NotFound("no business has that handle")
    report = workspace.business_report(db_session(), business_id=found.id)
    return render_template("audit_business.html", business=found, report=report, now=utcnow())


@audit.get("/integrity")
@auditor_required
def integrity() -> str:
    runs = db_session().scalars(
        select(AuditVerification).order_by(AuditVerification.started_at.desc()).limit(HISTORY)
    )
    return render_template(
        "audit_integrity.html", checkpoint=latest(db_session()), runs=runs, form=ConfirmForm()
    )


@audit.post("/integrity/runs")
@auditor_required
def start_run() -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        raise ValidationError({"csrf_token": "the form expired; reload the page"})  # nosec B105
    run = workspace.start_verification(db_session(), auditor_id=g.auditor.id)
    return redirect(url_for("audit.run", run_id=run.id))


@audit.get("/integrity/runs/<uuid:run_id>")
@auditor_required
def run(run_id: uuid.UUID) -> str:
    return render_template("audit_run.html", run=_run(run_id), form=ConfirmForm())


@audit.post("/integrity/runs/<uuid:run_id>/step")
@auditor_required
def step(run_id: uuid.UUID) -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        raise ValidationError({"csrf_token": "the form expired; reload the page"})  # nosec B105
    workspace.verify_step(db_session(), _run(run_id))
    return redirect(url_for("audit.run", run_id=run_id))


def _run(run_id: uuid.UUID) -> AuditVerification:
    found = db_session().get(AuditVerification, run_id)
    if found is None:
        raise NotFound("no such verification run")
    return found


def _search_page(page: workspace.Page | None, query: dict[str, str], errors: dict[str, str]) -> str:
    return render_template(
        "audit_search.html",
        page=page,
        query=query,
        args=request.args,
        errors=errors,
        types=events.TYPES,
        categories=DATA_CATEGORIES,
    )


def _csv(found: Iterator[workspace.Logged]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(workspace.CSV_COLUMNS)
    for logged in found:
        writer.writerow(workspace.csv_row(logged))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
