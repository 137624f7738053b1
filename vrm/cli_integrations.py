"""`vrm clients` and `vrm webhooks`: what a business needs to integrate (its applications, its webhook)."""

from __future__ import annotations

import json
import time
from functools import partial

import click

from vrm.config import Settings
from vrm.runtime import open_runtime
from vrm.vault.vocabulary import PURPOSES


@click.group()
def clients() -> None:
    """Manage the OAuth clients (applications) of businesses."""


@clients.command("create")
@click.option("--business", "business_name", required=True, help="The business's handle.")
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, required=True, help="Exact redirect URI (repeatable)."
)
@click.option(
    "--scope", "scopes", multiple=True, help="A scope the client may ask for (repeatable; default: all)."
)
@click.option("--name", help="The application's name, shown on the consent screen (default: the business's).")
@click.option(
    "--purpose", default="service", show_default=True, help="What the data is for: " + ", ".join(PURPOSES)
)
@click.option("--json", "as_json", is_flag=True, help='Print {"client_id": ..., "client_secret": ...}.')
def clients_create(
    business_name: str,
    redirect_uris: tuple[str, ...],
    scopes: tuple[str, ...],
    name: str | None,
    purpose: str,
    as_json: bool,
) -> None:
    """Register an application of a business and print its credentials (the secret is shown only now)."""
    from vrm.accounts.businesses import get_business
    from vrm.oauth.clients import create_client

    runtime = open_runtime(Settings.from_env())
    with runtime.sessions.begin() as session:
        business = get_business(session, name=business_name)
        client, secret = create_client(
            session,
            business_id=business.id,
            name=name or business.display_name,
            redirect_uris=list(redirect_uris),
            scopes=" ".join(scopes) if scopes else None,
            purpose=purpose,
        )
    if as_json:
        click.echo(json.dumps({"client_id": client.client_id, "client_secret": secret}))
    else:
        click.echo(
            f"client_id:     {client.client_id}\nclient_secret: {secret}\nscopes:        {client.scopes}"
        )
        click.echo("Keep the secret safe: it is not stored and cannot be shown again.", err=True)


@click.group()
def webhooks() -> None:
    """Manage businesses' webhooks and deliver their events."""


@webhooks.command("set")
@click.option("--business", "business_name", required=True, help="The business's handle.")
@click.option("--url", required=True, help="Where events are POSTed (https).")
@click.option("--json", "as_json", is_flag=True, help='Print {"url": ..., "secret": ...}.')
def webhooks_set(business_name: str, url: str, as_json: bool) -> None:
    """Point a business's webhook at URL and print its signing secret."""
    from vrm.accounts.businesses import get_business
    from vrm.consent.webhooks import set_webhook

    runtime = open_runtime(Settings.from_env())
    with runtime.sessions.begin() as session:
        business = get_business(session, name=business_name)
        hook, secret = set_webhook(session, keyring=runtime.keyring, business_id=business.id, url=url)
        url = hook.url
    click.echo(json.dumps({"url": url, "secret": secret}) if as_json else f"url:    {url}\nsecret: {secret}")


@webhooks.command("rotate-secret")
@click.option("--business", "business_name", required=True, help="The business's handle.")
def webhooks_rotate(business_name: str) -> None:
    """Give a business's webhook a new signing secret (the old one stops verifying at once)."""
    from vrm.accounts.businesses import get_business
    from vrm.consent.webhooks import rotate_webhook_secret

    runtime = open_runtime(Settings.from_env())
    with runtime.sessions.begin() as session:
        business = get_business(session, name=business_name)
        secret = rotate_webhook_secret(session, keyring=runtime.keyring, business_id=business.id)
    click.echo(f"secret: {secret}")


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (default: keep running).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 120),
    help="Seconds a receiver may take before the attempt counts as failed (sent again later, same id).",
)
def webhooks_deliver(once: bool, interval: float, timeout: float) -> None:
    """Send due webhook events, retrying failures with exponential backoff (at least once each)."""
    from vrm.consent.webhooks import deliver_due, due_count, http_send

    runtime = open_runtime(Settings.from_env())
    # Development receivers live on this machine; production refuses every non-public address.
    send = partial(http_send, allow_private=not runtime.settings.is_production, timeout=timeout)
    while True:
        with runtime.sessions() as session:
            waiting = due_count(session)
        result = deliver_due(runtime.sessions, keyring=runtime.keyring, send=send)
        if waiting or once:
            summary = f"{result.delivered} delivered, {result.retrying} to retry, {result.failed} given up"
            click.echo(f"{waiting} due: {summary}", err=True)
        if once:
            return
        time.sleep(interval)
