# syntax=docker/dockerfile:1
# VRM vault: a production image. Configuration comes only from the environment at run time
# (VRM_DATABASE_URL, VRM_SECRET_KEY, VRM_KEYRING_FILE, VRM_ISSUER, ...); no secret is baked in.
#
#   docker build -t vrm-vault .
#   docker run --rm -e VRM_DATABASE_URL=... ... vrm-vault vrm db upgrade
#   docker run -p 8000:8000 -e VRM_DATABASE_URL=... -e VRM_SECRET_KEY=... \
#       -e VRM_ISSUER=https://vault.example.com -e VRM_KEYRING_FILE=/keys/keyring.json \
#       -v /srv/vrm-keys:/keys vrm-vault

# --- build: install the project and its dependencies into a virtual environment ---------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/vrm
WORKDIR /src
# Only what the distribution needs. pyproject maps the top-level migrations/ into the package
# vrm.migrations, so a normal (non-editable) install carries the Alembic revisions.
COPY pyproject.toml README.md ./
COPY vrm ./vrm
COPY web ./web
COPY migrations ./migrations
RUN /opt/vrm/bin/pip install .

# --- runtime: the virtual environment and an unprivileged user, nothing else ------------------------
FROM python:3.11-slim

ENV PATH=/opt/vrm/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VRM_ENV=production \
    WEB_CONCURRENCY=2

# /srv/vrm/keys is where deploy/compose.yaml mounts the key ring's volume: a new named volume takes this
# directory's owner and mode, so the unprivileged user can create and rotate the ring in it.
RUN groupadd --system --gid 10001 vrm \
 && useradd --system --uid 10001 --gid vrm --home-dir /srv/vrm --create-home --shell /usr/sbin/nologin vrm \
 && install -d -o vrm -g vrm -m 700 /srv/vrm/keys

COPY --from=build /opt/vrm /opt/vrm

# /srv/vrm (owned by vrm) is the working directory. The key ring is mounted from outside: owned by
# uid 10001, mode 0600, in a directory vrm can write to (`vrm keys rotate` replaces the file atomically).
WORKDIR /srv/vrm
USER vrm:vrm

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# gunicorn's settings live in vrm/serving/gunicorn_config.py, shared with `vrm serve`: workers from
# WEB_CONCURRENCY, threads from VRM_THREADS, graceful timeouts, JSON logs on stderr, the app's own access
# line (route template, status, duration, request id: no path, query, address or token). No preload: each
# worker builds its own app and database pool. Behind a proxy set VRM_PROXIES (and FORWARDED_ALLOW_IPS to
# its address); extra gunicorn options go in GUNICORN_CMD_ARGS.
ENV VRM_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/vrm-metrics
CMD ["gunicorn", "-c", "python:vrm.serving.gunicorn_config", "vrm.wsgi:app"]
