"""Public pages: the landing page, and the site's icon where browsers and other clients look for it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, send_from_directory, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from vrm.accounts.businesses import list_businesses
from vrm.serving.request_scope import db_session

ICON_MAX_AGE = 24 * 60 * 60  # seconds
pages = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@pages.get("/")
def home() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    return render_template("home.html", businesses=list_businesses(db_session()))


@pages.get("/favicon.ico")
def favicon() -> Response:
    # Pages link the SVG icon; /favicon.ico is for what asks there unprompted (bookmarks, feed readers...).
    assert pages.static_folder is not None  # set above
    return send_from_directory(
        pages.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=ICON_MAX_AGE
    )
