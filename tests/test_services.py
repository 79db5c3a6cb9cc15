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
# The servers, as the matrix names them and compose runs them.
SERVERS = {
    "postgresql": ("postgres:17", 5432),
    "mysql": ("mysql:8.4", 3306),
    "redis": ("redis:7", 6379),
    "rabbitmq": ("rabbitmq:4", 5672),
}


def load(project: Path, name: str) -> dict[str, Any]:
    data = yaml.safe_load((project / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def env_example(project: Path) -> dict[str, str]:
    text = (project / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE))


def servers_of(answers: Answers) -> dict[str, tuple[str, int]]:
    """The servers a variant runs, by compose service name: its database server, Redis for the
    task queues (their results), RabbitMQ for broker=rabbitmq."""
    names = [
        *([answers["database"]] if answers["database"] in SERVERS else []),
        *(["redis"] if answers["task_queue"] != "none" or answers["cache"] == "redis" else []),
        *(["rabbitmq"] if answers.get("broker") == "rabbitmq" else []),
    ]
    return {name: SERVERS[name] for name in names}


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_compose_runs_the_servers_and_the_app_waits_for_them(
    renders: Renders, answers: Answers
) -> None:
    compose = load(renders.get(answers), "compose.yaml")
    services = compose["services"]
    servers = servers_of(answers)
    has_db, has_queue = answers["database"] != "none", answers["task_queue"] != "none"
    expected = {
        "app",
        *(["migrate"] if has_db else []),
        *(["worker", "scheduler"] if has_queue else []),
    }
    assert set(services) == {*servers, *expected}
    for name, (image, port) in servers.items():
        server = services[name]
        assert server["image"] == image
        assert server["healthcheck"]["test"][0] == "CMD-SHELL"
        assert server["ports"] == [f"127.0.0.1:{port}:{port}"]
        volume = server["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]
        # migrate needs the database server only.
        waiting = ["app", *(["worker"] if has_queue else [])]
        waiting += ["migrate"] if name == answers["database"] else []
        for service in waiting:
            if service == "migrate" and name != answers["database"]:
                assert name not in services[service]["depends_on"]  # it needs the database only
                continue
            assert services[service]["depends_on"][name] == {"condition": "service_healthy"}
            # Inside compose the services reach the server by its service name.
            urls = services[service]["environment"].values()
            assert any(f"{name}:{port}/" in url for url in urls), (service, name)
    if has_db:
        for service in ("app", *(["worker"] if has_queue else [])):
            assert services[service]["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }
    if has_queue:
        # One image, another command; the scheduler runs only when asked for (a profile).
        assert services["worker"]["build"] == services["app"]["build"]
        assert services["worker"]["command"][-1] == "worker"
        assert services["scheduler"]["command"][-1] == "scheduler"
        assert services["scheduler"]["profiles"] == ["scheduler"]
        # Their own health check, not the image's HTTP one: they serve no HTTP.
        for service in ("worker", "scheduler"):
            assert services[service]["healthcheck"]["test"][-2:] == ["worker", "--check"]


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_ci_starts_the_same_servers_and_migrates_before_the_tests(
    renders: Renders, answers: Answers
) -> None:
    project = renders.get(answers)
    job = load(project, ".github/workflows/ci.yml")["jobs"]["checks"]
    steps = [step.get("name", step.get("run", step.get("uses"))) for step in job["steps"]]
    if answers["database"] == "none":
        assert "Migrations" not in steps
    else:
        assert steps.index("Migrations") < steps.index("Tests")
    servers = servers_of(answers)
    if not servers:
        assert "services" not in job
        return
    assert list(job["services"]) == list(servers)
    for name, (_, port) in servers.items():
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
    "answers", [answers for answers in VARIANTS if answers["task_queue"] != "none"], ids=variant_id
)
def test_the_queue_urls_point_at_the_compose_servers(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    settings = env_example(project)
    fixtures = (project / "tests" / "queue.py").read_text(encoding="utf-8")
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert f'or "{settings["REDIS_URL"]}"' in fixtures  # TEST_REDIS_URL's default
    if answers["broker"] != "rabbitmq":
        assert settings["BROKER_URL"] == ""  # empty: the Redis of REDIS_URL
        return
    # The user compose.yaml creates: RabbitMQ's own guest may not connect from another host.
    server = load(project, "compose.yaml")["services"]["rabbitmq"]["environment"]
    user, password = server["RABBITMQ_DEFAULT_USER"], server["RABBITMQ_DEFAULT_PASS"]
    assert settings["BROKER_URL"] == f"amqp://{user}:{password}@127.0.0.1:5672/"
    broker = (project / "tests" / "broker.py").read_text(encoding="utf-8")
    assert f'or "{settings["BROKER_URL"]}"' in broker  # TEST_RABBITMQ_URL's default


@pytest.mark.parametrize(
    "answers", [answers for answers in VARIANTS if answers["cache"] == "redis"], ids=variant_id
)
def test_redis_urls_point_at_the_compose_server(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    assert env_example(project)["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    fixtures = (project / "tests" / "redis_fixtures.py").read_text(encoding="utf-8")
    assert 'DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"' in fixtures
