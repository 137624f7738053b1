"""The authorization server's endpoints for clients: token, revocation, introspection, and its metadata."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from vrm.consent.scopes import SCOPES
from vrm.metrics import TOKENS_ISSUED
from vrm.oauth.server import SECRET_METHODS, authorization_server
from vrm.serving.request_scope import runtime

oauth = Blueprint("oauth", __name__)


@oauth.post("/oauth/token")
def token() -> Response:
    response = authorization_server_response("token")
    if response.status_code == 200:
        TOKENS_ISSUED.labels(request.form.get("grant_type", "unknown")).inc()
    return _no_store(response)


@oauth.post("/oauth/revoke")
def revoke() -> Response:
    return _no_store(authorization_server_response("revocation"))


@oauth.post("/oauth/introspect")
def introspect() -> Response:
    return _no_store(authorization_server_response("introspection"))


@oauth.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """RFC 8414 metadata: everything a client library needs to discover this server."""
    issuer = runtime().settings.issuer
    response = jsonify(
        issuer=issuer,
        authorization_endpoint=f"{issuer}/authorize",
        token_endpoint=f"{issuer}/oauth/token",
        revocation_endpoint=f"{issuer}/oauth/revoke",
        introspection_endpoint=f"{issuer}/oauth/introspect",
        scopes_supported=list(SCOPES),
        response_types_supported=["code"],
        response_modes_supported=["query"],
        grant_types_supported=["authorization_code", "refresh_token", "client_credentials"],
        token_endpoint_auth_methods_supported=SECRET_METHODS,
        revocation_endpoint_auth_methods_supported=SECRET_METHODS,
        introspection_endpoint_auth_methods_supported=SECRET_METHODS,
        code_challenge_methods_supported=["S256"],
        authorization_response_iss_parameter_supported=True,
        service_documentation=f"{issuer}/api/v1/docs",
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def authorization_server_response(endpoint: str) -> Response:
    server = authorization_server(current_app)
    if endpoint == "token":
        return server.create_token_response()  # type: ignore[no-any-return]
    return server.create_endpoint_response(endpoint)  # type: ignore[no-any-return]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
