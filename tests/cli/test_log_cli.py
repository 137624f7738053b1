"""`vrm log export` and `vrm log verify`: an auditor takes the log away and checks it without the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import Vrm, assert_one_line_error
from tests.conftest import Database
from vrm.consent.canonical import canonical
from vrm.consent.log import append, verify


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
