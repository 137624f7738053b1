"""`vrm log export` and `vrm log verify`: an auditor takes the log away and checks it without the server."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests import factories
from tests.cli.test_cli import Vrm, assert_one_line_error
from tests.conftest import Database
from vrm.consent.canonical import canonical
from vrm.consent.log import append, verify
from vrm.crypto.keyring import KeyRing


@pytest.fixture
def logged(database: Database, tmp_path: Path) -> Vrm:
    """`vrm` on a database whose consent log holds 12 events."""
    with database.sessions.begin() as session:
        for number in range(12):
            append(session, kind="consent.granted", actors={"customer": f"p{number}"}, details={"n": number})
    return Vrm(tmp_path, database.url)


def test_an_export_verifies_and_matches_the_log(logged: Vrm, tmp_path: Path) -> None:
    exported = tmp_path / "log.jsonl"
    result = logged("log", "export", "--format", "jsonl", "--output", str(exported))
    assert result.returncode == 0, result.stderr
    assert "exporting events" in result.stderr  # the progress bar
    lines = exported.read_bytes().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(12))
    summary = logged.ok("log", "verify", str(exported))
    assert summary.strip() == f"intact: 12 events, Merkle root {verify(lines).root.hex()}"


def test_a_range_is_exported_in_order(logged: Vrm) -> None:
    lines = logged.ok("log", "export", "--from", "3", "--to", "5").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [3, 4, 5]


@pytest.mark.parametrize(("how", "bad_seq"), [("changed", 8), ("dropped", 7), ("truncated-line", 7)])
def test_verification_of_a_tampered_export_names_the_first_bad_seq(
    logged: Vrm, tmp_path: Path, how: str, bad_seq: int
) -> None:
    lines = logged.ok("log", "export").encode().splitlines()
    if how == "changed":
        fields = json.loads(lines[7])
        fields["actors"]["customer"] = "someone else"
        lines[7] = canonical(fields)
    elif how == "dropped":
        del lines[7]
    else:
        lines[7] = lines[7][:-5]
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_bytes(b"\n".join(lines) + b"\n")
    result = logged("log", "verify", str(tampered))
    assert result.returncode == 1
    assert assert_one_line_error(result, f"seq {bad_seq}:")


def test_verifying_a_missing_file_is_one_clear_line(logged: Vrm, tmp_path: Path) -> None:
    assert_one_line_error(logged("log", "verify", str(tmp_path / "nothing.jsonl")), "nothing.jsonl")


@pytest.fixture
def signed(logged: Vrm, tmp_path: Path) -> tuple[Path, Path, Path]:
    """An export of the 12 events, the checkpoint the server signed over them, and its public key."""
    logged.ok("keys", "init")
    checkpoint, key, export = tmp_path / "checkpoint.json", tmp_path / "key.json", tmp_path / "log.jsonl"
    logged.ok("log", "checkpoint", "--output", str(checkpoint))
    logged.ok("log", "key", "--output", str(key))
    logged.ok("log", "export", "--output", str(export))
    return export, checkpoint, key


def test_an_export_matches_the_checkpoint_the_server_signed(
    logged: Vrm, signed: tuple[Path, Path, Path]
) -> None:
    export, checkpoint, key = signed
    assert json.loads(checkpoint.read_text())["checkpoint"]["tree_size"] == 12
    summary = logged.ok("log", "verify", str(export), "--checkpoint", str(checkpoint), "--key", str(key))
    assert summary.startswith("intact: 12 events") and "checkpoint of 12 events signed" in summary


def test_an_export_cut_off_at_the_end_is_caught_by_the_checkpoint(
    logged: Vrm, signed: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    export, checkpoint, key = signed
    short = tmp_path / "short.jsonl"
    short.write_bytes(b"".join(export.read_bytes().splitlines(keepends=True)[:9]))
    assert logged.ok("log", "verify", str(short)).startswith("intact: 9 events")  # alone, it looks whole
    result = logged("log", "verify", str(short), "--checkpoint", str(checkpoint), "--key", str(key))
    assert result.returncode == 1
    assert_one_line_error(result, "seq 9:", "missing", "12 events")


def test_a_rewritten_log_with_an_unbroken_chain_is_caught_by_the_checkpoint(
    logged: Vrm, signed: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, checkpoint, key = signed
    with_chain = tmp_path / "rewritten.jsonl"
    events, prev = [], "0" * 64
    for number in range(12):  # a whole new history, hashed and chained as the server would
        event = canonical(
            {
                "seq": number,
                "at": "2026-12-01T00:00:00.000000Z",
                "type": "consent.granted",
                "actors": {"customer": "forged"},
                "details": {},
                "prev_hash": prev,
            }
        )
        events.append(event)
        prev = hashlib.sha256(event).hexdigest()
    with_chain.write_bytes(b"\n".join(events) + b"\n")
    result = logged("log", "verify", str(with_chain), "--checkpoint", str(checkpoint), "--key", str(key))
    assert_one_line_error(result, "not the log the server signed")


def test_a_forged_checkpoint_is_refused(logged: Vrm, signed: tuple[Path, Path, Path], tmp_path: Path) -> None:
    export, checkpoint, key = signed
    forged = json.loads(checkpoint.read_text())
    forged["checkpoint"]["tree_size"] = 9  # to pass off a shortened log
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    result = logged(
        "log", "verify", str(export), "--checkpoint", str(tmp_path / "forged.json"), "--key", str(key)
    )
    assert_one_line_error(result, "the checkpoint does not verify")
    alone = logged("log", "verify", str(export), "--checkpoint", str(checkpoint))
    assert_one_line_error(alone, "--checkpoint and --key go together")


def test_an_auditor_is_created_with_a_token_shown_once(logged: Vrm) -> None:
    logged.ok("keys", "init")
    created = json.loads(logged.ok("auditors", "create", "acme-audit", "--json"))
    assert created["auditor"] == "acme-audit" and created["token"].startswith("vrm_audit_")
    assert_one_line_error(logged("auditors", "create", "acme-audit"), "already exists")
    assert_one_line_error(logged("auditors", "create", "Not A Handle"), "lower-case")
    assert logged.ok("auditors", "revoke", "acme-audit").strip() == "auditor acme-audit revoked"
    assert_one_line_error(logged("auditors", "revoke", "nobody-here"), "no auditor")


def test_a_checkpoint_logs_the_grants_that_ran_out_before_it_signs(logged: Vrm, database: Database) -> None:
    logged.ok("keys", "init")
    ring = KeyRing.load(logged.ring)
    with database.sessions.begin() as session:
        customer, _ = factories.customer(session, ring)
        grant = factories.grant(session, ring, customer, factories.business(session))
        grant.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    signed = json.loads(logged.ok("log", "checkpoint"))
    lines = logged.ok("log", "export").splitlines()
    assert json.loads(lines[-1])["type"] == "consent.expired"
    assert signed["checkpoint"]["tree_size"] == len(lines)  # the expiry is in what was signed
