"""Per-client rate limits on the business API, counted by the app's Flask-Limiter storage and strategy.

Each API blueprint has one limit, keyed by the calling OAuth client. Flask-Limiter's decorator machinery
(resolving, filtering and exempting limits on every request) cost a quarter of an API call, so these
blueprints ask the limiter's own strategy directly: one hit per request (one Redis round trip with
`OneTripRedisStorage`), and the RateLimit fields (draft-ietf-httpapi-ratelimit-headers) from the window
that hit left. Web pages and the OAuth endpoints keep Flask-Limiter's decorators.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many

from vrm.api.bearer import client_key
from vrm.api.problems import problem


def limit_per_client(app: Flask, blueprint: Blueprint, limiter: Limiter, expression: str) -> None:
    """Hold each client to `expression` (Flask-Limiter's notation: "600 per minute", or several limits
    separated by ";") on `blueprint`. The RateLimit fields tell of the limit closest to running out."""
    items = parse_many(expression)

    def take_hits() -> Response | None:
        if not limiter.enabled:
            return None
        key, strategy = client_key(), limiter.limiter
        tightest: tuple[int, int, RateLimitItem] | None = None
        for item in items:
            allowed = strategy.hit(item, blueprint.name, key)
            reset_at, remaining = strategy.get_window_stats(item, blueprint.name, key)
            reset = max(0, int(reset_at - time.time()) + 1)  # seconds, rounded up: never too early
            if tightest is None or (remaining, -reset) < tightest[:2]:
                tightest = (remaining, -reset, item)
            if not allowed:
                g.rate_limit = _fields(item, remaining, reset)
                refused = problem(
                    429, "Too Many Requests", f"this client may make {item}; retry in {reset} seconds"
                )
                refused.headers["Retry-After"] = str(reset)
                return refused
        assert tightest is not None  # parse_many gives at least one
        g.rate_limit = _fields(tightest[2], tightest[0], -tightest[1])
        return None

    def announce(response: Response) -> Response:
        response.headers.update(g.pop("rate_limit", {}))
        return response

    # Flask-Limiter's own checks skip this blueprint at once, rather than resolving that nothing applies.
    limiter.request_filter(lambda: request.blueprint == blueprint.name)
    # On this app only: the blueprint object is shared by every app the process creates.
    app.before_request_funcs.setdefault(blueprint.name, []).append(take_hits)
    app.after_request_funcs.setdefault(blueprint.name, []).append(announce)


def _fields(item: RateLimitItem, remaining: int, reset: int) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(item.amount),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }
