"""Receipts as customers and businesses get them: listed and downloaded in the web UI, copied to the
business through the API (even after a withdrawal), and checked offline with `vrm receipts verify`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import requests
from sqlalchemy import select

from tests.cli.test_cli import VRM
from tests.conftest import Database
from tests.oauth.conftest import Browser, Registered, business_token
from tests.oauth.test_authorization_code import authorize
from tests.oauth.test_business_api import api
from vrm.consent.models import Grant


def verify_offline(path: Path, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VRM), "receipts", "verify", str(path), "--key", str(key)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_the_customer_downloads_a_receipt_anyone_can_check_offline(
    server: str, browser: Browser, registered: Registered, tmp_path: Path
) -> None:
    authorize(server, browser, registered, "profile:read contact:read")
    page = browser.http.get(server + "/receipts")
    assert page.status_code == 200 and "You allowed access" in page.text and "Download" in page.text
    link = page.text.split('href="/receipts/')[1].split('"')[0]
    download = browser.http.get(f"{server}/receipts/{link}")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    receipt, key = tmp_path / "receipt.json", tmp_path / "key.json"
    receipt.write_bytes(download.content)
    key.write_text(requests.get(server + "/.well-known/vrm-log-key", timeout=10).text)
    checked = verify_offline(receipt, key)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("valid: consent given to Northwind Energy for service")
    assert "in the log at seq" in checked.stdout

    altered = json.loads(download.content)
    altered["event"] = altered["event"].replace('"consent.granted"', '"consent.changed"')
    receipt.write_text(json.dumps(altered))
    refused = verify_offline(receipt, key)
    assert refused.returncode == 1 and refused.stderr.startswith("the receipt ")
    assert browser.http.get(f"{server}/receipts/999999.json").status_code == 404


def test_the_business_gets_its_copies_even_after_the_withdrawal(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    client, _ = authorize(server, browser, registered, "profile:read")
    sub = api(server, client, "/customer").json()["sub"]
    with database.sessions() as session:
        grant_id = session.scalars(select(Grant.id)).one()
    browser.http.post(
        f"{server}/connections/{grant_id}/withdraw", data={"csrf_token": browser.csrf("/connections")}
    )
    token = business_token(server, registered)
    copies = requests.get(
        server + "/api/v1/receipts",
        params={"customer": sub},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert copies.status_code == 200, copies.text
    states = [copy["content"]["consent"]["state"] for copy in copies.json()["receipts"]]
    assert states == ["withdrawn", "given"]
    customer_page = browser.http.get(server + "/receipts").text
    assert "Access ended" in customer_page
    for params, status in (({"customer": "nobody"}, 404), ({}, 422), ({"customer": "x\x00y"}, 422)):
        answer = requests.get(
            server + "/api/v1/receipts",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == status and answer.headers["Content-Type"] == "application/problem+json"
