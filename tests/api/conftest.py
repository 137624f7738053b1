"""API fixtures: a customer who let one business see everything, and access tokens for it as the OAuth
server stores them (the authorization-code flow itself is tested under tests/oauth)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import Database
from vrm.consent.models import Grant
from vrm.consent.scopes import SCOPES
from vrm.oauth.clients import create_client
from vrm.oauth.models import OAuthClient
from vrm.oauth.tokens import issue_tokens
from vrm.vault.keys import open_vault
from vrm.vault.seal import CustomerVault


@dataclass(frozen=True)
class Relationship:
    """A customer, a business they granted every scope to, and its registered application."""

    app: Flask
    database: Database
    customer_id: uuid.UUID
    business_id: uuid.UUID
    client_id: uuid.UUID
    grant_id: uuid.UUID

    def token(self, scopes: str = " ".join(SCOPES)) -> str:
        """A new access token of the application for the customer, with these scopes."""
        token = secrets.token_urlsafe(24)
        with self.database.sessions.begin() as session:
            client, grant = session.get(OAuthClient, self.client_id), session.get(Grant, self.grant_id)
            assert client is not None and grant is not None
            issue_tokens(
                session,
                client=client,
                scope=scopes,
                access_token=token,
                customer_id=self.customer_id,
                grant=grant,
            )
        return token

    def vault(self, session: Session) -> CustomerVault:
        return open_vault(session, keyring=self.app.extensions["vrm"].keyring, customer_id=self.customer_id)

    def call(self, client: FlaskClient, path: str, token: str, **kwargs: Any) -> TestResponse:
        """Call the API at `path` (under /api/v1) with `token`; `method` and `json` as for the test client."""
        method = kwargs.pop("method", "GET")
        headers = {"Authorization": f"Bearer {token}"}
        return client.open("/api/v1" + path, method=method, headers=headers, **kwargs)


@pytest.fixture
def relationship(app: Flask, database: Database) -> Relationship:
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer, _ = factories.customer(session, ring)
        shop = factories.business(session, "northwind-energy")
        client, _ = create_client(
            session, business_id=shop.id, name="Northwind app", redirect_uris=["https://n.example/cb"]
        )
        grant = factories.grant(session, ring, customer, shop, " ".join(SCOPES))
        return Relationship(app, database, customer.id, shop.id, client.id, grant.id)
