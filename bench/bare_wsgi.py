"""The load mix's baseline (bench.serve.bare_app) for gunicorn, on the database and customer it is told:

VRM_DATABASE_URL=... BENCH_CUSTOMER_ID=... gunicorn -c python:vrm.serving.gunicorn_config bench.bare_wsgi:app
"""

from __future__ import annotations

import os
import uuid

from bench.serve import bare_app

app = bare_app(os.environ["VRM_DATABASE_URL"], uuid.UUID(os.environ["BENCH_CUSTOMER_ID"]))
