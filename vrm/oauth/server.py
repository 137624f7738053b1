"""The Authlib authorization server, adapted to VRM vault's clients, grants, codes and tokens.

The only module below the fronts that touches Flask (through Authlib's Flask integration): it reads the
request's database session and key ring from `vrm.serving.request_scope`.

What it enforces (RFC 9700): the authorization code grant only for customers, PKCE with S256 for every
client, exact redirect URIs, the RFC 9207 `iss` parameter on every authorization response, codes that
live 60 s and work once (a replay revokes what the code gave), refresh tokens that rotate on every use
(a replay revokes the family), opaque access tokens checked against the database, client credentials
for business-level calls, no implicit and no password grant.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.token_endpoint import TokenEndpoint
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, Response

from vrm.consent.models import Grant
from vrm.consent.scopes import SCOPES, scope_text
from vrm.db import utcnow
from vrm.oauth.clients import check_secret, find_client, redirect_uris_of
from vrm.oauth.models import AuthorizationCode, OAuthClient, Token
from vrm.oauth.tokens import (
    ACCESS_LIFETIME,
    ReplayDetected,
    introspect,
    issue_tokens,
    redeem_code,
    redeem_refresh_token,
    revoke,
    revoke_family,
    save_code,
)
from vrm.serving.request_scope import db_session

SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
EXTENSION = "vrm_oauth"


@dataclass(frozen=True)
class Owner:
    """The customer behind an authorization, with the grant (consent) it rests on."""

    customer_id: uuid.UUID
    grant: Grant

    def get_user_id(self) -> uuid.UUID:
        return self.customer_id


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the redirect URI must always be sent, and match exactly

    def get_allowed_scope(self, scope: str | None) -> str | None:
        asked = set((scope or "").split())
        return scope_text(asked) if asked <= set(self.row.scopes.split()) else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in redirect_uris_of(self.row)

    def check_client_secret(self, client_secret: str) -> bool:
        return check_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class RefreshToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: Token) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int(ACCESS_LIFETIME.total_seconds())

    def is_expired(self) -> bool:
        return False  # redeem_refresh_token returns only live ones

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, confidential ones included, and only S256 (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (the name and type Authlib reads)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send a code_challenge with code_challenge_method=S256."
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code: Code) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: Code) -> str:
        return "S256"


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS

    def validate_requested_scope(self) -> None:
        if not (self.request.payload.scope or "").split():
            raise InvalidScopeError("Ask for at least one scope.")
        super().validate_requested_scope()

    def save_authorization_code(self, code: str, request: Any) -> None:
        owner: Owner = request.user
        save_code(
            db_session(),
            client=request.client.row,
            customer_id=owner.customer_id,
            grant_id=owner.grant.id,
            code=code,
            redirect_uri=request.payload.redirect_uri,
            scope=owner.grant.scopes,  # what the customer left ticked, not what was asked
            code_challenge=request.payload.data["code_challenge"],
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        try:
            row = redeem_code(db_session(), client=client.row, code=code)
        except ReplayDetected as replay:
            _revoke_after_replay(replay)
        return Code(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Nothing to delete: the code was claimed (stamped used) when it was redeemed."""

    def authenticate_user(self, authorization_code: Code) -> Owner | None:
        return _owner(authorization_code.row.customer_id, authorization_code.row.grant_id)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        try:
            row = redeem_refresh_token(
                db_session(), client=self.request.client.row, refresh_token=refresh_token
            )
        except ReplayDetected as replay:
            _revoke_after_replay(replay)
        return RefreshToken(row) if row is not None else None

    def authenticate_user(self, refresh_token: RefreshToken) -> Owner | None:
        row = refresh_token.row
        return _owner(row.customer_id, row.grant_id) if row.customer_id and row.grant_id else None

    def issue_token(self, user: Owner, refresh_token: RefreshToken) -> dict[str, Any]:
        # Never more than the customer allows now: a narrowed grant narrows every refreshed token.
        asked = set((self.request.payload.scope or refresh_token.get_scope()).split())
        scope = scope_text(asked & user.grant.scope_set)
        return self.generate_token(user=user, scope=scope, include_refresh_token=True)  # type: ignore[no-any-return]

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        refresh_token.row.revoked_at = refresh_token.row.refreshed_at  # its access token dies with it
        db_session().flush()


class ClientCredentials(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS

    def validate_requested_scope(self) -> None:
        if self.request.payload.scope:
            raise InvalidScopeError("A client credentials token carries no customer's scopes; send none.")


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = SECRET_METHODS

    def authenticate_token(self, request: Any, client: Client) -> tuple[str, str | None]:
        self.check_params(request, client)
        return request.form["token"], request.form.get("token_type_hint")

    def revoke_token(self, token: tuple[str, str | None], request: Any) -> None:
        # Another client's token, or an unknown one, is ignored: the answer tells nothing about it.
        revoke(db_session(), client=request.client.row, token=token[0], hint=token[1])


class Introspection(TokenEndpoint):  # type: ignore[misc]
    ENDPOINT_NAME = "introspection"
    CLIENT_AUTH_METHODS = SECRET_METHODS

    def create_endpoint_response(self, request: Any) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client = self.authenticate_endpoint_client(request)
        token = request.form.get("token")
        if not token:
            raise InvalidRequestError("Missing 'token'.")
        body = introspect(db_session(), client=client.row, token=token)
        return 200, body, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


class Issuer(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


def install(app: Flask, issuer: str) -> AuthorizationServer:
    """Create the authorization server for this app, with its grants, endpoints and `iss` parameter."""
    app.config.update(
        OAUTH2_SCOPES_SUPPORTED=list(SCOPES),
        OAUTH2_REFRESH_TOKEN_GENERATOR=True,
        OAUTH2_TOKEN_EXPIRES_IN={grant: int(ACCESS_LIFETIME.total_seconds()) for grant in GRANT_TYPES},
    )
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(CodeGrant, [S256Required(required=True)])
    server.register_grant(RefreshGrant)
    server.register_grant(ClientCredentials)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    server.register_extension(Issuer(issuer))
    app.extensions[EXTENSION] = server
    return server


def authorization_server(app: Flask) -> AuthorizationServer:
    server: AuthorizationServer = app.extensions[EXTENSION]
    return server


# RFC 6749 appendix A: these parameters hold visible ASCII (VSCHAR) only; a redirect URI also leaves out the
# quote and the backslash, which no URI carries unencoded and which authlib refuses to echo in an error.
VSCHAR = re.compile(r"[\x20-\x7e]*")
URI_CHARS = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]*")
AUTHORIZATION_PARAMETERS = (
    "response_type",
    "client_id",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def malformed_parameter(values: Mapping[str, str]) -> str | None:
    """Why an authorization request's parameters cannot be an OAuth request at all, or None."""
    uri = values.get("redirect_uri")
    if uri is not None and not URI_CHARS.fullmatch(uri):
        return "The redirect_uri holds characters no URI may carry."
    for name in AUTHORIZATION_PARAMETERS:
        value = values.get(name)
        if value is not None and not VSCHAR.fullmatch(value):
            return f"The {name} parameter holds characters an OAuth request may not carry."
    return None


def error_redirect(server: AuthorizationServer, error: OAuth2Error, issuer: str) -> Response:
    """An authorization error sent back to the client's (validated) redirect URI, with `iss` (RFC 9207)."""
    response: Response = server.handle_error_response(None, error)
    Issuer(issuer).add_issuer_parameter(server, response)
    return response


def _query_client(client_id: str) -> Client | None:
    row = find_client(db_session(), client_id=client_id)
    return Client(row) if row is not None else None


def _save_token(token: dict[str, Any], request: Any) -> None:
    owner: Owner | None = request.user
    code = getattr(request, "authorization_code", None)
    previous = getattr(request, "refresh_token", None)
    family = code.row.id if code is not None else previous.row.family_id if previous is not None else None
    issue_tokens(
        db_session(),
        client=request.client.row,
        scope=token.get("scope", ""),
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        customer_id=owner.customer_id if owner else None,
        grant=owner.grant if owner else None,
        family_id=family,
    )


def _owner(customer_id: uuid.UUID, grant_id: uuid.UUID) -> Owner | None:
    """The customer behind a code or token, while the grant it rests on is still in force."""
    grant = db_session().get(Grant, grant_id)
    live = grant is not None and grant.customer_id == customer_id and grant.is_live(utcnow())
    return Owner(customer_id, grant) if live and grant is not None else None


def _revoke_after_replay(replay: ReplayDetected) -> NoReturn:
    """Revoke the family for good: committed now, although the request itself is answered with an error."""
    session = db_session()
    session.rollback()
    revoke_family(session, family_id=replay.family_id)
    session.commit()
    raise InvalidGrantError("This code or refresh token was already used; everything it gave is revoked.")
