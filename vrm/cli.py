"""The `vrm` command: thin wrappers that parse, call the services, print, and own the one commit."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from vrm import schema
from vrm.cli_integrations import clients, webhooks
from vrm.cli_log import auditors, log, receipts
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine
from vrm.errors import KeyRingError, VrmError
from vrm.files import make_private
from vrm.runtime import Runtime, open_runtime


class Vrm(click.Group):
    """Turn expected failures into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VrmError as error:
            raise click.ClickException(error.detail) from None
        except OperationalError as error:
            # Driver messages span lines (psycopg adds a hint); the contract is one line on stderr.
            reason = " ".join(str(error.orig).split())
            raise click.ClickException(f"cannot use the database: {reason}") from None


@click.group(cls=Vrm, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """VRM vault: the customer's encrypted vault for their relationships with businesses.

    Configuration comes from the environment: VRM_DATABASE_URL, VRM_KEYRING_FILE, VRM_SECRET_KEY,
    VRM_ISSUER, VRM_ENV (development | production).
    """


cli.add_command(clients)
cli.add_command(webhooks)
cli.add_command(log)
cli.add_command(auditors)
cli.add_command(receipts)


def main() -> None:
    os.umask(0o077)  # everything vrm creates (database, key ring, lock files) is owner-only
    cli(prog_name="vrm")


def _runtime() -> Runtime:
    return open_runtime(Settings.from_env())


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


# --- db -------------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
def db_upgrade(revision: str) -> None:
    """Apply schema migrations (creates the embedded SQLite database when missing)."""
    settings = Settings.from_env()
    if settings.database_url.startswith("sqlite:///"):
        make_private(Path(settings.database_url.removeprefix("sqlite:///")))
    engine = make_engine(settings.database_url)
    schema.upgrade(engine, revision)
    click.echo(f"database schema at {schema.current_revision(engine)}")


@db.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is the latest (fails if it is newer)."""
    engine = make_engine(Settings.from_env().database_url)
    schema.check_known(engine)
    current, head = schema.current_revision(engine), schema.head_revision()
    click.echo(f"{current or 'empty'} ({'latest' if current == head else f'latest is {head}'})")


# --- keys -----------------------------------------------------------------------------------------


@cli.group()
def keys() -> None:
    """Manage the key ring that protects every customer's data key."""


@keys.command("init")
@click.option("--if-missing", is_flag=True, help="Do nothing when the key ring already exists.")
def keys_init(if_missing: bool) -> None:
    """Create a new key ring at VRM_KEYRING_FILE (mode 0600)."""
    settings = Settings.from_env()
    path = settings.keyring_file
    if if_missing and path.exists():
        click.echo(f"key ring {path} already exists")
        return
    KeyRing.generate(settings.env).save(path, create=True)  # never replaces a ring, even in a race
    click.echo(f"created key ring {path}")
    if not settings.is_production:
        _echo_err(
            "warning: this is a DEVELOPMENT key ring. Production must supply its own: "
            "VRM_ENV=production VRM_KEYRING_FILE=/secure/path vrm keys init"
        )


def _with_progress(
    job: Callable[[Callable[[int, int], None]], Any], label: str = "re-wrapping data keys"
) -> Any:
    """Run a batch job, drawing its (done, total) progress as a bar on stderr."""
    bar: Any = None
    shown = 0

    def update(done: int, total: int) -> None:
        nonlocal bar, shown
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.length = max(total, 1)
        bar.update(done - shown)
        shown = done

    try:
        return job(update)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


batch_size_option = click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Data keys re-wrapped per transaction.",
)


@keys.command("rotate")
@batch_size_option
def keys_rotate(batch_size: int) -> None:
    """Add a new primary key and re-wrap every data key under it (fields are not re-encrypted).

    Safe to interrupt: running it again resumes the unfinished rotation instead of starting another.
    """
    from vrm.vault.keys import rotate_keys

    runtime = _runtime()
    report, resumed = _with_progress(
        lambda progress: rotate_keys(
            runtime.sessions, keyring=runtime.keyring, batch_size=batch_size, on_batch=progress
        )
    )
    verb = "resumed and completed" if resumed else "completed"
    click.echo(f"rotation {verb}: key {report.target} is primary; {report.rewrapped} data key(s) re-wrapped")


@keys.command("rewrap")
@batch_size_option
def keys_rewrap(batch_size: int) -> None:
    """Re-wrap data keys still under older key versions (e.g. made on a host with an outdated ring)."""
    from vrm.vault.keys import rewrap_data_keys

    runtime = _runtime()
    report = _with_progress(
        lambda progress: rewrap_data_keys(
            runtime.sessions, keyring=runtime.keyring, batch_size=batch_size, on_batch=progress
        )
    )
    click.echo(f"{report.rewrapped} data key(s) re-wrapped under key {report.target}")


@keys.command("status")
def keys_status() -> None:
    """Show each key version and how many data keys it still wraps."""
    from vrm.vault.keys import count_by_key_version

    runtime = _runtime()
    ring = runtime.keyring
    with runtime.sessions() as session:
        counts = count_by_key_version(session)
    click.echo(f"key ring {ring.path} ({ring.environment})")
    if ring.rotating_to is not None:
        click.echo(f"rotation to key {ring.rotating_to} is unfinished: run `vrm keys rotate` to complete it")
    for key_id in sorted(set(ring.keys) | set(counts)):
        count = counts.get(key_id, 0)
        notes = []
        if key_id == ring.primary:
            notes.append("primary")
        if key_id not in ring.keys:
            notes.append("MISSING from the key ring")
        elif key_id != ring.primary and count == 0:
            notes.append("can be retired")
        suffix = f"  [{', '.join(notes)}]" if notes else ""
        click.echo(f"key {key_id}: wraps {count} data key(s){suffix}")


@keys.command("retire")
@click.argument("key_id", type=int)
def keys_retire(key_id: int) -> None:
    """Remove KEY_ID from the key ring; refused while any data key depends on it."""
    from vrm.vault.keys import retire_key

    runtime = _runtime()
    with runtime.sessions.begin() as session:
        retire_key(session, keyring=runtime.keyring, key_id=key_id)
    click.echo(f"key {key_id} retired: it is gone from {runtime.keyring.path}")


# --- accounts -------------------------------------------------------------------------------------


@cli.group()
def customers() -> None:
    """Manage customer accounts."""


@customers.command("create")
@click.option("--email", required=True, help="The customer's sign-in email.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def customers_create(email: str, password_stdin: bool) -> None:
    """Create a customer account with an empty vault."""
    from vrm.accounts.customers import create_customer

    password = _read_password() if password_stdin else None
    runtime = _runtime()
    with runtime.sessions.begin() as session:
        customer = create_customer(session, keyring=runtime.keyring, email=email, password=password)
    click.echo(f"customer {customer.id} created")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("--password-stdin given but standard input is empty")
    return line.rstrip("\r\n")


@cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--password-stdin", is_flag=True, help="Read the new account's password from standard input.")
@click.option(
    "--create-businesses", is_flag=True, help="Register companies the export names but this instance lacks."
)
def import_(file: Any, password_stdin: bool, create_businesses: bool) -> None:
    """Import a vrm-export/1 FILE (a customer's download) as a new customer, all or nothing."""
    from vrm.vault.importer import import_vault

    try:
        document = json.loads(file.read())
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file.name} is not a JSON document: {error}") from None
    password = _read_password() if password_stdin else None
    runtime = _runtime()

    def run(progress: Callable[[int, int], None]) -> Any:
        with runtime.sessions.begin() as session:
            return import_vault(
                session,
                keyring=runtime.keyring,
                document=document,
                password=password,
                create_businesses=create_businesses,
                on_progress=progress,
            )

    customer = _with_progress(run, label="importing interactions")
    click.echo(f"customer {customer.id} imported")


@cli.group()
def businesses() -> None:
    """Manage the businesses customers deal with."""


@businesses.command("create")
@click.argument("name")
@click.option("--display-name", help="The name customers see (defaults to NAME).")
@click.option("--website", help="The business's https:// address.")
def businesses_create(name: str, display_name: str | None, website: str | None) -> None:
    """Register a business under the handle NAME (lower-case letters, digits, dashes)."""
    from vrm.accounts.businesses import create_business

    runtime = _runtime()
    with runtime.sessions.begin() as session:
        business = create_business(session, name=name, display_name=display_name, website=website)
    click.echo(f"business {business.name} created ({business.id})")


# --- development and serving ------------------------------------------------------------------------


@cli.command()
@click.option(
    "--customers",
    type=click.IntRange(1, 100_000_000),
    help="Grow the population to this many customers, each with a consent, a history and its log events.",
)
@click.option(
    "--interactions", default=10, show_default=True, type=click.IntRange(0, 1000), help="With --customers."
)
def demo(customers: int | None, interactions: int) -> None:
    """Load demo businesses and a demo customer (once; development only); with --customers, a population."""
    from vrm.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

    runtime = _runtime()
    if runtime.settings.is_production:
        raise click.ClickException("demo data is for development only (VRM_ENV is production)")
    with runtime.sessions.begin() as session:
        loaded = load_demo(session, keyring=runtime.keyring)
    click.echo("demo data loaded" if loaded else "demo data already loaded")
    click.echo(f"demo customer login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    if customers is not None:
        _populate(runtime, customers, interactions)


def _populate(runtime: Runtime, customers: int, interactions: int) -> None:
    from vrm.population import customer_count, populate

    with runtime.sessions() as session:
        missing = max(0, customers - customer_count(session))
    with click.progressbar(length=missing, label="customers", file=sys.stderr) as bar:
        added = populate(
            runtime.sessions,
            keyring=runtime.keyring,
            customers=customers,
            interactions=interactions,
            progress=bar.update,
        )
    click.echo(f"{added} customers added, each with {interactions} interactions and their log events")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app with gunicorn, configured as in the Docker image (vrm.serving.gunicorn_config)."""
    runtime = _runtime()  # refuse a bad configuration here, in one line, before any worker starts
    runtime.engine.dispose()
    click.echo(f"serving VRM vault on http://{host}:{port}")
    if not runtime.settings.is_production:
        from vrm.demo import DEMO_EMAIL, DEMO_PASSWORD

        click.echo(f"demo customer login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    environ = {**os.environ, "VRM_BIND": f"{host}:{port}", "WEB_CONCURRENCY": str(workers)}
    environ["VRM_THREADS"] = str(threads)
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:vrm.serving.gunicorn_config", "vrm.wsgi:app"]
    os.execve(sys.executable, gunicorn, environ)  # noqa: S606 (our own interpreter, fixed arguments)  # nosec B606


__all__ = ["KeyRingError", "cli", "main"]
