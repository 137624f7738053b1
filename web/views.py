"""Public pages: the landing page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from vrm.accounts.businesses import list_businesses
from vrm.serving.request_scope import db_session

pages = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@pages.get("/")
def home() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    return render_template("home.html", businesses=list_businesses(db_session()))
