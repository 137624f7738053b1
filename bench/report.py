"""Timing helpers: interleaved runs, medians, and the house line format `name: value (baseline, ratio)`."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(
    subject: Callable[[], object],
    baseline: Callable[[], object],
    *,
    rounds: int,
    warmup: int = 3,
    before: Callable[[], object] = lambda: None,
) -> tuple[float, float]:
    """Return median seconds of subject and baseline, run alternately so drift hits both alike.

    `before` runs, untimed, before every run of either (to put back the state the subject changes)."""
    for _ in range(warmup):
        before()
        subject()
        baseline()
    subject_times, baseline_times = [], []
    for _ in range(rounds):
        for run, times in ((subject, subject_times), (baseline, baseline_times)):
            before()
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return statistics.median(subject_times), statistics.median(baseline_times)


def line(name: str, value: float, baseline: float, *, goal: float | None = None, unit: str = "ms") -> str:
    scale = 1000 if unit == "ms" else 1
    ratio = value / baseline
    verdict = "" if goal is None else f"  goal <= {goal:.2f}x: {'met' if ratio <= goal else 'MISSED'}"
    measured, base = f"{value * scale:.2f} {unit}", f"{baseline * scale:.2f} {unit}"
    return f"{name}: {measured} (baseline {base}, ratio {ratio:.2f}x){verdict}"
