"""What every request leaves behind: a request id, one access log line and a latency sample.

The request id is the caller's `X-Request-ID` when it is a short token of safe characters (a proxy or a
client tracing its own calls), or a new random one; it is sent back in the answer and on every log line of
the request, so an operator can follow one call across the proxy, the app and the client.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from vrm.metrics import REQUEST_SECONDS

REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
access_log = logging.getLogger("vrm.access")


def install(app: Flask) -> None:
    @app.before_request
    def begin() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def finish(response: Response) -> Response:
        started, request_id = g.get("request_started"), g.get("request_id")
        if started is None:  # a request refused before begin() ran
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(seconds)
        response.headers[REQUEST_ID_HEADER] = request_id
        access_log.info(
            "%s %s %d",
            request.method,
            route,
            response.status_code,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
                "bytes": response.content_length,
                "request_id": request_id,
            },
        )
        return response
