"""Which front answers a path: JSON (API, OAuth, probes, well-known documents) or the web pages."""

from __future__ import annotations

# Paths answered in JSON (/metrics: Prometheus text) and authenticated with tokens, never with the
# browser's cookies.
JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/.well-known/", "/oauth/")


def is_json_path(path: str) -> bool:
    return path.startswith(JSON_PREFIXES)
