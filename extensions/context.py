"""Derived facts about the variant being rendered, computed once from the answers.

Templates read these names instead of re-deriving them: `has_db`, `use_jwt`, `dependencies`,
`omitted_paths` (the files of options that were not chosen, consumed by `_exclude`), … Adding an
option value means editing the tables below, not hunting through template files.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from copier_template_extensions import ContextHook

# Runtime dependencies (lower bounds only: the generated project locks on its first `uv sync`).
BASE_DEPENDENCIES = (
    "fastapi>=0.121",
    "pydantic-settings>=2.6",
    "structlog>=24.4",
    "uvicorn[standard]>=0.32",
)
DATABASE_DEPENDENCIES = {
    "sqlite": ("aiosqlite>=0.20",),
}
SQLALCHEMY_DEPENDENCIES = ("alembic>=1.16", "sqlalchemy[asyncio]>=2.1")
AUTH_DEPENDENCIES = {
    "jwt": (
        "email-validator>=2.2",
        "pwdlib[argon2,bcrypt]>=0.2.1",
        "pyjwt>=2.10",
        "python-multipart>=0.0.18",
    ),
}
DEV_DEPENDENCIES = (
    "httpx>=0.28",
    "mypy>=1.14",
    "pre-commit>=4.0",
    "pytest>=8.3",
    "pytest-asyncio>=1.0",
    "pytest-cov>=6.0",
    "ruff>=0.9",
)

# SQLAlchemy async URL scheme per database answer.
DATABASE_SCHEMES = {"sqlite": "sqlite+aiosqlite"}

# Files that exist only when a derived flag is true (gitignore-style patterns, relative to the
# generated project). Everything else in template/ is rendered for every variant.
FEATURE_PATHS = {
    "has_db": (
        "src/*/db",
        "src/*/items/dependencies.py",
        "src/*/items/models.py",
        "src/*/items/repository.py",
        "src/*/items/service.py",
        "tests/test_migrations.py",
    ),
    "use_jwt": (
        "src/*/auth",
        "src/*/users",
        "src/*/core/security.py",
        "tests/test_auth.py",
        "tests/test_users.py",
        "tests/test_cli.py",
    ),
    "has_cache": (
        "src/*/cache",
        "src/*/items/cached.py",
        "tests/test_cache.py",
    ),
}


@lru_cache(maxsize=64)
def derive(
    package_name: str,
    project_slug: str,
    python_version: str,
    auth: str,
    database: str,
    cache: str,
    task_queue: str,
) -> dict[str, Any]:
    flags = {
        "has_db": database != "none",
        "has_auth": auth != "none",
        "use_jwt": auth == "jwt",
        "has_cache": cache != "none",
        "has_task_queue": task_queue != "none",
    }
    dependencies = list(BASE_DEPENDENCIES)
    if flags["has_db"]:
        dependencies += [*SQLALCHEMY_DEPENDENCIES, *DATABASE_DEPENDENCIES[database]]
    dependencies += AUTH_DEPENDENCIES.get(auth, ())
    omitted = [
        pattern
        for flag, patterns in FEATURE_PATHS.items()
        if not flags[flag]
        for pattern in patterns
    ]
    scheme = DATABASE_SCHEMES.get(database, "")
    default_database_url = f"{scheme}:///./{package_name}.db" if database == "sqlite" else ""
    return {
        **flags,
        "dependencies": sorted(dependencies, key=str.lower),
        "dev_dependencies": list(DEV_DEPENDENCIES),
        "omitted_paths": omitted,
        "database_scheme": scheme,
        "default_database_url": default_database_url,
        # Servers the variant needs at run time (compose services, CI service containers).
        "services": [],
        "cli_commands": [
            "serve",
            *(["migrate"] if flags["has_db"] else []),
            *(["create-admin"] if flags["use_jwt"] else []),
        ],
        "python_tag": "py" + python_version.replace(".", ""),
    }


class VariantContext(ContextHook):
    """Adds the derived facts to every template's context."""

    def hook(self, context: dict[str, Any]) -> None:
        # Questions render before all answers exist; derive only once the answers are complete.
        keys = (
            "package_name",
            "project_slug",
            "python_version",
            "auth",
            "database",
            "cache",
            "task_queue",
        )
        values = [context.get(key) for key in keys]
        if all(isinstance(value, str) for value in values):
            context.update(derive(*values))
        else:
            context.setdefault("omitted_paths", [])
            context.setdefault("has_db", False)
