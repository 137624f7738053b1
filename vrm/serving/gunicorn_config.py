"""gunicorn's configuration, read by the Docker image and by `vrm serve` alike:

    gunicorn -c python:vrm.serving.gunicorn_config vrm.wsgi:app

Workers come from WEB_CONCURRENCY, threads from VRM_THREADS, the address from VRM_BIND; anything else can
be given in GUNICORN_CMD_ARGS. No preload: each worker builds its own app and database pool.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from vrm.serving.logs import LOGCONFIG

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # as vrm.metrics, which is not imported here (see below)


def _count(name: str, default: int, highest: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or not 1 <= int(value) <= highest:
        sys.exit(f"{name} must be a whole number from 1 to {highest}, not {value!r}")
    return int(value)


# prometheus_client picks its multi-process mode when it is first imported. That must happen in the workers,
# after this is set: nothing the master imports here may import it.
if not os.environ.get(MULTIPROCESS_DIR):
    os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="vrm-metrics-")

bind = os.environ.get("VRM_BIND", "0.0.0.0:8000")
workers = _count("WEB_CONCURRENCY", 2, 64)
threads = _count("VRM_THREADS", 4, 64)
worker_class = "gthread"
# A request that takes longer than this is stuck: its worker is replaced. SIGTERM lets requests in flight
# finish for graceful_timeout seconds (deploys, scale-in) before workers are stopped.
timeout = 30
graceful_timeout = 20
keepalive = 5  # behind a proxy that reuses connections
# Workers are replaced after about 10,000 requests each, so no slow growth of memory lasts.
max_requests = 10_000
max_requests_jitter = 1_000
# One JSON line a request is written by the app (vrm.serving.observe), without path, query or address.
accesslog = None
logconfig_dict = LOGCONFIG
# gunicorn 25+ opens a control socket in the home directory for run-time changes: nothing here needs one,
# the image's file system is read-only, and two nodes on one host would share its path.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Start from an empty metrics directory: files a previous run left would be counted again."""
    directory = Path(os.environ[MULTIPROCESS_DIR])
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(mode=0o700, parents=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that stopped no longer counts in the live gauges (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
