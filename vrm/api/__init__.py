"""The JSON front: business API, OAuth, OpenAPI document, probes, metrics; rate-limited per client."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter

from vrm.api import customer, journeys  # noqa: F401  (their routes join customer_api)
from vrm.api.client_limits import limit_per_client
from vrm.api.contact import contact_api
from vrm.api.customer_calls import customer_api
from vrm.api.health import health
from vrm.api.log import auditor_key, log_api, log_key
from vrm.api.metrics import metrics_api
from vrm.api.oauth import oauth
from vrm.api.openapi import openapi
from vrm.api.receipts import receipts_api
from vrm.config import Settings

# Per client (its tokens), whatever addresses its calls come from; shared across workers through Redis.
# Per-client limits: VRM_API_RATE_LIMIT and VRM_DECISIONS_RATE_LIMIT (Settings).
OAUTH_LIMIT = "120 per minute"  # per client address: token, revocation and introspection
LOG_LIMIT = "600 per minute"  # per auditor: the log API


def install(app: Flask, limiter: Limiter, settings: Settings) -> None:
    limit_per_client(app, customer_api, limiter, settings.api_rate_limit)
    limit_per_client(app, contact_api, limiter, settings.decisions_rate_limit)
    limit_per_client(app, receipts_api, limiter, settings.api_rate_limit)
    limiter.limit(OAUTH_LIMIT)(oauth)
    limiter.limit(LOG_LIMIT, key_func=auditor_key)(log_api)
    for blueprint in (
        health,
        metrics_api,
        oauth,
        customer_api,
        contact_api,
        receipts_api,
        openapi,
        log_api,
        log_key,
    ):
        app.register_blueprint(blueprint)
