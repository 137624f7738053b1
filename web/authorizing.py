"""The authorization a page serves: which company asks, through which application, and where the
customer's answer goes back to (the only place besides this site that such a page's forms may lead)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import make_response, url_for
from werkzeug.wrappers import Response

from vrm.accounts.models import Business
from vrm.oauth.clients import find_client, redirect_uris_of
from vrm.oauth.models import OAuthClient
from vrm.serving.csp import content_security_policy
from vrm.serving.request_scope import db_session
from web import words


@dataclass(frozen=True)
class Asking:
    """A registered client of a business, asking through one of its registered redirect URIs."""

    business: Business
    client: OAuthClient
    redirect_uri: str

    @property
    def origin(self) -> str:
        """scheme://host[:port] of the redirect URI: what the answer's redirect leads to."""
        parts = urlsplit(self.redirect_uri)
        port = f":{parts.port}" if parts.port is not None else ""
        return f"{parts.scheme}://{parts.hostname}{port}"

    @property
    def purpose(self) -> str:
        """What the client says it wants the data for, in the customer's words."""
        return words.PURPOSES[self.client.purpose]

    @property
    def host(self) -> str:
        """The host (and port) the customer is sent back to, as they should read it."""
        return urlsplit(self.redirect_uri).netloc


def asking(parameters: Mapping[str, Any]) -> Asking | None:
    """The company an authorization request names, if its client and redirect URI are both registered."""
    client = find_client(db_session(), client_id=parameters.get("client_id"))
    uri = parameters.get("redirect_uri")
    if client is None or uri not in redirect_uris_of(client):
        return None
    return asking_for(client, uri)


def asking_for(client: OAuthClient, redirect_uri: str) -> Asking:
    """The business behind a client, asking through `redirect_uri` (already checked to be the client's)."""
    business = db_session().get(Business, client.business_id)
    assert business is not None  # clients cascade with their business
    return Asking(business, client, redirect_uri)


def asking_through(target: object) -> Asking | None:
    """The authorization a sign-in's `next` address leads to, if it leads to one."""
    if not isinstance(target, str):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != url_for("consent.authorize"):
        return None
    return asking(dict(parse_qsl(parts.query)))


def may_return_to(page: Any, to: Asking | None) -> Response:
    """The page, with its forms allowed to lead back to the asking business's redirect URI (CSP
    `form-action`, which Chromium applies to the redirect that follows a post) and nowhere else."""
    response = make_response(page)
    if to is not None:
        response.headers["Content-Security-Policy"] = content_security_policy([to.origin])
    return response
