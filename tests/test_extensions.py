"""Unit tests of extensions/: the slug filter, derive() and the context hook, the settings table,
and the conditional file names of template/ checked against what the variants really render."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2 import Environment

from extensions import context, validation, write_env
from tests.conftest import Renders
from tests.helpers import (
    COPIER_YML,
    REPO,
    Answers,
    default_variant,
    rendered_files,
    variant_id,
    variants,
)

VARIANTS = variants()
OTHER_ANSWERS = {
    "package_name": "my_service",
    "project_slug": "my-service",
    "python_version": "3.12",
}
TEMPLATE = REPO / "template"


def full_answers(answers: Mapping[str, Any]) -> dict[str, str]:
    return {"task_queue": "none", **OTHER_ANSWERS, **answers}


def derived(answers: Mapping[str, Any]) -> dict[str, Any]:
    full = full_answers(answers)
    return context.derive(
        full["package_name"],
        full["project_slug"],
        full["python_version"],
        full["auth"],
        full["database"],
        full["cache"],
        full["task_queue"],
        full.get("broker", ""),  # asked only with a queue
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Billing API", "billing-api"),
        ("  My   Service  ", "my-service"),
        ("billing_api", "billing-api"),
        ("Billing API v2", "billing-api-v2"),
        ("ACME: Orders & Payments!", "acme-orders-payments"),
        ("Café Crème", "cafe-creme"),
        ("already-kebab", "already-kebab"),
    ],
)
def test_slugify_name(name: str, slug: str) -> None:
    assert validation.slugify_name(name) == slug


@pytest.mark.parametrize("name", ["Billing API", "x", "Über Service", "a1 b2", "Ops -- Tools"])
def test_default_names_chain_is_valid(name: str) -> None:
    """An accepted project_name gives an accepted slug, and that slug an accepted package name."""
    assert validation.project_name_error(name) == ""
    slug = validation.slugify_name(name)
    assert validation.project_slug_error(slug) == ""
    assert validation.package_name_error(slug.replace("-", "_")) == ""


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_derived_flags(answers: Answers) -> None:
    facts = derived(answers)
    queue = full_answers(answers)["task_queue"]
    assert facts["has_db"] is (answers["database"] != "none")
    assert facts["has_db_server"] is (answers["database"] in {"postgresql", "mysql"})
    assert facts["has_task_queue"] is (queue != "none")
    assert facts["has_rabbitmq"] is (answers.get("broker") == "rabbitmq")
    # The task queues keep their results in Redis, whatever their broker.
    assert facts["has_redis"] is (facts["redis_cache"] or facts["has_task_queue"])
    assert facts["services"] == [
        *([answers["database"]] if facts["has_db_server"] else []),
        *(["redis"] if facts["has_redis"] else []),
        *(["rabbitmq"] if facts["has_rabbitmq"] else []),
    ]
    assert [server["name"] for server in facts["service_containers"]] == facts["services"]
    assert bool(facts["compose_environment"]) is bool(facts["services"])
    assert ("worker" in facts["cli_commands"]) is facts["has_task_queue"]
    assert ("broker" in facts["readiness_checks"]) is facts["has_task_queue"]
    assert facts["has_servers"] is bool(facts["services"])
    assert ("DATABASE_URL" in facts["compose_environment"]) is facts["has_db_server"]
    assert ("REDIS_URL" in facts["compose_environment"]) is facts["has_redis"]
    assert list(facts["migrate_environment"]) == (
        ["DATABASE_URL"] if facts["has_db_server"] else []
    )
    assert facts["use_jwt"] is (answers["auth"] == "jwt")
    assert facts["use_oidc"] is (answers["auth"] == "oidc")
    assert ("identity_provider" in facts["readiness_checks"]) is facts["use_oidc"]
    assert facts["has_cache"] is (answers["cache"] != "none")
    assert facts["memory_cache"] is (answers["cache"] == "memory")
    assert facts["redis_cache"] is (answers["cache"] == "redis")
    assert ("cache" in facts["readiness_checks"]) is facts["redis_cache"]
    assert facts["python_tag"] == "py" + full_answers(answers)["python_version"].replace(".", "")
    if facts["has_db"]:
        assert facts["default_database_url"].startswith(facts["database_scheme"] + "://")
    else:
        assert facts["default_database_url"] == facts["database_scheme"] == ""


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_derived_dependencies(answers: Answers) -> None:
    facts = derived(answers)
    names = [re.split(r"[\[<>=]", dep, maxsplit=1)[0] for dep in facts["dependencies"]]
    assert names == sorted(names, key=str.lower), "dependencies are listed in order"
    assert len(names) == len(set(names))
    assert ("sqlalchemy" in names) is facts["has_db"]
    assert ("alembic" in names) is facts["has_db"]
    assert ("aiosqlite" in names) is (answers["database"] == "sqlite")
    assert ("asyncpg" in names) is (answers["database"] == "postgresql")
    assert ("asyncmy" in names) is (answers["database"] == "mysql")
    assert ("pyjwt" in names) is (facts["use_jwt"] or facts["use_oidc"])
    assert ("httpx" in names) is facts["use_oidc"]  # the identity provider's keys, fetched
    assert ("pwdlib" in names) is facts["use_jwt"]
    queue = full_answers(answers)["task_queue"]
    assert ("celery" in names) is (queue == "celery")
    assert ("taskiq" in names) is ("taskiq-redis" in names) is (queue == "taskiq")
    assert ("taskiq-aio-pika" in names) is (queue == "taskiq" and answers["broker"] == "rabbitmq")
    assert ("redis" in names) is facts["has_redis"]
    dev = [re.split(r"[\[<>=]", dep, maxsplit=1)[0] for dep in facts["dev_dependencies"]]
    assert ("celery-types" in dev) is (queue == "celery")
    assert {"fastapi", "pydantic-settings", "structlog", "uvicorn"} <= set(names)


def test_dependencies_have_lower_bounds_only() -> None:
    """Pin nothing in a way that breaks later: `name[extras]>=version`, no upper bound."""
    every = {dep for answers in VARIANTS for dep in derived(answers)["dependencies"]}
    every.update(context.DEV_DEPENDENCIES)
    spec = re.compile(r"^[a-z0-9-]+(\[[a-z0-9,-]+\])?>=[0-9][0-9a-z.]*$")
    assert sorted(dep for dep in every if not spec.match(dep)) == []


def conditional_paths() -> list[Path]:
    """Template files and folders whose name holds a condition (`{% if use_jwt %}accounts…`)."""
    return sorted(path for path in TEMPLATE.rglob("*") if "{%" in path.name)


def rendered_name(path: Path, answers: Answers) -> str:
    context_ = {**full_answers(answers), **derived(answers)}
    return Environment().from_string(path.name).render(context_).removesuffix(".jinja")


def test_the_only_exclusions_are_junk_files() -> None:
    """One mechanism decides which files a variant has: conditional names, not `_exclude`."""
    config = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    assert config["_exclude"] == ["__pycache__", "*.py[co]", ".DS_Store"]


@pytest.mark.parametrize(
    "path", conditional_paths(), ids=lambda path: str(path.relative_to(TEMPLATE))
)
def test_every_conditional_file_is_in_some_variants_and_not_in_others(path: Path) -> None:
    """A condition that is always true or always false is dead: the file belongs in every variant,
    or in none."""
    names = {rendered_name(path, answers) for answers in VARIANTS}
    assert "" in names, "rendered in every variant: drop the condition"
    assert names - {""}, "rendered in no variant"


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_conditional_files_are_rendered_exactly_when_their_condition_holds(
    renders: Renders, answers: Answers
) -> None:
    files = {str(path) for path in rendered_files(renders.get(answers))}
    problems = []
    for path in conditional_paths():
        if any("{%" in parent.name for parent in path.relative_to(TEMPLATE).parents):
            continue  # decided by its folder's condition
        name = rendered_name(path, answers)
        relative = path.relative_to(TEMPLATE).parent
        folder = str(relative).replace("{{package_name}}", "my_service")
        present = any(f == f"{folder}/{name}" or f.startswith(f"{folder}/{name}/") for f in files)
        if bool(name) != present:
            problems.append(f"{path.relative_to(TEMPLATE)}: {'missing' if name else 'rendered'}")
    assert problems == []


def test_settings_table_flags_are_derived_facts() -> None:
    facts = {**derived(default_variant()), "is_sqlite": True, "is_postgresql": False}
    for flag, _, entries in context.SETTINGS_SECTIONS:
        assert flag is None or isinstance(facts.get(flag), bool), flag
        for entry_flag, *_ in entries:
            assert entry_flag is None or entry_flag in {*facts, "is_mysql"}, entry_flag


def test_context_hook_adds_derived_facts_once_answers_are_complete() -> None:
    hook = context.VariantContext(Environment())
    answers = full_answers(default_variant())
    complete: dict[str, Any] = dict(answers)
    hook.hook(complete)
    assert complete == {**answers, **derived(default_variant())}

    # While questions are still being asked, templates see safe defaults.
    partial: dict[str, Any] = {"project_name": "Billing API"}
    hook.hook(partial)
    assert partial == {"project_name": "Billing API", "has_db": False}


def test_derive_is_computed_once_per_variant() -> None:
    """The hook runs for every rendered path: derive() must be a cache hit after the first call."""
    assert derived(default_variant()) is derived(default_variant())


def write_env_settings(project: Path, *args: str) -> list[str]:
    """Run write_env.py in `project` with `args`; the settings lines of the .env it wrote."""
    write_env.main(list(args))
    env = (project / ".env").read_text(encoding="utf-8")
    return [line for line in env.splitlines() if line and not line.startswith("#")]


def test_write_env_writes_a_private_env_with_a_fresh_secret_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # Only the secret: other settings keep the code's defaults, so no value goes stale on update.
    settings = write_env_settings(tmp_path, "--secret-key")
    env = (tmp_path / ".env").read_text(encoding="utf-8")
    assert len(settings) == 1
    assert settings[0].startswith("SECRET_KEY=")
    assert len(settings[0].removeprefix("SECRET_KEY=")) >= 32
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    # Running it again (or on a project that has its .env) changes nothing.
    write_env.main(["--secret-key"])
    assert (tmp_path / ".env").read_text(encoding="utf-8") == env


def test_write_env_writes_no_secret_for_a_service_that_signs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert write_env_settings(tmp_path) == []


def test_write_env_leaves_the_identity_provider_to_fill_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # Empty values: the defaults (env_ignore_empty), named where the user fills them in.
    assert write_env_settings(tmp_path, "--oidc") == ["OIDC_ISSUER=", "OIDC_AUDIENCE="]
