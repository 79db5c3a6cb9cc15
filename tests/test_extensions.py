"""Unit tests of extensions/: the slug filter, derive() and the context hook, and the exclusion
table FEATURE_PATHS checked against what the template really renders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment
from pathspec import PathSpec
from pathspec import __version__ as pathspec_version

from extensions import context, validation, write_env
from tests.conftest import Renders
from tests.helpers import Answers, default_variant, rendered_files, variant_id, variants

VARIANTS = variants()
OTHER_ANSWERS = {
    "package_name": "my_service",
    "project_slug": "my-service",
    "python_version": "3.12",
}
# The same pattern flavour Copier's `_exclude` uses.
PATTERN_STYLE = "gitignore" if int(pathspec_version.split(".")[0]) >= 1 else "gitwildmatch"


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
    assert facts["has_db"] is (answers["database"] != "none")
    assert facts["has_db_server"] is (answers["database"] in {"postgresql", "mysql"})
    assert facts["services"] == ([answers["database"]] if facts["has_db_server"] else [])
    assert [server["name"] for server in facts["service_containers"]] == facts["services"]
    assert bool(facts["compose_environment"]) is facts["has_db_server"]
    assert facts["has_auth"] is (answers["auth"] != "none")
    assert facts["use_jwt"] is (answers["auth"] == "jwt")
    assert facts["has_cache"] is (answers["cache"] != "none")
    assert facts["has_task_queue"] is (answers.get("task_queue", "none") != "none")
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
    assert ("pyjwt" in names) is facts["use_jwt"]
    assert ("pwdlib" in names) is facts["use_jwt"]
    assert {"fastapi", "pydantic-settings", "structlog", "uvicorn"} <= set(names)


def test_dependencies_have_lower_bounds_only() -> None:
    """Pin nothing in a way that breaks later: `name[extras]>=version`, no upper bound."""
    every = {dep for answers in VARIANTS for dep in derived(answers)["dependencies"]}
    every.update(context.DEV_DEPENDENCIES)
    spec = re.compile(r"^[a-z0-9-]+(\[[a-z0-9,-]+\])?>=[0-9][0-9a-z.]*$")
    assert sorted(dep for dep in every if not spec.match(dep)) == []


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_omitted_paths_are_the_paths_of_the_flags_that_are_off(answers: Answers) -> None:
    facts = derived(answers)
    expected = [
        pattern
        for flag, patterns in context.FEATURE_PATHS.items()
        if not facts[flag]
        for pattern in patterns
    ]
    assert sorted(facts["omitted_paths"]) == sorted(expected)


def test_feature_paths_are_keyed_by_derived_flags() -> None:
    facts = derived(default_variant())
    for flag in context.FEATURE_PATHS:
        assert isinstance(facts.get(flag), bool), f"FEATURE_PATHS key {flag} is not a derived flag"


@pytest.mark.parametrize("flag", sorted(context.FEATURE_PATHS))
def test_every_feature_path_matches_a_rendered_file(renders: Renders, flag: str) -> None:
    """A stale FEATURE_PATHS entry (a renamed or deleted file) matches nothing, excludes nothing."""
    on = next((answers for answers in VARIANTS if derived(answers)[flag]), None)
    assert on is not None, f"no valid variant has {flag} on"
    files = [str(path) for path in rendered_files(renders.get(on))]
    stale = [
        pattern
        for pattern in context.FEATURE_PATHS[flag]
        if not any(PathSpec.from_lines(PATTERN_STYLE, [pattern]).match_files(files))
    ]
    assert stale == [], f"{flag}: patterns that match no rendered file: {stale}"


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_omitted_paths_are_not_rendered(renders: Renders, answers: Answers) -> None:
    """copier.yml's `_exclude` really drops every omitted path."""
    spec = PathSpec.from_lines(PATTERN_STYLE, derived(answers)["omitted_paths"])
    files = [str(path) for path in rendered_files(renders.get(answers))]
    assert list(spec.match_files(files)) == []


def test_context_hook_adds_derived_facts_once_answers_are_complete() -> None:
    hook = context.VariantContext(Environment())
    answers = full_answers(default_variant())
    complete: dict[str, Any] = dict(answers)
    hook.hook(complete)
    assert complete == {**answers, **derived(default_variant())}

    # While questions are still being asked, templates see safe defaults.
    partial: dict[str, Any] = {"project_name": "Billing API"}
    hook.hook(partial)
    assert partial == {"project_name": "Billing API", "omitted_paths": [], "has_db": False}


def test_derive_is_computed_once_per_variant() -> None:
    """The hook runs for every rendered path: derive() must be a cache hit after the first call."""
    assert derived(default_variant()) is derived(default_variant())


def test_write_env_writes_a_private_env_with_a_fresh_secret_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_env.main()
    env = (tmp_path / ".env").read_text(encoding="utf-8")
    # Only the secret: other settings keep the code's defaults, so no value goes stale on update.
    settings = [line for line in env.splitlines() if line and not line.startswith("#")]
    assert len(settings) == 1
    assert settings[0].startswith("SECRET_KEY=")
    assert len(settings[0].removeprefix("SECRET_KEY=")) >= 32
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    # Running it again (or on a project that has its .env) changes nothing.
    write_env.main()
    assert (tmp_path / ".env").read_text(encoding="utf-8") == env
