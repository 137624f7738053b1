"""Fuzzing the log verifier, the one piece of code auditors run on files they did not write: whatever a file
holds, verify() answers (never raises), says intact only for the untouched log, and `vrm log verify` ends
with one line and a status, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vrm.cli import cli
from vrm.consent.log import encode_event, verify

START = datetime(2026, 1, 1, tzinfo=UTC)


def intact_log(size: int) -> list[bytes]:
    events: list[bytes] = []
    for seq in range(size):
        previous = events[-1] if events else None
        details = {"scopes": ["profile:read"], "n": seq, "note": "caf\u00e9"}
        actors = {"business": "b-1", "customer": f"c{seq % 3}"}
        moment = START + timedelta(seconds=seq)
        events.append(encode_event(seq, moment, "consent.granted", actors, details, previous))
    return events


LOG = intact_log(12)
ROOT = verify(LOG).root  # what a checkpoint signed over the untouched log says
MUTATIONS = st.sampled_from(["flip", "replace", "drop", "duplicate", "swap", "truncate", "append"])


@given(MUTATIONS, st.integers(0, len(LOG) - 1), st.integers(0, 10_000), st.binary(max_size=60))
@settings(max_examples=400, database=None)
def test_any_change_to_a_log_is_found_and_never_crashes_the_verifier(
    mutation: str, index: int, where: int, junk: bytes
) -> None:
    events = list(LOG)
    if mutation == "flip":
        event = bytearray(events[index])
        event[where % len(event)] ^= 1 + where % 255
        events[index] = bytes(event)
    elif mutation == "replace":
        events[index] = junk
    elif mutation == "drop":
        del events[index]
    elif mutation == "duplicate":
        events.insert(index, events[index])
    elif mutation == "swap":
        other = where % len(events)
        events[index], events[other] = events[other], events[index]
    elif mutation == "truncate":
        events[index] = events[index][: where % len(events[index])]
    else:
        events.append(junk)
    result = verify(events)
    if events == LOG:
        assert result.intact and result.events == len(LOG) and result.root == ROOT
    elif result.intact:
        # The chain vouches for an event through the next one's prev_hash, so a cut-off tail or a last event
        # rewritten into another well-formed event keeps it whole: only the signed checkpoint's root finds it.
        assert index == len(LOG) - 1 and mutation in ("drop", "flip", "truncate", "replace")
        assert result.root != ROOT
    else:
        assert result.first_bad_seq is not None and result.problem


@given(st.lists(st.binary(max_size=200), max_size=8))
@settings(max_examples=300, database=None)
def test_arbitrary_bytes_are_refused_not_crashed_on(events: list[bytes]) -> None:
    result = verify(events)
    assert result.intact == (not events)


def test_the_cli_answers_any_file_with_one_line(tmp_path: Path) -> None:
    runner = CliRunner()

    @given(st.binary(max_size=400) | st.lists(st.sampled_from(LOG), max_size=5).map(b"\n".join))
    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(content: bytes) -> None:
        file = tmp_path / "export.jsonl"
        file.write_bytes(content)
        result = runner.invoke(cli, ["log", "verify", str(file)])
        assert result.exit_code in (0, 1), (content, result.output, result.exception)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
        assert len(result.output.strip().splitlines()) == 1, result.output

    check()
