"""The servers a variant needs are the same everywhere: compose.yaml, the CI workflow, the default
DATABASE_URL and the tests' admin URL all point at one server, which the app waits for."""

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
    server = SERVERS.get(answers["database"])
    expected = {"app", *(["migrate"] if answers["database"] != "none" else [])}
    if server is None:
        assert set(services) == expected
        return
    name = answers["database"]
    assert set(services) == {name, *expected}
    image, port = server
    database = services[name]
    assert database["image"] == image
    assert database["healthcheck"]["test"][0] == "CMD-SHELL"
    assert database["ports"] == [f"127.0.0.1:{port}:{port}"]
    volume = database["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    for waiting in ("app", "migrate"):
        assert services[waiting]["depends_on"][name] == {"condition": "service_healthy"}
        # Inside compose the app reaches the server by its service name.
        url = services[waiting]["environment"]["DATABASE_URL"]
        assert f"@{name}:{port}/" in url
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
    server = SERVERS.get(answers["database"])
    if answers["database"] == "none":
        assert "Migrations" not in steps
    else:
        assert steps.index("Migrations") < steps.index("Tests")
    if server is None:
        assert "services" not in job
        return
    name = answers["database"]
    compose = load(project, "compose.yaml")["services"][name]
    container = job["services"][name]
    assert list(job["services"]) == [name]
    assert container["image"] == compose["image"]
    assert container["env"] == compose["environment"]
    assert container["ports"] == [f"{server[1]}:{server[1]}"]
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
