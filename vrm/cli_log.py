"""`vrm log`: export the consent log, and verify an exported copy offline (docs/consent-log.md)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from sqlalchemy import func, select

from vrm import schema
from vrm.config import Settings
from vrm.consent.checkpoints import (
    CheckpointError,
    checkpoint_age,
    log_size,
    public_keys,
    sign_checkpoint,
    verify_checkpoint,
)
from vrm.consent.grants import record_expirations
from vrm.consent.log import verify
from vrm.consent.models import LogEvent
from vrm.db import make_engine, make_sessionmaker, utcnow, write_transaction
from vrm.runtime import Runtime, open_runtime

BATCH = 5_000  # events read per query while exporting
WATCH_INTERVAL = 2  # seconds between looks at the log's size, with --watch


@click.group()
def log() -> None:
    """Export, checkpoint and verify the consent log."""


@log.command("export")
@click.option("--format", "format_", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--from", "first", type=click.IntRange(0), default=0, help="First seq to export.")
@click.option(
    "--to", "last", type=click.IntRange(0), default=None, help="Last seq to export (default: the end)."
)
@click.option("--output", "-o", type=click.File("wb"), default="-", help="Where to write (default: stdout).")
def log_export(format_: str, first: int, last: int | None, output: IO[bytes]) -> None:
    """Write events in order, one canonical JSON event per line, exactly as they were logged."""
    engine = make_engine(Settings.from_env().database_url)
    schema.require_head(engine)
    with make_sessionmaker(engine)() as session:
        until = [LogEvent.seq <= last] if last is not None else []
        total = session.scalar(select(func.count()).where(LogEvent.seq >= first, *until)) or 0
        with click.progressbar(length=total, label="exporting events", file=sys.stderr, show_pos=True) as bar:
            seq = first
            while True:
                # Keyset pages, so a long export neither holds one huge result nor slows as it goes.
                page = session.execute(
                    select(LogEvent.seq, LogEvent.event)
                    .where(LogEvent.seq >= seq, *until)
                    .order_by(LogEvent.seq)
                    .limit(BATCH)
                ).all()
                if not page:
                    break
                output.write(b"".join(event + b"\n" for _, event in page))
                bar.update(len(page))
                seq = page[-1].seq + 1
    engine.dispose()


@log.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A signed checkpoint (from GET /api/v1/log/checkpoint or `vrm log checkpoint`) the file must match.",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The log's public key (JWK or JWK set, from /.well-known/vrm-log-key) that signed the checkpoint.",
)
def log_verify(file: Path, checkpoint: Path | None, key: Path | None) -> None:
    """Recompute every hash of an export from seq 0: the chain, each event's canonical form, and the root.

    With --checkpoint and --key, also check the checkpoint's signature, and that the file's first
    tree_size events have the root it signed: so no event was changed, and none cut off the end.

    Exit status 0 with a one-line summary when intact; 1 naming the first bad seq otherwise.
    """
    if (checkpoint is None) != (key is None):
        raise click.ClickException("--checkpoint and --key go together: give both")
    signed = _signed(checkpoint, key) if checkpoint is not None and key is not None else None
    size = signed["tree_size"] if signed is not None else None
    try:
        with file.open("rb") as lines:
            result = verify(events_in(lines), at=size, workers=os.cpu_count() or 1)
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror}") from None
    if not result.intact:
        _fail(f"seq {result.first_bad_seq}: the event {result.problem}")
    summary = f"intact: {result.events} events, Merkle root {result.root.hex()}"
    if signed is not None:
        if result.events < signed["tree_size"]:
            _fail(
                f"seq {result.events}: missing; the checkpoint signed {signed['tree_size']} events "
                f"and the file ends after {result.events} (cut off at the end)"
            )
        assert result.root_at is not None
        if result.root_at.hex() != signed["root_hash"]:
            _fail(
                f"the file's first {signed['tree_size']} events do not make the root the checkpoint signed: "
                "they are not the log the server signed"
            )
        summary += f"; checkpoint of {signed['tree_size']} events signed {signed['at']} verifies"
    click.echo(summary)


@log.command("checkpoint")
@click.option("--output", "-o", type=click.File("w"), default="-", help="Where to write (default: stdout).")
@click.option("--watch", is_flag=True, help="Keep running: sign whenever --events or --minutes is reached.")
@click.option("--events", type=click.IntRange(1), default=1000, show_default=True, help="With --watch.")
@click.option("--minutes", type=click.IntRange(1), default=5, show_default=True, help="With --watch.")
def log_checkpoint(output: IO[str], watch: bool, events: int, minutes: int) -> None:
    """Sign a checkpoint of the log as it is now (the log's size and Merkle root) and print it as JSON.

    Grants that ran out since the last run are logged first (consent.expired). With --watch, run as a
    service: log expiries as they come, and sign at least every --events events or --minutes minutes,
    whichever comes first, as long as the log grows.
    """
    runtime = open_runtime(Settings.from_env())
    if not watch:
        _record_expirations(runtime)
        with write_transaction(runtime.sessions) as session:
            signed = sign_checkpoint(session, keyring=runtime.keyring, origin=runtime.settings.issuer)
        output.write(json.dumps(signed.document(), indent=2) + "\n")
        return
    click.echo(f"signing checkpoints every {events} events or {minutes} minutes; Ctrl-C stops", err=True)
    while True:
        _record_expirations(runtime)
        with runtime.sessions() as session:
            size, age = log_size(session), checkpoint_age(session)
        signed_size, signed_at = age if age is not None else (0, datetime.min.replace(tzinfo=UTC))
        due = size - signed_size >= events or utcnow() - signed_at >= timedelta(minutes=minutes)
        if size > signed_size and due:
            with write_transaction(runtime.sessions) as session:
                signed = sign_checkpoint(session, keyring=runtime.keyring, origin=runtime.settings.issuer)
            click.echo(f"signed a checkpoint of {signed.fields['tree_size']} events", err=True)
        time.sleep(WATCH_INTERVAL)


def _record_expirations(runtime: Runtime) -> None:
    """Grants that ran out are logged before the checkpoint that follows them is signed."""
    while True:
        with write_transaction(runtime.sessions) as session:
            if record_expirations(session, keyring=runtime.keyring) == 0:
                return


@log.command("key")
@click.option("--output", "-o", type=click.File("w"), default="-", help="Where to write (default: stdout).")
def log_key(output: IO[str]) -> None:
    """Print the public key (a JWK set) that checks checkpoints and consent receipts."""
    runtime = open_runtime(Settings.from_env())
    output.write(json.dumps(public_keys(runtime.keyring), indent=2) + "\n")


def _signed(checkpoint: Path, key: Path) -> dict[str, Any]:
    try:
        return verify_checkpoint(_json(checkpoint), _json(key))
    except CheckpointError as error:
        _fail(f"the checkpoint {error}")


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def events_in(file: IO[bytes]) -> Iterator[bytes]:
    for line in file:
        yield line[:-1] if line.endswith(b"\n") else line


@click.group()
def auditors() -> None:
    """Manage privacy auditors, who read the consent log through the log API."""


@auditors.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help='Print {"auditor": ..., "token": ...}.')
def auditors_create(name: str, as_json: bool) -> None:
    """Create the auditor NAME and print their API token (shown only now)."""
    from vrm.accounts.auditors import create_auditor

    runtime = open_runtime(Settings.from_env())
    with runtime.sessions.begin() as session:
        auditor, token = create_auditor(session, name=name)
    if as_json:
        click.echo(json.dumps({"auditor": auditor.name, "token": token}))
    else:
        click.echo(f"auditor: {auditor.name}\ntoken:   {token}")
        click.echo("Keep the token safe: it is not stored and cannot be shown again.", err=True)


@auditors.command("revoke")
@click.argument("name")
def auditors_revoke(name: str) -> None:
    """End the auditor NAME's access: their token stops working at once."""
    from vrm.accounts.auditors import revoke_auditor

    runtime = open_runtime(Settings.from_env())
    with runtime.sessions.begin() as session:
        revoke_auditor(session, name=name)
    click.echo(f"auditor {name} revoked")


@click.group()
def receipts() -> None:
    """Check consent receipts."""


@receipts.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The log's public key (JWK or JWK set, from /.well-known/vrm-log-key); default: this server's.",
)
def receipts_verify(file: Path, key: Path | None) -> None:
    """Check a consent receipt: its signature and, for a downloaded one, that its event is in the log
    (the event, its inclusion proof and the signed checkpoint it leads to).

    Exit status 0 with a one-line summary when it holds; 1 saying what does not.
    """
    from vrm.consent.receipts import ReceiptError, verify_receipt

    text = _read(file).strip()
    document: Any = text.decode("utf-8", "replace") if text.count(b".") == 2 and b"{" not in text else None
    if document is None:
        try:
            document = json.loads(text)
        except ValueError:
            raise click.ClickException(
                f"{file} is neither a receipt (compact JWS) nor a JSON document"
            ) from None
    keys = _json(key) if key is not None else public_keys(open_runtime(Settings.from_env()).keyring)
    try:
        payload = verify_receipt(document, keys)
    except ReceiptError as error:
        _fail(f"the receipt {error}")
    consent, business = payload["consent"], payload["controller"]["name"]
    where = "in the log at seq" if isinstance(document, dict) else "not checked against the log: seq"
    click.echo(
        f"valid: consent {consent['state']} to {business} for {', '.join(consent['purposes'])}, "
        f"issued {payload['issued_at']}; {where} {payload['log']['seq']}"
    )


def _json(path: Path) -> Any:
    try:
        return json.loads(_read(path))
    except ValueError:
        raise click.ClickException(f"{path} is not a JSON document") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
