"""`vrm log`: export the consent log, and verify an exported copy offline (docs/consent-log.md)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import click
from sqlalchemy import func, select

from vrm import schema
from vrm.config import Settings
from vrm.consent.log import verify
from vrm.consent.models import LogEvent
from vrm.db import make_engine, make_sessionmaker

BATCH = 5_000  # events read per query while exporting


@click.group()
def log() -> None:
    """Export and verify the consent log."""


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
def log_verify(file: Path) -> None:
    """Recompute every hash of an export from seq 0: the chain, each event's canonical form, and the root.

    Exit status 0 with a one-line summary when intact; 1 naming the first bad seq otherwise.
    """
    try:
        with file.open("rb") as lines:
            result = verify(events_in(lines))
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror}") from None
    if not result.intact:
        click.echo(f"seq {result.first_bad_seq}: the event {result.problem}", err=True)
        sys.exit(1)
    click.echo(f"intact: {result.events} events, Merkle root {result.root.hex()}")


def events_in(file: IO[bytes]) -> Iterator[bytes]:
    for line in file:
        yield line[:-1] if line.endswith(b"\n") else line
