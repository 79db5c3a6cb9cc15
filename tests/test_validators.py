"""Every validator accepts good answers and refuses bad ones with a message that says what to type
instead; copier.yml wires each one; a refused answer makes the `copier copy` CLI fail."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

from extensions import context, validation
from tests.helpers import choice_values, copier_copy, default_variant, questions

GOOD = {
    "project_name": ["Billing API", "My Service 2", "a"],
    "project_slug": ["billing-api", "api", "api2", "billing-api-v2"],
    "package_name": ["billing_api", "api", "svc2", "my_fastapi"],
    "author_email": ["backend@example.com", "a.b+c@mail.example.org"],
}
BAD = {
    "project_name": ["", "   ", "123 Service", "!!!", "-"],
    "project_slug": [
        "",
        "Billing-API",
        "billing_api",
        "billing api",
        "billing--api",
        "-billing",
        "billing-",
        "2fa-service",
    ],
    "package_name": ["", "Billing", "2fa", "billing-api", "billing api", "café", "class", "match"],
    "author_email": ["", "backend", "a@b", "a b@example.com", "@example.com"],
}
# Import names the generated service depends on: a package of that name would shadow them.
SHADOWING = [
    "fastapi",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "alembic",
    "aiosqlite",
    "jwt",
    "pwdlib",
    "structlog",
    "uvicorn",
    "starlette",
    "httpx",
    "pytest",
    "tests",
]
FILTERS: dict[str, Callable[[str], str]] = {
    "project_name": validation.project_name_error,
    "project_slug": validation.project_slug_error,
    "package_name": validation.package_name_error,
    "author_email": validation.email_error,
}


def refusals(answers: Mapping[str, Any]) -> dict[str, str]:
    """The messages copier.yml's validators give for these answers (empty: all accepted).

    Renders each question's `validator` as Copier does, with the template's validation filters.
    """
    env = Environment(extensions=[validation.AnswerValidation])
    messages = {}
    for name, spec in questions().items():
        if spec.get("validator") and name in answers:
            message = env.from_string(str(spec["validator"])).render(**answers).strip()
            if message:
                messages[name] = message
    return messages


SUGGESTION = re.compile(r"(?:e\.g\.|such as) '([^']+)'")


@pytest.mark.parametrize(("question", "answer"), [(q, a) for q in GOOD for a in GOOD[q]])
def test_good_answer_is_accepted(question: str, answer: str) -> None:
    assert FILTERS[question](answer) == ""
    assert refusals({question: answer}) == {}


@pytest.mark.parametrize(
    ("question", "answer"),
    [(q, a) for q in BAD for a in BAD[q]] + [("package_name", name) for name in SHADOWING],
)
def test_bad_answer_is_refused_with_a_suggestion(question: str, answer: str) -> None:
    message = FILTERS[question](answer)
    assert message.startswith(question) or f"{question} " in message
    # copier.yml runs this very filter on the answer.
    assert refusals({question: answer}) == {question: message}
    # The message names an answer to type instead, and that answer is accepted.
    suggestion = SUGGESTION.search(message)
    assert suggestion, message
    assert FILTERS[question](suggestion.group(1)) == ""


def test_shadowing_message_names_the_library() -> None:
    assert "shadow the 'fastapi' library" in validation.package_name_error("fastapi")


def import_name(requirement: str) -> str:
    """The import name of a requirement ("pyjwt>=2" -> "jwt", "uvicorn[standard]" -> "uvicorn")."""
    dist = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower()
    return {"pyjwt": "jwt", "python-multipart": "multipart"}.get(dist, dist.replace("-", "_"))


def test_no_dependency_can_be_shadowed() -> None:
    """Every import name of every dependency any variant can have is refused as package_name."""
    requirements = {*context.BASE_DEPENDENCIES, *context.SQLALCHEMY_DEPENDENCIES}
    requirements.update(
        *context.DATABASE_DEPENDENCIES.values(), *context.AUTH_DEPENDENCIES.values()
    )
    requirements.update(context.DEV_DEPENDENCIES)
    accepted = sorted(
        name for name in map(import_name, requirements) if validation.package_name_error(name) == ""
    )
    assert accepted == [], f"package_name accepts the import names {accepted}"


DATABASES = [value for value in choice_values(questions()["database"]) if value != "none"]


def test_auth_jwt_needs_a_database() -> None:
    message = (
        "auth=jwt stores users: choose a database (database=sqlite, database=postgresql or "
        "database=mysql), or auth=none."
    )
    assert validation.database_error("none", "jwt") == message
    assert refusals({"auth": "jwt", "database": "none"}) == {"database": message}
    for database in DATABASES:
        assert f"database={database}" in message
        for auth in ("jwt", "none"):
            assert validation.database_error(database, auth) == ""
    assert validation.database_error("none", "none") == ""


def test_cache_needs_a_database() -> None:
    message = validation.cache_error("memory", "none")
    assert "cache=none" in message
    assert all(f"database={database}" in message for database in DATABASES)
    assert refusals({"auth": "none", "database": "none", "cache": "memory"}) == {"cache": message}
    for database in DATABASES:
        assert validation.cache_error("memory", database) == ""
        assert validation.cache_error("none", database) == ""
    assert validation.cache_error("none", "none") == ""


def test_every_free_text_question_with_rules_has_a_validator() -> None:
    validated = {name for name, spec in questions().items() if spec.get("validator")}
    assert {*FILTERS, "database", "cache"} <= validated


# One refused answer per validator, through the CLI as a user types it (project_name: below).
REFUSED_ON_THE_COMMAND_LINE = [
    ({"project_slug": "Billing_API"}, validation.project_slug_error("Billing_API")),
    ({"package_name": "fastapi"}, validation.package_name_error("fastapi")),
    ({"author_email": "backend"}, validation.email_error("backend")),
    ({"auth": "jwt", "database": "none"}, validation.database_error("none", "jwt")),
    (
        {"auth": "none", "database": "none", "cache": "memory"},
        validation.cache_error("memory", "none"),
    ),
]


@pytest.mark.parametrize(
    ("data", "message"),
    REFUSED_ON_THE_COMMAND_LINE,
    ids=[",".join(f"{k}={v}" for k, v in data.items()) for data, _ in REFUSED_ON_THE_COMMAND_LINE],
)
def test_cli_refuses_bad_answer(
    template_src: Path, tmp_path: Path, data: dict[str, str], message: str
) -> None:
    dest = tmp_path / "service"
    args = [f"--data={key}={value}" for key, value in data.items()]
    result = copier_copy(*args, str(template_src), str(dest))
    assert result.returncode != 0
    assert message in result.stderr
    assert not dest.exists() or not any(dest.iterdir()), "a refused answer must render nothing"


def test_cli_refuses_a_folder_name_that_makes_no_project_name(
    template_src: Path, tmp_path: Path
) -> None:
    """`--defaults` derives project_name from the folder; a folder "2024" gives a refused name."""
    result = copier_copy(str(template_src), str(tmp_path / "2024"))
    assert result.returncode != 0
    assert validation.project_name_error("2024") in result.stderr


def test_defaults_pass_every_validator() -> None:
    assert refusals(default_variant()) == {}
