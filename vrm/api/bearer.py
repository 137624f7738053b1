"""Bearer tokens on the business API (RFC 6750): who is calling, for whom, with which scopes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, g, request
from flask_limiter.util import get_remote_address

from vrm.api.problems import problem
from vrm.oauth.tokens import Bearer, find_bearer
from vrm.serving.request_scope import db_session

F = TypeVar("F", bound=Callable[..., Any])
REALM = "vrm"


class BearerRefused(Exception):
    """A request the API answers with 401 or 403 and a WWW-Authenticate challenge."""

    def __init__(self, status: int, error: str | None, detail: str, scope: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.scope = status, error, detail, scope

    def response(self) -> Response:
        challenge = f'Bearer realm="{REALM}"'
        if self.error:
            challenge += f', error="{self.error}", error_description="{self.detail}"'
        if self.scope:
            challenge += f', scope="{self.scope}"'
        title = "Unauthorized" if self.status == 401 else "Forbidden"
        answer = problem(self.status, title, self.detail, **({"code": self.error} if self.error else {}))
        answer.headers["WWW-Authenticate"] = challenge
        return answer


def requires(*scopes: str, customer: bool = True) -> Callable[[F], F]:
    """Let a request through only with a live token of the right kind holding at least one of `scopes`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                g.bearer = _authorize(scopes, customer=customer)
            except BearerRefused as refused:
                return refused.response()
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def current_bearer() -> Bearer:
    found: Bearer = g.bearer
    return found


def client_key() -> str:
    """The rate-limit key of a request: its client when the token is live, else its address."""
    found = _lookup()
    return f"client:{found.client.client_id}" if found is not None else f"address:{get_remote_address()}"


def _lookup() -> Bearer | None:
    """The request's live token, looked up once per request (the rate limiter asks first)."""
    if "bearer_lookup" not in g:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        valid = scheme.lower() == "bearer" and value.strip()
        g.bearer_lookup = find_bearer(db_session(), access_token=value.strip()) if valid else None
    found: Bearer | None = g.bearer_lookup
    return found


def _authorize(scopes: tuple[str, ...], *, customer: bool) -> Bearer:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise BearerRefused(401, None, "send an access token: Authorization: Bearer <token>")
    found = _lookup()
    if found is None:
        raise BearerRefused(401, "invalid_token", "the access token is unknown, expired or revoked")
    if customer and found.customer_id is None:
        raise BearerRefused(403, "insufficient_scope", "this call needs a token a customer granted")
    if not customer and found.customer_id is not None:
        raise BearerRefused(403, "insufficient_scope", "this call needs a client credentials token")
    if scopes and not found.scopes & set(scopes):
        wanted = " ".join(scopes)
        raise BearerRefused(403, "insufficient_scope", f"the token lacks the scope {wanted}", wanted)
    return found
