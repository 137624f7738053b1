"""Settings built from the environment and validated once at start."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from limits import parse_many

from vrm.errors import ConfigError
from vrm.files import write_private

DEVELOPMENT, PRODUCTION = "development", "production"
MIN_SECRET_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 24


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    secret_key: str
    keyring_file: Path
    issuer: str
    instance_dir: Path
    redis_url: str | None = None
    # Calls a minute (or any Flask-Limiter expression) each OAuth client may make to the business API.
    api_rate_limit: str = "600 per minute"
    # Contact-decision calls a minute each client may make (each carries up to 10,000 questions).
    decisions_rate_limit: str = "60 per minute"
    # How many reverse proxies stand in front of the app: their X-Forwarded-For/-Proto are trusted.
    proxies: int = 0
    # Bearer token Prometheus sends to /metrics; without it /metrics is closed in production.
    metrics_token: str | None = None

    @property
    def is_production(self) -> bool:
        return self.env == PRODUCTION

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `VRM_*` variables, with development defaults under `instance/`.

        Raises:
            ConfigError: a variable is invalid, or production lacks a value it must be given.
        """
        env = os.environ if environ is None else environ
        mode = env.get("VRM_ENV", DEVELOPMENT)
        if mode not in (DEVELOPMENT, PRODUCTION):
            raise ConfigError(f"VRM_ENV must be '{DEVELOPMENT}' or '{PRODUCTION}', not {mode!r}")
        instance = Path(env.get("VRM_INSTANCE_DIR", "instance")).absolute()
        settings = cls(
            env=mode,
            database_url=env.get("VRM_DATABASE_URL") or f"sqlite:///{instance / 'vrm.sqlite3'}",
            secret_key=env.get("VRM_SECRET_KEY") or _development_secret(instance, mode),
            keyring_file=Path(env.get("VRM_KEYRING_FILE") or instance / "keyring.json"),
            issuer=(env.get("VRM_ISSUER") or "http://127.0.0.1:5000").rstrip("/"),
            instance_dir=instance,
            redis_url=env.get("VRM_REDIS_URL") or None,
            api_rate_limit=_rate_limit(env, "VRM_API_RATE_LIMIT", "600 per minute"),
            decisions_rate_limit=_rate_limit(env, "VRM_DECISIONS_RATE_LIMIT", "60 per minute"),
            proxies=_proxies(env.get("VRM_PROXIES") or "0"),
            metrics_token=_metrics_token(env.get("VRM_METRICS_TOKEN") or None),
        )
        settings.validate(given={name for name, value in env.items() if name.startswith("VRM_") and value})
        return settings

    def validate(self, *, given: set[str]) -> None:
        """Refuse settings that would be unsafe in production.

        Raises:
            ConfigError: naming the variable to set.
        """
        if not self.is_production:
            return
        if "VRM_SECRET_KEY" not in given or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"production needs VRM_SECRET_KEY set to a random value of at least {MIN_SECRET_LENGTH} "
                "characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if "VRM_KEYRING_FILE" not in given:
            raise ConfigError(
                "production needs VRM_KEYRING_FILE pointing at its own key ring (vrm keys init)"
            )
        if not self.issuer.startswith("https://"):
            raise ConfigError("production needs VRM_ISSUER set to the public https:// URL of this service")
        if "VRM_DATABASE_URL" not in given:
            # SQLite works in production, but only where the operator chose to put it.
            raise ConfigError("production needs VRM_DATABASE_URL set (postgresql+psycopg://... recommended)")


def _proxies(value: str) -> int:
    """Raises: ConfigError: not a small whole number."""
    if not value.isdigit() or int(value) > 5:
        raise ConfigError(
            f"VRM_PROXIES must be the number of reverse proxies in front of the app (0-5), not {value!r}"
        )
    return int(value)


def _metrics_token(value: str | None) -> str | None:
    """Raises: ConfigError: a token short enough to guess."""
    if value is not None and len(value) < MIN_METRICS_TOKEN_LENGTH:
        raise ConfigError(f"VRM_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters long")
    return value


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    """Raises: ConfigError: not a rate limit expression such as '600 per minute'."""
    expression = env.get(name) or default
    try:
        if parse_many(expression):
            return expression
    except ValueError:
        pass
    raise ConfigError(f"{name} must read like '600 per minute', not {expression!r}")


def _development_secret(instance: Path, mode: str) -> str:
    """Return a per-checkout development secret, created once under the instance folder."""
    if mode == PRODUCTION:
        return ""  # validate() names the missing variable
    path = instance / "dev-secret-key"
    # Processes starting together race here: whoever links the file first wins, the others read it.
    write_private(path, secrets.token_urlsafe(48).encode(), replace=False)
    return path.read_text().strip()
