"""The site's icon: linked from every page, and answered where clients look for it unprompted."""

from __future__ import annotations

import struct

from flask.testing import FlaskClient


def test_favicon_ico_is_an_icon_and_cached(client: FlaskClient) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/vnd.microsoft.icon"
    reserved, kind, count = struct.unpack("<HHH", answer.data[:6])
    assert (reserved, kind) == (0, 1) and count >= 1  # an ICO header: icons, at least one
    assert "max-age=86400" in answer.headers["Cache-Control"]


def test_every_kind_of_page_links_the_icons(client: FlaskClient) -> None:
    for path in ("/", "/signin", "/business/signin", "/audit/signin", "/api/v1/docs"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/favicon.ico"' in page and 'href="/static/favicon.svg"' in page, path
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert client.get("/static/apple-touch-icon.png").mimetype == "image/png"
