from __future__ import annotations

from pathlib import Path

import pytest

from vrm.config import Settings
from vrm.errors import ConfigError

PRODUCTION = {
    "VRM_ENV": "production",
    "VRM_SECRET_KEY": "s" * 48,
    "VRM_KEYRING_FILE": "/run/secrets/vrm-keyring.json",
    "VRM_DATABASE_URL": "postgresql+psycopg://vrm@db/vrm",
    "VRM_ISSUER": "https://vault.example.org",
}


def test_development_defaults_live_under_the_instance_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'vrm.sqlite3'}"
    assert settings.keyring_file == tmp_path / "keyring.json"
    assert not settings.is_production


def test_development_secret_is_created_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path)}).secret_key
    assert first == Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path)}).secret_key
    assert len(first) >= 32
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_complete_production_settings_are_accepted() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.is_production and settings.issuer == "https://vault.example.org"


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("VRM_SECRET_KEY", "VRM_SECRET_KEY"),
        ("VRM_KEYRING_FILE", "VRM_KEYRING_FILE"),
        ("VRM_DATABASE_URL", "VRM_DATABASE_URL"),
        ("VRM_ISSUER", "VRM_ISSUER"),
    ],
)
def test_production_names_the_variable_it_lacks(missing: str, named: str) -> None:
    environ = {name: value for name, value in PRODUCTION.items() if name != missing}
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(environ)


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ConfigError, match="VRM_SECRET_KEY"):
        Settings.from_env({**PRODUCTION, "VRM_SECRET_KEY": "short"})


def test_production_refuses_a_plain_http_issuer() -> None:
    with pytest.raises(ConfigError, match="VRM_ISSUER"):
        Settings.from_env({**PRODUCTION, "VRM_ISSUER": "http://vault.example.org"})


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="VRM_ENV"):
        Settings.from_env({"VRM_ENV": "staging"})


def test_the_api_rate_limit_is_read_and_checked(tmp_path: Path) -> None:
    here = {"VRM_INSTANCE_DIR": str(tmp_path)}
    assert (
        Settings.from_env({**here, "VRM_API_RATE_LIMIT": "50 per second"}).api_rate_limit == "50 per second"
    )
    assert Settings.from_env(here).api_rate_limit == "600 per minute"
    with pytest.raises(ConfigError, match="VRM_API_RATE_LIMIT"):
        Settings.from_env({**here, "VRM_API_RATE_LIMIT": "as many as you like"})
    assert Settings.from_env(here).decisions_rate_limit == "60 per minute"
    assert (
        Settings.from_env({**here, "VRM_DECISIONS_RATE_LIMIT": "5/second"}).decisions_rate_limit == "5/second"
    )
    with pytest.raises(ConfigError, match="VRM_DECISIONS_RATE_LIMIT"):
        Settings.from_env({**here, "VRM_DECISIONS_RATE_LIMIT": "lots"})


def test_the_number_of_proxies_is_checked(tmp_path: Path) -> None:
    here = {"VRM_INSTANCE_DIR": str(tmp_path)}
    assert (
        Settings.from_env(here).proxies == 0 and Settings.from_env({**here, "VRM_PROXIES": "1"}).proxies == 1
    )
    with pytest.raises(ConfigError, match="VRM_PROXIES"):
        Settings.from_env({**here, "VRM_PROXIES": "all of them"})
