"""Reading /metrics as Prometheus would: the samples of one metric with given labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(exposition: str, name: str, **labels: str) -> list[float]:
    """The values of the samples called `name` that carry these labels (none when nothing was counted)."""
    return [
        found.value
        for family in text_string_to_metric_families(exposition)
        for found in family.samples
        if found.name == name and all(found.labels.get(k) == v for k, v in labels.items())
    ]
