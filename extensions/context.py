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
    "postgresql": ("asyncpg>=0.30",),
    # cryptography: MySQL 8's default authentication (caching_sha2_password) encrypts the password
    # with the server's RSA key on connections without TLS.
    "mysql": ("asyncmy>=0.2.10", "cryptography>=44"),
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
DATABASE_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+asyncmy",
}

# How the README names each database.
DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}


def database_servers(package_name: str) -> dict[str, dict[str, Any]]:
    """The database server of each server answer, as compose.yaml and the CI workflow run it.

    `url` is the service's DATABASE_URL with `{host}` to fill in (127.0.0.1 from the host, the
    service name inside compose); `admin_url` is what the test suite creates its databases with
    (TEST_DATABASE_URL's default). Local development credentials only: production sets its own
    DATABASE_URL.
    """
    return {
        "postgresql": {
            "name": "postgresql",
            "image": "postgres:17",
            "port": 5432,
            "environment": {
                "POSTGRES_USER": "postgres",
                "POSTGRES_PASSWORD": "postgres",
                "POSTGRES_DB": package_name,
            },
            # TCP, not the socket: the image's init phase serves only the socket.
            "healthcheck": f"pg_isready -h 127.0.0.1 -U postgres -d {package_name}",
            "data": "/var/lib/postgresql/data",
            "url": f"postgresql+asyncpg://postgres:postgres@{{host}}:5432/{package_name}",
            "admin_url": "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres",
        },
        "mysql": {
            "name": "mysql",
            "image": "mysql:8.4",
            "port": 3306,
            "environment": {
                "MYSQL_ROOT_PASSWORD": "root",
                "MYSQL_DATABASE": package_name,
                "MYSQL_USER": "app",
                "MYSQL_PASSWORD": "app",
            },
            # TCP, not the socket: the image's init phase runs a server without networking.
            "healthcheck": "mysqladmin ping -h 127.0.0.1 -u root -proot",
            "data": "/var/lib/mysql",
            "url": f"mysql+asyncmy://app:app@{{host}}:3306/{package_name}?charset=utf8mb4",
            "admin_url": "mysql+asyncmy://root:root@127.0.0.1:3306/mysql?charset=utf8mb4",
        },
    }


# Files that exist only when a derived flag is true (gitignore-style patterns, relative to the
# generated project). Everything else in template/ is rendered for every variant.
FEATURE_PATHS = {
    "has_db": (
        "src/*/db",
        "src/*/items/dependencies.py",
        "src/*/items/models.py",
        "src/*/items/repository.py",
        "src/*/items/service.py",
        "tests/database.py",
        "tests/test_database.py",
        "tests/test_sessions.py",
        "tests/test_migrations.py",
    ),
    "has_db_server": ("src/*/db/pool.py", "tests/test_outage.py", "tests/test_pool.py"),
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
        "src/*/users/status.py",
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
    server = database_servers(package_name).get(database)
    flags = {
        "has_db": database != "none",
        "has_db_server": server is not None,
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
    if server:
        default_database_url = server["url"].format(host="127.0.0.1")
    else:
        default_database_url = f"{scheme}:///./{package_name}.db" if database == "sqlite" else ""
    return {
        **flags,
        "dependencies": sorted(dependencies, key=str.lower),
        "dev_dependencies": list(DEV_DEPENDENCIES),
        "omitted_paths": omitted,
        "database_scheme": scheme,
        "database_label": DATABASE_LABELS.get(database, ""),
        "default_database_url": default_database_url,
        # Servers the variant needs at run time, by name (the matrix starts them, DESIGN.md).
        "services": [server["name"]] if server else [],
        # The same servers as compose services and CI service containers (image, environment,
        # healthcheck, data folder).
        "service_containers": [server] if server else [],
        # What the app and migrate containers of compose.yaml set to reach those servers.
        "compose_environment": (
            {"DATABASE_URL": server["url"].format(host=server["name"])} if server else {}
        ),
        # TEST_DATABASE_URL's default: the admin URL of the server compose.yaml starts.
        "default_test_database_url": server["admin_url"] if server else "",
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
