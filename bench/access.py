"""Credentials for the benchmarks, issued as the server issues them: a client for each business, tokens for
customers of the population (`vrm demo --customers`) who consented to one, and each business's own token."""

from __future__ import annotations

import random
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrm.accounts.models import Business
from vrm.consent.models import Grant
from vrm.oauth.clients import create_client
from vrm.oauth.models import OAuthClient
from vrm.oauth.tokens import issue_tokens
from vrm.population import SCOPES


def clients_by_business(session: Session) -> dict[uuid.UUID, OAuthClient]:
    return {
        business: create_client(
            session,
            business_id=business,
            name=f"bench {uuid.uuid4().hex[:6]}",
            redirect_uris=["https://b.example/cb"],
        )[0]
        for business in session.scalars(select(Business.id))
    }


def population_grants(session: Session, how_many: int, *, anywhere: bool = False) -> list[Grant]:
    """The population's own consents (the demo customer's are narrower: some reads would be refused),
    the first ones, or `anywhere` a run of them starting at random."""
    ours = select(Grant).where(Grant.scopes == SCOPES)
    if anywhere:
        total = session.scalar(select(func.count()).select_from(ours.subquery())) or 0
        ours = ours.offset(random.randrange(max(1, total - how_many)))
    return list(session.scalars(ours.limit(how_many)))


def customer_token(session: Session, client: OAuthClient, grant: Grant, scope: str) -> str:
    token = f"bench-{uuid.uuid4().hex}"
    issue_tokens(
        session, client=client, scope=scope, access_token=token, customer_id=grant.customer_id, grant=grant
    )
    return token


def business_token(session: Session, client: OAuthClient) -> str:
    token = f"bench-cc-{uuid.uuid4().hex}"
    issue_tokens(session, client=client, scope="", access_token=token)
    return token
