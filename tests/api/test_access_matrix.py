"""The access-control matrix: every route of the app, by every role, against the table below.

Roles: an anonymous visitor; customers A and B (web sessions); business X's tokens for customer A, one per
scope, its client credentials and its client secret; business Y's client credentials and its token for
customer B; a business user (the portal); an auditor (token and workspace session); the operator (metrics
token). Every role sends everything it holds, cookie and bearer both, so a route that accepted the wrong
kind of credential would show. Paths carry customer A's ids. The routes come from the URL map: a route
missing from the table fails the test the day it is added.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import Database
from tests.web.conftest import csrf_token, post_form, sign_up
from tests.web.test_history import seed_history
from tests.web.test_portal import new_application
from tests.web.test_portal import register as register_business_user
from vrm.accounts.auditors import create_auditor
from vrm.accounts.customers import find_customer
from vrm.accounts.models import Business, WebSession
from vrm.app import create_app
from vrm.config import Settings
from vrm.consent.models import Grant, LogEvent
from vrm.consent.scopes import SCOPES
from vrm.crypto.keyring import KeyRing
from vrm.oauth.clients import create_client
from vrm.oauth.models import OAuthClient
from vrm.oauth.pairwise import subject_for
from vrm.oauth.tokens import issue_tokens
from vrm.vault.keys import open_vault

pytestmark = pytest.mark.slow
METRICS_TOKEN = "operator-metrics-token-0123456789"
A_EMAIL, B_EMAIL = "a.matrix@example.org", "b.matrix@example.org"

X_SCOPED = tuple(f"x:{scope}" for scope in SCOPES)
CUSTOMERS = {"customer_a", "customer_b"}
EVERYONE = {
    "anonymous",
    *CUSTOMERS,
    *X_SCOPED,
    "x:client",
    "x:secret",
    "y:client",
    "y:all",
    "business_user",
    "auditor",
    "operator",
}

SIGN_OUTS = ("auth.signout", "portal.signout", "audit.signout")

# Who gets through, by endpoint. Anyone else must be refused: 401, 403, 404, or sent to a sign-in page.
PUBLIC = EVERYONE
ALLOWED: dict[str, frozenset[str] | set[str]] = {
    # Pages and documents anyone may read, and the sign-in and sign-up forms.
    **dict.fromkeys(
        [
            "pages.home",
            "pages.favicon",
            "static",
            "pages.static",
            "health.healthz",
            "health.readyz",
            "oauth.metadata",
            "log_key.public_key",
            "openapi.docs",
            "openapi.document",
            "auth.signup",
            "auth.signin",
            "auth.reset_request",
            "auth.reset_with_token",
            "portal.signup",
            "portal.signin",
            "audit.signin",
        ],
        frozenset(PUBLIC),
    ),
    # A customer's own pages: both customers have their own.
    **dict.fromkeys(
        [
            "account.overview",
            "account.password",
            "account.close_steps",
            "mydata.delete",
            "mydata.export",
            "two_factor.overview",
            "two_factor.setup",
            "two_factor.start",
            "two_factor.confirm",
            "two_factor.off",
            "two_factor.new_recovery_codes",
            "history.timeline",
            "history.record_own",
            "preferences.show",
            "preferences.save",
            "preferences.company",
            "preferences.save_company",
            "preferences.reset_company",
            "profile.show",
            "profile.save",
            "connections.overview",
            "receipts.overview",
            "consent.authorize",
        ],
        frozenset(CUSTOMERS),
    ),
    # Customer A's things, named in the path: A alone.
    **dict.fromkeys(
        [
            "account.end",
            "history.delete",
            "history.feedback",
            "history.note",
            "history.visibility",
            "history.journey",
            "history.retitle",
            "history.record_in_journey",
            "history.move",
            "history.sharing",
            "connections.change",
            "connections.withdraw",
            "connections.reads",  # contoso-mobile, which A gave access to and B never did
            "receipts.download",
        ],
        frozenset({"customer_a"}),
    ),
    # The business portal.
    **dict.fromkeys(
        ["portal.overview", "portal.new_client", "portal.rotate", "portal.webhook"],
        frozenset({"business_user"}),
    ),
    # The auditor's workspace and log API.
    **dict.fromkeys(
        [
            "audit.search",
            "audit.business",
            "audit.export",
            "audit.integrity",
            "audit.start_run",
            "audit.run",
            "audit.step",
            "log_api.checkpoint",
            "log_api.entries",
            "log_api.inclusion_proof",
            "log_api.consistency_proof",
        ],
        frozenset({"auditor"}),
    ),
    # The business API: a customer token with the scope (business Y's for its own customer B), or the
    # client's own credentials.
    "customer_api.customer": {"x:profile:read", "x:contact:read", "y:all"},
    "customer_api.preferences": {"x:preferences:read", "y:all"},
    "customer_api.interactions": {"x:interactions:read", "y:all"},
    "customer_api.record": {"x:interactions:write", "y:all"},
    "customer_api.start": {"x:interactions:write", "y:all"},
    "customer_api.journeys": {"x:interactions:read", "y:all"},
    "customer_api.journey": {"x:interactions:read"},  # a journey of X with customer A: not Y's to read
    "contact_api.contact_decisions": {"x:client", "y:client"},
    "receipts_api.receipts": {"x:client"},  # customer A's receipts, under X's id for A: not Y's to read
    # OAuth endpoints authenticate the client by its secret.
    "oauth.token": {"x:secret"},
    "oauth.revoke": {"x:secret"},
    "oauth.introspect": {"x:secret"},
    "metrics.metrics": {"operator"},
    # Signing out needs only the form's CSRF token: anyone may end their own session (without one, a no-op).
    # Each answers with a redirect to its sign-in page; the test checks afterwards that the sessions ended.
    **dict.fromkeys(SIGN_OUTS, frozenset(PUBLIC)),
    # The second step of a two-step sign-in exists only between the password and the code: every role here
    # is sent back to /signin.
    "auth.signin_code": set(),
}
# Bodies that get a call past its syntax to the credential check.
FORMS = {
    "oauth.token": {"grant_type": "client_credentials"},
    "oauth.revoke": {"token": "some-token"},
    "oauth.introspect": {"token": "some-token"},
}
HOMES = {
    "customer_a": "/account",
    "customer_b": "/account",
    "business_user": "/business",
    "auditor": "/audit",
}
# Run last, in this order: each ends something the roles stand on.
LAST = ["history.delete", "portal.rotate", "account.end", "auth.signout", "portal.signout", "audit.signout"]
SIGN_IN_PAGES = re.compile(r"^(http://localhost)?/(signin|business/signin|audit/signin)(\?|$)")


@dataclass
class Role:
    name: str
    web: FlaskClient
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    app: Flask
    roles: list[Role]
    ids: dict[str, str]
    queries: dict[str, dict[str, str]]


@pytest.fixture
def world(database: Database, tmp_path: Path) -> Iterator[World]:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    settings = Settings.from_env(
        {
            "VRM_INSTANCE_DIR": str(tmp_path),
            "VRM_DATABASE_URL": database.url,
            "VRM_METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    app = create_app(settings)
    for limiter in app.extensions["limiter"]:
        limiter.enabled = False  # this test is about who, not how often
    ring = app.extensions["vrm"].keyring
    clients = {name: app.test_client() for name in ("anonymous", "a", "a2", "b", "portal", "auditor")}
    sign_up(clients["a"], A_EMAIL)
    sign_up(clients["b"], B_EMAIL)
    history = seed_history(app, database, A_EMAIL)
    with database.sessions.begin() as session:
        everything = " ".join(SCOPES)
        a_row, b_row = (find_customer(session, keyring=ring, email=email) for email in (A_EMAIL, B_EMAIL))
        assert a_row is not None and b_row is not None
        grant_x = factories.grant(
            session, ring, a_row, factories.business(session, "contoso-mobile"), everything
        ).id
        factories.grant(session, ring, b_row, factories.business(session, "woodgrove-y"), everything)
    post_form(clients["a2"], "/signin", {"email": A_EMAIL, "password": "a long and unguessable passphrase"})
    register_business_user(clients["portal"], name="portal-x", email="it@portal-x.example")
    new_application(clients["portal"])
    with database.sessions.begin() as session:
        x, y = (
            session.scalars(select(Business).where(Business.name == name)).one()
            for name in ("contoso-mobile", "woodgrove-y")
        )
        a_customer, b_customer = (
            session.get(Grant, grant).customer_id  # type: ignore[union-attr]
            for grant in (grant_x, session.scalars(select(Grant.id).where(Grant.business_id == y.id)).one())
        )
        grant_y = session.scalars(select(Grant).where(Grant.business_id == y.id)).one()
        x_client, x_secret = create_client(
            session, business_id=x.id, name="X", redirect_uris=["https://x.example/cb"]
        )
        y_client, _ = create_client(
            session, business_id=y.id, name="Y", redirect_uris=["https://y.example/cb"]
        )
        grant_a = session.get(Grant, grant_x)
        # The path's journey: customer A's, opened by business X under its reference, so X's token may read
        # it and only A may shape it.
        x_journey = factories.journey(
            session,
            ring,
            open_vault(session, keyring=ring, customer_id=a_customer),
            x,
            reference="X-1",
            opened_by="business",
        ).id
        headers: dict[str, dict[str, str]] = {}
        for scope in SCOPES:
            token = f"x-{scope}-token"
            issue_tokens(
                session,
                client=x_client,
                scope=scope,
                access_token=token,
                customer_id=a_customer,
                grant=grant_a,
            )
            headers[f"x:{scope}"] = {"Authorization": f"Bearer {token}"}
        issue_tokens(
            session,
            client=y_client,
            scope=" ".join(SCOPES),
            access_token="y-all-token",
            customer_id=b_customer,
            grant=grant_y,
        )
        issue_tokens(session, client=x_client, scope="", access_token="x-client-token")
        issue_tokens(session, client=y_client, scope="", access_token="y-client-token")
        a_sub = subject_for(session, keyring=ring, business_id=x.id, customer_id=a_customer)
        _, auditor_token = create_auditor(session, name="matrix-audit")
        portal_client = session.scalars(
            select(OAuthClient.client_id).where(OAuthClient.name == "Northwind app")
        ).one()
        second_session = session.scalars(
            select(WebSession.id)
            .where(WebSession.customer_id == a_customer)
            .order_by(WebSession.created_at.desc())
        ).first()
        receipt = session.scalars(select(LogEvent.seq).where(LogEvent.type == "consent.granted")).first()
    post_form(clients["auditor"], "/audit/signin", {"token": auditor_token})
    run = post_form(clients["auditor"], "/audit/integrity/runs", {}, token_from="/audit/integrity")
    basic = base64.b64encode(f"{x_client.client_id}:{x_secret}".encode()).decode()
    headers |= {
        "x:client": {"Authorization": "Bearer x-client-token"},
        "x:secret": {"Authorization": f"Basic {basic}"},
        "y:client": {"Authorization": "Bearer y-client-token"},
        "y:all": {"Authorization": "Bearer y-all-token"},
        "auditor": {"Authorization": f"Bearer {auditor_token}"},
        "operator": {"Authorization": f"Bearer {METRICS_TOKEN}"},
    }
    web = {
        "customer_a": clients["a"],
        "customer_b": clients["b"],
        "business_user": clients["portal"],
        "auditor": clients["auditor"],
    }
    roles = [
        Role(name, web.get(name, clients["anonymous"]), headers.get(name, {})) for name in sorted(EVERYONE)
    ]
    ids = {
        "session_id": str(second_session),
        "interaction_id": str(history["call"]),
        "journey_id": str(x_journey),
        "grant_id": str(grant_x),
        "seq": str(receipt),
        "name": "contoso-mobile",
        "token": "not-a-reset-token",
        "client_id": portal_client,
        "handle": "contoso-mobile",
        "run_id": run.headers["Location"].rsplit("/", 1)[1],
        "kind": "jsonl",
        "filename": "site.css",
    }
    queries = {
        "receipts_api.receipts": {"customer": a_sub},
        "log_api.entries": {"start": "0", "end": "1"},
        "log_api.inclusion_proof": {"seq": "0", "size": "1"},
        "log_api.consistency_proof": {"from": "1", "to": "1"},
    }
    yield World(app, roles, ids, queries)
    app.extensions["vrm"].engine.dispose()


def refused(endpoint: str, status: int, location: str) -> bool:
    sent_to_sign_in = (
        status in (302, 303) and bool(SIGN_IN_PAGES.match(location)) and endpoint not in SIGN_OUTS
    )
    return status in (401, 403, 404) or sent_to_sign_in


def test_every_route_answers_every_role_as_the_table_says(world: World) -> None:
    rules = sorted(
        world.app.url_map.iter_rules(),
        key=lambda rule: (rule.endpoint in LAST, LAST.index(rule.endpoint) if rule.endpoint in LAST else 0),
    )
    unknown = {rule.endpoint for rule in rules} - set(ALLOWED)
    assert not unknown, f"add these routes to the access matrix: {sorted(unknown)}"
    wrong, checked = [], 0
    for rule in rules:
        path = rule.build({name: world.ids[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            for role in world.roles:
                data = {**FORMS.get(rule.endpoint, {}), "csrf_token": csrf_token(role.web, "/signin")}
                if method != "POST":
                    data = None
                if rule.endpoint == "contact_api.contact_decisions":
                    data = None  # a JSON body of no questions: past the door, refused for what it says
                response = role.web.open(
                    path,
                    method=method,
                    headers=role.headers,
                    data=data,
                    json={"items": []} if rule.endpoint == "contact_api.contact_decisions" else None,
                    query_string=world.queries.get(rule.endpoint),
                )
                assert response.status_code < 500, (rule.endpoint, method, role.name, response.status_code)
                through = not refused(
                    rule.endpoint, response.status_code, response.headers.get("Location", "")
                )
                if through != (role.name in ALLOWED[rule.endpoint]):
                    wrong.append((rule.endpoint, method, role.name, response.status_code))
                checked += 1
    assert not wrong, "\n".join(map(str, wrong))
    assert checked > 1000
    for role in world.roles:
        home = HOMES.get(role.name)
        if home is not None:  # the sign-outs, run last, ended every web session
            answer = role.web.get(home)
            assert answer.status_code == 302 and SIGN_IN_PAGES.match(answer.headers["Location"]), role.name
