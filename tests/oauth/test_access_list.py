"""The customer's list of a company's reads, against the real business API: every read the company made is
there with the consent it was made under, and a read outside the grant never appears, because it cannot
happen: the API refuses it, and a refused call notes nothing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from tests.conftest import Database
from tests.oauth.conftest import Browser, Registered
from tests.oauth.test_authorization_code import authorize
from tests.oauth.test_business_api import api, fill_profile, set_sharing
from vrm.accounts.models import Customer
from vrm.consent import events
from vrm.consent.access import Read, reads_of
from vrm.consent.checkpoints import public_keys
from vrm.consent.models import Grant, LogEvent
from vrm.consent.receipts import verify_receipt

ASKED = "profile:read contact:read interactions:read"


def listed(app: Any, database: Database, business_id: object) -> list[Read]:
    with database.sessions() as session:
        customer_id = session.scalars(select(Customer.id)).one()
        page = reads_of(
            session,
            keyring=app.extensions["vrm"].keyring,
            customer_id=customer_id,
            business_id=business_id,  # type: ignore[arg-type]
            limit=100,
        )
    return page.reads


def test_a_read_outside_the_grant_never_appears_because_it_cannot_happen(
    server: str, app: Any, browser: Browser, registered: Registered, database: Database
) -> None:
    fill_profile(browser)
    set_sharing(browser)  # every category shared: only the grant stands between the business and the data
    client, _ = authorize(server, browser, registered, ASKED)
    with database.sessions() as session:
        grant_id = session.scalars(select(Grant.id)).one()

    assert api(server, client, "/customer").status_code == 200  # within the grant
    assert api(server, client, "/customer/interactions").status_code == 200
    assert api(server, client, "/customer/preferences").status_code == 403  # outside it: refused

    narrowed = browser.http.post(
        f"{server}/connections/{grant_id}",
        data={"csrf_token": browser.csrf("/connections"), "scope": ["profile:read"]},
        allow_redirects=False,
    )
    assert narrowed.status_code == 302
    assert "emails" not in api(server, client, "/customer").json()  # read, but only what is still granted
    assert api(server, client, "/customer/interactions").status_code == 403  # no longer granted: refused

    browser.http.post(
        f"{server}/connections/{grant_id}/withdraw", data={"csrf_token": browser.csrf("/connections")}
    )
    for path in ("/customer", "/customer/interactions", "/customer/preferences"):
        assert api(server, client, path).status_code == 401  # after the withdrawal: refused

    reads = listed(app, database, registered.business_id)
    assert [sorted(read.categories) for read in reads] == [
        ["profile"],
        ["interactions"],
        ["contact", "profile"],
    ]
    with database.sessions() as session:
        withdrawn = session.scalar(select(LogEvent.seq).where(LogEvent.type == events.WITHDRAWN))
        logged_reads = session.scalars(select(LogEvent.seq).where(LogEvent.type == events.READ)).all()
    assert withdrawn is not None and all(read.seq < withdrawn for read in reads)
    assert sorted(logged_reads) == sorted(read.seq for read in reads)  # the refused calls noted nothing
    keys = public_keys(app.extensions["vrm"].keyring)
    download = browser.http.get  # the customer's own copies of the receipts, as they download them
    for read in reads:
        assert read.covered and read.consent is not None and read.application == "Northwind Energy app"
        bundle = download(f"{server}/receipts/{read.consent.seq}.json").json()
        consent = verify_receipt(bundle, keys)["consent"]
        assert consent["grant_id"] == str(grant_id) and read.categories <= set(consent["data_categories"])
    assert [read.consent.kind for read in reads if read.consent] == [
        events.CHANGED,
        events.GRANTED,
        events.GRANTED,
    ]

    page = browser.http.get(f"{server}/connections/northwind-energy/reads").text
    assert re.findall(r'<tr id="read-(\d+)">', page) == [str(read.seq) for read in reads]
    assert "Beyond what that consent allowed" not in page and "Your contact preferences" not in page
    export = browser.http.get(f"{server}/account/export").json()
    assert [(item["seq"], item["categories"], item["receipt_seq"]) for item in export["access"]] == [
        (read.seq, sorted(read.categories), read.consent.seq if read.consent else None)
        for read in reversed(reads)
    ]
