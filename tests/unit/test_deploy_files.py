"""deploy/ stays true to the code: every command it runs exists with those options, every variable it sets
is one the app reads, and only the proxy is reachable from outside. (No Docker engine runs here; the
Caddyfile itself is exercised by tests/faults/test_proxy_failover.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from vrm.cli import cli

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def variables_read_by_the_app() -> set[str]:
    sources = [ROOT / "vrm" / "config.py", ROOT / "vrm" / "serving" / "gunicorn_config.py"]
    found = {
        name for source in sources for name in re.findall(r"\b(?:VRM|WEB)_[A-Z_]+\b", source.read_text())
    }
    return found | {"FORWARDED_ALLOW_IPS"}  # gunicorn's own


def test_every_vrm_command_in_compose_exists_with_its_options() -> None:
    commands = []
    for name, service in compose()["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command[0] == "sh":
            commands += [part.split() for part in command[-1].split("&&")]
        elif isinstance(command, list) and command[0] == "vrm":
            commands.append(command)
        elif service.get("build"):
            assert command is None, name  # the image's own CMD: gunicorn with vrm.serving.gunicorn_config
    assert len(commands) >= 4
    for command in commands:
        assert command[0] == "vrm"
        result = CliRunner().invoke(cli, [*command[1:], "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_the_environment_file_sets_only_what_the_app_reads() -> None:
    example = (DEPLOY / "vrm.env.example").read_text()
    names = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert {"VRM_ENV", "VRM_DATABASE_URL", "VRM_SECRET_KEY", "VRM_KEYRING_FILE", "VRM_ISSUER"} <= names
    assert names <= variables_read_by_the_app(), names - variables_read_by_the_app()


def test_only_the_proxy_is_published_and_app_nodes_report_readiness() -> None:
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    apps = [name for name, service in services.items() if service.get("healthcheck") and service.get("build")]
    assert sorted(apps) == ["app1", "app2"]
    for name in apps:
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]
    upstreams = services["proxy"]["environment"]["VRM_UPSTREAMS"].split()
    assert upstreams == [f"{name}:8000" for name in sorted(apps)]


def test_the_image_serves_with_the_shared_gunicorn_configuration() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "-c", "python:vrm.serving.gunicorn_config", "vrm.wsgi:app"]' in dockerfile
    assert "USER vrm:vrm" in dockerfile
