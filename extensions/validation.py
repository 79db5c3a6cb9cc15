"""Jinja filters behind copier.yml's validators.

Each filter returns an empty string for a good answer, or a message that says what to type instead;
Copier shows the message and refuses the answer. The rules live here, in Python, so the matrix can
run exactly the same checks when it enumerates valid combinations.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The `database` answers that store something, as refusal messages list them.
DATABASES = "database=sqlite, database=postgresql or database=mysql"

# Import names a generated service (or its tooling) depends on: a package with one of these names
# would shadow the real library.
RESERVED_PACKAGE_NAMES = frozenset(
    {
        "aiosqlite",
        "alembic",
        "anyio",
        "argon2",
        "asyncmy",
        "asyncpg",
        "bcrypt",
        "cryptography",
        "email_validator",
        "fastapi",
        "httpx",
        "jwt",
        "multipart",
        "mypy",
        "pre_commit",
        "pwdlib",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "pytest",
        "pytest_asyncio",
        "pytest_cov",
        "ruff",
        "sqlalchemy",
        "starlette",
        "structlog",
        "tests",
        "typing_extensions",
        "uvicorn",
    }
)


def slugify_name(name: str) -> str:
    """Turn a human name into a kebab-case slug ("Billing API" -> "billing-api")."""
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))


def project_name_error(name: str) -> str:
    if not str(name).strip():
        return "project_name is required: type a human-readable name such as 'Billing API'."
    if not slugify_name(name) or not slugify_name(name)[0].isalpha():
        return "project_name must start with a letter, e.g. 'Billing API'."
    return ""


def project_slug_error(slug: str) -> str:
    if SLUG_RE.match(str(slug)):
        return ""
    suggestion = slugify_name(slug) or "my-service"
    if suggestion[0].isdigit():
        suggestion = f"svc-{suggestion}"
    return (
        f"project_slug must be kebab-case (lowercase letters, digits and single dashes, starting "
        f"with a letter), e.g. '{suggestion}'."
    )


def package_name_error(name: str) -> str:
    name = str(name)
    suggestion = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "my_service"
    if suggestion[0].isdigit():
        suggestion = f"svc_{suggestion}"
    if not PACKAGE_RE.match(name):
        return (
            f"package_name must be a Python identifier in lowercase (letters, digits, underscores, "
            f"not starting with a digit), e.g. '{suggestion}'."
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package_name '{name}' is a Python keyword: choose another, e.g. '{name}_service'."
    if name in RESERVED_PACKAGE_NAMES:
        return (
            f"package_name '{name}' would shadow the '{name}' library the service depends on: "
            f"choose another, e.g. '{name}_service'."
        )
    return ""


def email_error(email: str) -> str:
    if EMAIL_RE.match(str(email)):
        return ""
    return "author_email must be an e-mail address, e.g. 'backend@example.com'."


def database_error(database: str, auth: Any) -> str:
    if auth == "jwt" and database == "none":
        return f"auth=jwt stores users: choose a database ({DATABASES}), or auth=none."
    return ""


def cache_error(cache: str, database: Any) -> str:
    if cache != "none" and database == "none":
        return (
            f"cache={cache} caches database reads: choose cache=none with database=none, "
            f"or a database ({DATABASES})."
        )
    return ""


FILTERS = {
    "slugify_name": slugify_name,
    "project_name_error": project_name_error,
    "project_slug_error": project_slug_error,
    "package_name_error": package_name_error,
    "email_error": email_error,
    "database_error": database_error,
    "cache_error": cache_error,
}


class AnswerValidation(Extension):
    """Registers the validation filters with Copier's Jinja environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(FILTERS)
