"""Rate limits for both fronts: one Flask-Limiter per app, shared through Redis when VRM_REDIS_URL is set.

Answers carry the IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): RateLimit-Limit,
RateLimit-Remaining and RateLimit-Reset, the last in seconds from now rather than Flask-Limiter's epoch.
"""

from __future__ import annotations

import time

from flask import Flask, Response
from flask_limiter import HeaderNames, Limiter
from flask_limiter.util import get_remote_address

from vrm.config import Settings
from vrm.serving.limit_storage import OneTripRedisStorage

EPOCH_FLOOR = 1_000_000_000  # 2001: no limit's window is that long, so anything above is a time
HEADERS = {
    HeaderNames.LIMIT: "RateLimit-Limit",
    HeaderNames.REMAINING: "RateLimit-Remaining",
    HeaderNames.RESET: "RateLimit-Reset",
}


def install(app: Flask, settings: Settings) -> Limiter:
    # Registered before the limiter's own hook, so it runs after it (Flask runs them last-registered first).
    @app.after_request
    def reset_in_seconds(response: Response) -> Response:
        reset = response.headers.get("RateLimit-Reset")
        # Flask-Limiter's decorated limits give an epoch; the API's per-client limits give seconds already.
        if reset is not None and reset.isdigit() and int(reset) > EPOCH_FLOOR:
            response.headers["RateLimit-Reset"] = str(max(0, int(reset) - int(time.time())))
        return response

    return Limiter(
        get_remote_address,
        app=app,
        storage_uri=_storage_uri(settings.redis_url),
        # O(1) per request and close to a moving window; a true moving window keeps every hit (O(limit)).
        strategy="sliding-window-counter",
        headers_enabled=True,
        header_name_mapping=HEADERS,
        retry_after="delta-seconds",
    )


def _storage_uri(redis_url: str | None) -> str:
    if redis_url is None:
        return "memory://"
    scheme = redis_url.partition("://")[0]
    # One round trip to Redis a request where the URL allows it (plain or TLS); other forms as given.
    return f"vrm+{redis_url}" if f"vrm+{scheme}" in OneTripRedisStorage.STORAGE_SCHEME else redis_url
