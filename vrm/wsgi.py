"""WSGI entry point for gunicorn: `gunicorn vrm.wsgi:app`."""

from __future__ import annotations

from vrm.app import create_app
from vrm.config import Settings
from web import choices

app = create_app(Settings.from_env())
# Each worker imports this before it takes requests: build the profile's language and region lists (about a
# second, from every CLDR locale) now, so no customer waits for them on their first profile page.
choices.languages()
choices.region_formats()
