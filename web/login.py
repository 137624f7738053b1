"""Who is signed in: flask-login over the revocable server-side sessions of `vrm.accounts.sessions`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask, flash, g, redirect, request
from flask_login import LoginManager, UserMixin, current_user
from flask_login.utils import login_url
from werkzeug.wrappers import Response

from vrm.accounts.sessions import resume_session
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.keys import open_vault
from vrm.vault.seal import CustomerVault


@dataclass
class SignedIn(UserMixin):  # type: ignore[misc]
    """The signed-in customer as the web sees them: their id, and which session is theirs."""

    customer_id: uuid.UUID
    session_id: uuid.UUID
    token: str

    def get_id(self) -> str:
        # What flask-login keeps in the signed cookie: the session's token, checked on every request.
        return self.token


def install(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.signin"
    manager.session_protection = None  # sessions are server-side and revocable; no IP/agent pinning

    @manager.unauthorized_handler  # type: ignore[untyped-decorator]
    def ask_to_sign_in() -> Response:
        # On the way to a consent screen, the sign-in page itself says which company asks and why.
        if request.endpoint != "consent.authorize":
            flash("Please sign in to see that page.", "info")
        return redirect(login_url("auth.signin", next_url=request.url))

    @manager.user_loader  # type: ignore[untyped-decorator]
    def load(token: str) -> SignedIn | None:
        row = resume_session(db_session(), token=token)
        return None if row is None else SignedIn(row.customer_id, row.id, token)


def signed_in() -> SignedIn:
    user: SignedIn = current_user._get_current_object()
    return user


def signed_in_vault() -> CustomerVault:
    """The signed-in customer's vault: its data key is unwrapped once per request, however often asked."""
    if "vault" not in g:
        g.vault = open_vault(db_session(), keyring=runtime().keyring, customer_id=signed_in().customer_id)
    vault: CustomerVault = g.vault
    return vault
