"""The servers a variant needs are the same everywhere: compose.yaml, the CI workflow, the default
DATABASE_URL (REDIS_URL) and the tests' admin URL all point at one server, which the app waits
for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Renders
from tests.helpers import Answers, variant_id, variants

VARIANTS = variants()
# The server of each database answer, as the matrix names it and compose runs it.
SERVERS = {"postgresql": ("postgres:17", 5432), "mysql": ("mysql:8.4", 3306)}
# The Redis of cache=redis.
REDIS = ("redis:7", 6379)


def servers(answers: Answers) -> dict[str, tuple[str, int]]:
    """The servers of a variant, by compose service name: (image, port)."""
    found = {name: SERVERS[name] for name in [answers["database"]] if name in SERVERS}
    if answers["cache"] == "redis":
        found["redis"] = REDIS
    return found


def load(project: Path, name: str) -> dict[str, Any]:
    data = yaml.safe_load((project / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def env_example(project: Path) -> dict[str, str]:
    text = (project / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE))


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_compose_runs_the_servers_and_the_app_waits_for_them(
    renders: Renders, answers: Answers
) -> None:
    compose = load(renders.get(answers), "compose.yaml")
    services = compose["services"]
    needed = servers(answers)
    expected = {"app", *(["migrate"] if answers["database"] != "none" else [])}
    assert set(services) == {*needed, *expected}
    for name, (image, port) in needed.items():
        server = services[name]
        assert server["image"] == image
        assert server["healthcheck"]["test"][0] == "CMD-SHELL"
        assert server["ports"] == [f"127.0.0.1:{port}:{port}"]
        volume = server["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]
        assert services["app"]["depends_on"][name] == {"condition": "service_healthy"}
    if answers["database"] in SERVERS:
        name, port = answers["database"], SERVERS[answers["database"]][1]
        # Migrations need the database only; inside compose it is reached by its service name.
        assert set(services["migrate"]["depends_on"]) == {name}
        assert services["migrate"]["depends_on"][name] == {"condition": "service_healthy"}
        for waiting in ("app", "migrate"):
            assert f"@{name}:{port}/" in services[waiting]["environment"]["DATABASE_URL"]
    if "redis" in needed:
        assert services["app"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert "REDIS_URL" not in services["migrate"]["environment"]
    if answers["database"] != "none":
        assert services["app"]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_ci_starts_the_same_servers_and_migrates_before_the_tests(
    renders: Renders, answers: Answers
) -> None:
    project = renders.get(answers)
    job = load(project, ".github/workflows/ci.yml")["jobs"]["checks"]
    steps = [step.get("name", step.get("run", step.get("uses"))) for step in job["steps"]]
    needed = servers(answers)
    if answers["database"] == "none":
        assert "Migrations" not in steps
    else:
        assert steps.index("Migrations") < steps.index("Tests")
    if not needed:
        assert "services" not in job
        return
    assert list(job["services"]) == list(needed)
    for name, (_, port) in needed.items():
        compose = load(project, "compose.yaml")["services"][name]
        container = job["services"][name]
        assert container["image"] == compose["image"]
        assert container.get("env") == compose.get("environment")
        assert container["ports"] == [f"{port}:{port}"]
        assert compose["healthcheck"]["test"][1] in container["options"]


@pytest.mark.parametrize(
    "answers", [answers for answers in VARIANTS if answers["database"] in SERVERS], ids=variant_id
)
def test_default_urls_point_at_the_compose_server(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    name = answers["database"]
    port = SERVERS[name][1]
    environment = load(project, "compose.yaml")["services"][name]["environment"]
    url = env_example(project)["DATABASE_URL"]
    assert f"@127.0.0.1:{port}/" in url
    # The service's database is the one the server image creates at start-up.
    created = environment.get("POSTGRES_DB") or environment.get("MYSQL_DATABASE")
    assert url.split("/")[-1].split("?")[0] == created
    database_module = (project / "tests" / "database.py").read_text(encoding="utf-8")
    admin = re.search(r'^DEFAULT_ADMIN_URL = "([^"]+)"$', database_module, flags=re.MULTILINE)
    assert admin, "tests/database.py names the default admin URL"
    # The tests create databases as the server's superuser, with the password compose gives it.
    password = environment.get("POSTGRES_PASSWORD") or environment.get("MYSQL_ROOT_PASSWORD")
    assert f":{password}@127.0.0.1:{port}/" in admin.group(1)


@pytest.mark.parametrize(
    "answers", [answers for answers in VARIANTS if answers["cache"] == "redis"], ids=variant_id
)
def test_redis_urls_point_at_the_compose_server(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    assert env_example(project)["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    fixtures = (project / "tests" / "redis_fixtures.py").read_text(encoding="utf-8")
    assert 'DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"' in fixtures
