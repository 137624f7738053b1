"""Consumer pages. For now the landing page; the signed-in vault pages arrive with the web UI."""

from __future__ import annotations

from flask import Blueprint, render_template

from vrm.accounts.businesses import list_businesses
from vrm.serving.request_scope import db_session

pages = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@pages.get("/")
def home() -> str:
    return render_template("home.html", businesses=list_businesses(db_session()))
