"""Every validator accepts good answers and refuses bad ones with a message that says what to type
instead; copier.yml wires each one; a refused answer makes the `copier copy` CLI fail with the
message alone, and a refused combination renders nothing even when it gets past the questions."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier.errors import UserMessageError
from jinja2 import Environment

from extensions import context, validation
from tests.conftest import Renders
from tests.helpers import (
    choice_validators,
    choice_values,
    copier_copy,
    default_variant,
    questions,
    read_answers,
    read_pyproject,
    ruff,
)
from tests.test_rendered_files import run_ruff

# The longest answers the free-text questions accept, with the characters they keep allowing
# (apostrophes, accents, colons, ampersands, percent signs, braces, typographic marks).
LONGEST_PROJECT_NAME = "Zoë's Café: Ærø Billing, Invoices & Refunds — Øste"
LONGEST_DESCRIPTION = "Zoë's Café: bills, invoices & refunds for Ærø — 100% async, {fast}…#1 ok"
LONGEST_AUTHOR_NAME = "Zoë O'Brien, 山田太郎 & the Équipe «Paiements» of Ærø: backend teams"
# The longest slug and package name: words of the generated code (imports, URLs, commands).
LONGEST_PROJECT_SLUG = "zoes-cafe-aeroe-billing-and-refunds"
LONGEST_PACKAGE_NAME = "zoes_cafe_aeroe_billing_and_refunds"

GOOD = {
    "project_name": [
        "Billing API",
        "My Service 2",
        "a",
        "Zoë's Café: Ærø Orders",
        "Ștefan & Łukasz «Payments»",
        LONGEST_PROJECT_NAME,
    ],
    "project_slug": ["billing-api", "api", "api2", "billing-api-v2", LONGEST_PROJECT_SLUG],
    "package_name": ["billing_api", "api", "svc2", "my_fastapi", LONGEST_PACKAGE_NAME],
    "author_email": ["backend@example.com", "a.b+c@mail.example.org"],
    "description": [
        "Billing API: invoices and payments",
        "Zoë's café — orders, 100% async…",
        "3D printing jobs",
        "a",
        LONGEST_DESCRIPTION,
    ],
    "author_name": [
        "Backend Team",
        "Zoë O'Brien",
        "山田太郎",
        "Équipe «Paiements»",
        LONGEST_AUTHOR_NAME,
    ],
}
# Each free-text answer lands in a Python or TOML string literal: no quote, backslash or line break,
# no surrounding space, and a length that keeps the generated lines within 100 columns.
BAD = {
    "project_name": [
        "",
        "   ",
        "123 Service",
        "!!!",
        "-",
        'Billing "API"',
        "Billing\\API",
        "Billing\nAPI",
        "Billing\tAPI",
        "Billing\x00",
        " Billing API",
        "Billing API ",
        LONGEST_PROJECT_NAME + "n",
        "b" * 200,
        "Billing \u2013 API",  # an en dash: ruff (RUF001) takes it for a hyphen
        "Zo\u00eb\u2019s Caf\u00e9",  # a curly apostrophe, idem
        "Сервис",  # Cyrillic letters look like Latin ones
        "/tmp Service",
    ],
    "project_slug": [
        "",
        "Billing-API",
        "billing_api",
        "billing api",
        "billing--api",
        "-billing",
        "billing-",
        "2fa-service",
        LONGEST_PROJECT_SLUG + "s",
        "s" * 100,
    ],
    "package_name": [
        "",
        "Billing",
        "2fa",
        "billing-api",
        "billing api",
        "café",
        "class",
        "match",
        LONGEST_PACKAGE_NAME + "s",
        "_" * 36,
        "p" * 100,
    ],
    "author_email": ["", "backend", "a@b", "a b@example.com", "@example.com"],
    "description": [
        "",
        " ",
        'The "billing" API',
        "C:\\billing",
        "Line one\nline two",
        "Line one\r\nline two",
        "Tab\tseparated",
        " Billing API",
        "Billing API. ",
        LONGEST_DESCRIPTION + "!",
        "d" * 500,
        "0.0.0.0",  # ruff S104 in the generated code
        "/tmp files",  # ruff S108 in the generated code
        "Billing \u2013 invoices",
        "Billing \u2018API\u2019",
        "账单服务",
    ],
    "author_name": [
        "",
        "  ",
        'The "A" Team',
        "Back\\end",
        "Backend\nTeam",
        "Backend\u2028Team",
        " Backend Team",
        LONGEST_AUTHOR_NAME + "s",
    ],
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
    "description": validation.description_error,
    "author_name": validation.author_name_error,
}
LIMITS = {
    "project_name": validation.PROJECT_NAME_MAX,
    "description": validation.DESCRIPTION_MAX,
    "author_name": validation.AUTHOR_NAME_MAX,
    "project_slug": validation.PROJECT_SLUG_MAX,
    "package_name": validation.PACKAGE_NAME_MAX,
}
LONGEST = {
    "project_name": LONGEST_PROJECT_NAME,
    "description": LONGEST_DESCRIPTION,
    "author_name": LONGEST_AUTHOR_NAME,
    "project_slug": LONGEST_PROJECT_SLUG,
    "package_name": LONGEST_PACKAGE_NAME,
}


def refusals(answers: Mapping[str, Any]) -> dict[str, str]:
    """The messages copier.yml's validators give for these answers (empty: all accepted).

    Renders each question's `validator`, and the validator of the choice answered, as Copier does,
    with the template's validation filters.
    """
    env = Environment(extensions=[validation.AnswerValidation])
    messages = {}
    for name, spec in questions().items():
        if name not in answers:
            continue
        for validator in (spec.get("validator"), choice_validators(spec).get(str(answers[name]))):
            message = env.from_string(str(validator or "")).render(**answers).strip()
            if message:
                messages[name] = message
                break
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
    # celery-types: stubs, type-checked as `celery`.
    names = {"pyjwt": "jwt", "python-multipart": "multipart", "celery-types": "celery"}
    return names.get(dist, dist.replace("-", "_"))


def test_no_dependency_can_be_shadowed() -> None:
    """Every import name of every dependency any variant can have is refused as package_name."""
    requirements = {*context.BASE_DEPENDENCIES, *context.SQLALCHEMY_DEPENDENCIES}
    requirements.update(
        *context.DATABASE_DEPENDENCIES.values(),
        *context.AUTH_DEPENDENCIES.values(),
        *context.QUEUE_DEPENDENCIES.values(),
        *context.BROKER_DEPENDENCIES.values(),
        *context.QUEUE_DEV_DEPENDENCIES.values(),
    )
    requirements.update(context.DEV_DEPENDENCIES, context.REDIS_DEPENDENCIES)
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
    assert set(FILTERS) <= validated


# The combination rules: (question, the question it depends on, filter). Copier checks them as
# per-choice validators, which disable a refused choice in the prompt.
COMBINATIONS = [
    ("database", "auth", validation.database_error),
    ("cache", "database", validation.cache_error),
]


@pytest.mark.parametrize(
    ("question", "other", "check"), COMBINATIONS, ids=[question for question, _, _ in COMBINATIONS]
)
def test_every_refused_choice_is_disabled_with_the_message(
    question: str, other: str, check: Callable[[str, str], str]
) -> None:
    """Each choice a rule can refuse has a per-choice validator that gives the rule's message,
    and the question has no validator of its own: one mechanism."""
    spec = questions()[question]
    assert "validator" not in spec
    validators = choice_validators(spec)
    env = Environment(extensions=[validation.AnswerValidation])
    refused = 0
    for value in choice_values(spec):
        for other_value in choice_values(questions()[other]):
            message = check(value, other_value)
            rendered = env.from_string(validators.get(value, "")).render({other: other_value})
            assert rendered.strip() == message, (question, value, other, other_value)
            refused += bool(message)
    assert refused


def test_the_default_is_never_a_disabled_choice() -> None:
    env = Environment(extensions=[validation.AnswerValidation])
    answers: dict[str, str] = {}
    for auth in choice_values(questions()["auth"]):
        for database in choice_values(questions()["database"]):
            answers = {"auth": auth, "database": database}
            if validation.database_error(database, auth):
                continue
            cache = env.from_string(str(questions()["cache"]["default"])).render(answers)
            assert cache in choice_values(questions()["cache"])
            assert refusals({**answers, "cache": cache}) == {}, answers
    default_database = str(questions()["database"]["default"])
    assert validation.database_error(default_database, questions()["auth"]["default"]) == ""


# One refused answer per validator, through the CLI as a user types it (project_name: below).
REFUSED_ON_THE_COMMAND_LINE = [
    ({"project_slug": "Billing_API"}, validation.project_slug_error("Billing_API")),
    ({"package_name": "fastapi"}, validation.package_name_error("fastapi")),
    ({"author_email": "backend"}, validation.email_error("backend")),
    ({"description": 'The "billing" API'}, validation.description_error('The "billing" API')),
    ({"author_name": "a" * 65}, validation.author_name_error("a" * 65)),
    ({"auth": "jwt", "database": "none"}, validation.database_error("none", "jwt")),
    (
        {"auth": "none", "database": "none", "cache": "memory"},
        validation.cache_error("memory", "none"),
    ),
    ({"python_version": "2.7"}, "Invalid choice for 'python_version'"),
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
    # The message alone, not a traceback that ends with it.
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr, result.stderr
    assert not dest.exists() or not any(dest.iterdir()), "a refused answer must render nothing"


def edited_template(template_src: Path, dst: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the template snapshot whose copier.yml went through `edit`."""
    shutil.copytree(template_src, dst)
    config = yaml.safe_load((dst / "copier.yml").read_text(encoding="utf-8"))
    edit(config)
    (dst / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return dst


def without_choice_validators(config: dict[str, Any]) -> None:
    for spec in config.values():
        if isinstance(spec, dict) and isinstance(spec.get("choices"), dict):
            spec["choices"] = {
                label: value["value"] if isinstance(value, dict) else value
                for label, value in spec["choices"].items()
            }


@pytest.mark.parametrize(
    ("data", "message"),
    REFUSED_ON_THE_COMMAND_LINE[-3:-1],
    ids=["auth=jwt,database=none", "database=none,cache=memory"],
)
def test_a_refused_combination_that_gets_past_the_questions_renders_nothing(
    template_src: Path, tmp_path: Path, data: dict[str, str], message: str
) -> None:
    """Without its per-choice validators, Copier takes the combination; the render-time check
    (extensions/validation.py:CombinationCheck) stops the copy before the first file."""
    template = edited_template(template_src, tmp_path / "template", without_choice_validators)
    args = [f"--data={key}={value}" for key, value in data.items()]
    created = tmp_path / "created"
    result = copier_copy(*args, str(template), str(created))
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not created.exists(), "Copier removes the destination it created"
    existing = tmp_path / "existing"
    existing.mkdir()
    result = copier_copy(*args, str(template), str(existing))
    assert result.returncode == 1 and message in result.stderr
    assert list(existing.iterdir()) == [], "nothing is written before the check"


def test_the_combination_check_waits_for_the_final_answers() -> None:
    check = validation.CombinationCheck(Environment())
    refused = {"auth": "jwt", "database": "none", "cache": "none", "_copier_conf": {}}
    check.hook({**refused, "_copier_phase": "prompt"})  # Copier is still asking
    check.hook({**refused, "database": "sqlite", "_copier_phase": "render"})
    with pytest.raises(UserMessageError, match="auth=jwt stores users"):
        check.hook({**refused, "_copier_phase": "render"})


def test_an_error_that_is_no_refused_answer_keeps_its_traceback(
    template_src: Path, tmp_path: Path
) -> None:
    """A ValueError from template code while Copier asks (here a default that cannot render) is a
    bug to report, not an answer to change: its traceback stays."""

    def broken_default(config: dict[str, Any]) -> None:
        config["description"]["default"] = "{{ '{:d}'.format(project_name) }}"

    template = edited_template(template_src, tmp_path / "template", broken_default)
    result = copier_copy(str(template), str(tmp_path / "service"))
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().endswith(
        "ValueError: Unknown format code 'd' for object of type 'str'"
    )


def test_cli_refuses_a_folder_name_that_makes_no_project_name(
    template_src: Path, tmp_path: Path
) -> None:
    """`--defaults` derives project_name from the folder; a folder "2024" gives a refused name."""
    result = copier_copy(str(template_src), str(tmp_path / "2024"))
    assert result.returncode != 0
    assert validation.project_name_error("2024") in result.stderr


def test_defaults_pass_every_validator() -> None:
    assert refusals(default_variant()) == {}


@pytest.mark.parametrize("question", list(LONGEST))
def test_longest_answers_are_at_the_limit(question: str) -> None:
    """The render test below uses answers exactly as long as each validator accepts."""
    answer = LONGEST[question]
    assert len(answer) == LIMITS[question]
    assert FILTERS[question](answer) == ""
    assert f"at most {LIMITS[question]} fit" in FILTERS[question](answer + "x")


def test_default_names_of_the_longest_name_are_accepted() -> None:
    """copier.yml derives the slug from the name and the package from the slug: a name longer
    than the slug's limit gives a slug of its leading words that fit."""
    env = Environment(extensions=[validation.AnswerValidation])

    def default(question: str, **answers: str) -> str:
        return env.from_string(str(questions()[question]["default"])).render(**answers)

    slug = default("project_slug", project_name=LONGEST_PROJECT_NAME)
    package = default("package_name", project_slug=slug)
    assert slug == "zoe-s-cafe-r-billing-invoices"
    assert refusals({"project_slug": slug, "package_name": package}) == {}


def test_default_description_of_the_longest_name_is_accepted() -> None:
    """copier.yml's default description is the project name plus a suffix: it must pass too."""
    default = str(questions()["description"]["default"])
    description = Environment().from_string(default).render(project_name=LONGEST_PROJECT_NAME)
    assert description.startswith(LONGEST_PROJECT_NAME)
    assert refusals({"project_name": LONGEST_PROJECT_NAME, "description": description}) == {}


def test_accepted_characters_are_not_flagged_by_ruff(default_project: Path, tmp_path: Path) -> None:
    """Every non-ASCII character project_name and description accept, in a string and a
    docstring, passes ruff with the generated project's configuration (RUF001/RUF002 flag
    look-alikes of ASCII characters, such as en dashes and curly apostrophes)."""
    accepted = [
        chr(code)
        for code in range(0x80, sys.maxunicode + 1)
        if validation.text_character(chr(code))
    ]
    assert "é" in accepted
    assert "\u2013" not in accepted  # en dash
    for char in accepted:
        assert validation.description_error(f"A{char}") == ""
        assert validation.project_name_error(f"A{char}") == ""
    shutil.copy(default_project / "pyproject.toml", tmp_path / "pyproject.toml")
    lines = [f'"""{"".join(accepted)}"""', ""]
    lines += [f'CHAR_{code:X} = "{chr(code)}"' for code in map(ord, accepted)]
    (tmp_path / "probe.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [
            *ruff(),
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            "--ignore",
            "E501",
            "probe.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


# The default variant, and the database servers, whose URL in db/engine.py holds package_name.
LONG_ANSWERS_VARIANTS = {
    "default": {},
    "postgresql": {"database": "postgresql"},
    "mysql": {"database": "mysql"},
}


@pytest.mark.parametrize("variant", list(LONG_ANSWERS_VARIANTS))
def test_longest_answers_render_a_clean_project(renders: Renders, variant: str) -> None:
    """The longest accepted name, slug, package, description and author render a project that
    ruff accepts as is (line length included), with each answer in its literal exactly as typed."""
    answers = {**default_variant(), **LONG_ANSWERS_VARIANTS[variant], **LONGEST}
    project = renders.get(answers)
    for args in (("check", "--output-format", "concise"), ("format", "--diff")):
        result = run_ruff(project, *args)
        assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]

    package = project / "src" / read_answers(project)["package_name"]
    assert package.name == LONGEST_PACKAGE_NAME
    init = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(init) == LONGEST_DESCRIPTION
    literals = {
        node.value
        for path in ("__main__.py", "core/settings.py")
        for node in ast.walk(ast.parse((package / path).read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert {LONGEST_PROJECT_NAME, LONGEST_DESCRIPTION} <= literals
    metadata = read_pyproject(project)["project"]
    assert metadata["name"] == LONGEST_PROJECT_SLUG
    assert metadata["description"] == LONGEST_DESCRIPTION
    assert metadata["authors"][0]["name"] == LONGEST_AUTHOR_NAME
