"""No file, import, dependency or setting of an option that was not chosen; all of them when it was.

The footprints below are written from the documented options (docs/content/options.md), not
read from extensions/context.py, so a stale exclusion list there shows up here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

import pytest

from tests.conftest import Renders
from tests.helpers import (
    PACKAGE,
    Answers,
    all_dependencies,
    imported_modules,
    read_text,
    rendered_files,
    variant_id,
    variants,
)

VARIANTS = variants()


@dataclass(frozen=True)
class Footprint:
    """What a feature brings into the project: present when it is chosen, absent otherwise."""

    chosen: Callable[[Answers], bool]
    paths: tuple[str, ...] = ()  # files or folders, relative to the project
    dependencies: tuple[str, ...] = ()  # distribution names, in any dependency list
    # Only checked for absence (a feature need not import all of them itself):
    modules: tuple[str, ...] = ()  # import names (regular expressions), with their submodules
    words: tuple[str, ...] = ()  # text in any rendered file (case-insensitive)
    settings: tuple[str, ...] = ()  # environment variable name patterns in .env.example


FEATURES = {
    "database": Footprint(
        chosen=lambda answers: answers["database"] != "none",
        paths=(
            f"src/{PACKAGE}/db",
            f"src/{PACKAGE}/migrations",
            f"src/{PACKAGE}/items/repository.py",
            "tests/test_migrations.py",
        ),
        dependencies=("sqlalchemy", "alembic"),
        modules=("sqlalchemy", "alembic", rf"{PACKAGE}\.(db|migrations)"),
        words=("sqlalchemy", "alembic"),
        settings=(r"DATABASE_\w*",),
    ),
    "sqlite": Footprint(
        chosen=lambda answers: answers["database"] == "sqlite",
        dependencies=("aiosqlite",),
        modules=("aiosqlite",),
        words=("aiosqlite",),
        settings=(r"DATABASE_BUSY\w*",),
    ),
    "postgresql": Footprint(
        chosen=lambda answers: answers["database"] == "postgresql",
        dependencies=("asyncpg",),
        modules=("asyncpg",),
        words=("asyncpg", "postgres"),
        settings=(r"DATABASE_STATEMENT_TIMEOUT\w*",),
    ),
    "mysql": Footprint(
        chosen=lambda answers: answers["database"] == "mysql",
        dependencies=("asyncmy", "cryptography"),
        modules=("asyncmy",),
        words=("asyncmy", "mysql", "mariadb"),
    ),
    "database server": Footprint(
        # PostgreSQL and MySQL: a server in compose and CI, a pool, tests on the same engine.
        chosen=lambda answers: answers["database"] in {"postgresql", "mysql"},
        paths=("tests/test_outage.py",),
        words=("TEST_DATABASE_URL",),
        settings=(r"DATABASE_POOL\w*", r"DATABASE_\w*_OVERFLOW", r"DATABASE_CONNECT\w*"),
    ),
    "servers": Footprint(
        # A database server, Redis or RabbitMQ: compose waits for them; the tests cut them off.
        chosen=lambda answers: (
            answers["database"] in {"postgresql", "mysql"}
            or answers["task_queue"] != "none"
            or answers["cache"] == "redis"
        ),
        paths=("tests/tcp_proxy.py",),
        words=("service_healthy",),
    ),
    "jwt sign-in limits": Footprint(
        chosen=lambda answers: answers["auth"] == "jwt",
        paths=(f"src/{PACKAGE}/accounts/limits.py",),
        settings=(r"RATE_LIMIT_LOGIN_\w*",),
    ),
    "jwt": Footprint(
        chosen=lambda answers: answers["auth"] == "jwt",
        paths=(
            f"src/{PACKAGE}/accounts",
            "tests/test_auth.py",
            "tests/test_users.py",
            "tests/test_create_admin.py",
        ),
        dependencies=("pwdlib",),
        modules=(
            "pwdlib",
            "multipart",
            "email_validator",
            rf"{PACKAGE}\.accounts",
        ),
        words=("pwdlib", "argon2", "refresh_token", "access_token", "create-admin"),
        settings=(r"\w*TOKEN\w*", r"JWT_\w*", r"SECRET_KEY", r"PASSWORD_\w*"),
    ),
    "pyjwt": Footprint(
        # Signing its own tokens (jwt), checking an identity provider's (oidc).
        chosen=lambda answers: answers["auth"] in {"jwt", "oidc"},
        dependencies=("pyjwt",),
        modules=("jwt",),
        words=("pyjwt",),
    ),
    "oidc": Footprint(
        chosen=lambda answers: answers["auth"] == "oidc",
        paths=(f"src/{PACKAGE}/oidc", "tests/test_oidc.py", "tests/identity_provider.py"),
        modules=(rf"{PACKAGE}\.oidc",),
        words=("OIDC_", "identity_provider"),
        settings=(r"OIDC_\w*",),
    ),
    "oidc profile mirror": Footprint(
        # With a database only: the subjects' profiles mirrored in a table of their own.
        chosen=lambda answers: answers["auth"] == "oidc" and answers["database"] != "none",
        paths=(
            f"src/{PACKAGE}/oidc/models.py",
            f"src/{PACKAGE}/oidc/profiles.py",
            f"src/{PACKAGE}/migrations/versions/0002_oidc_profiles.py",
            "tests/test_oidc_profiles.py",
        ),
        words=("oidc_profiles", "OIDC_MIRROR_PROFILES"),
        settings=(r"OIDC_MIRROR_PROFILES",),
    ),
    "jwt-only dependencies": Footprint(
        # Form parsing (OAuth2 password login) and e-mail validation serve the users of auth=jwt.
        chosen=lambda answers: answers["auth"] == "jwt",
        dependencies=("python-multipart", "email-validator"),
    ),
    "cache": Footprint(
        chosen=lambda answers: answers["cache"] != "none",
        paths=(f"src/{PACKAGE}/cache", f"src/{PACKAGE}/items/cached.py", "tests/test_cache.py"),
        # No `import …cache` anywhere: the cache package, nor a module of a domain named cache(d).
        modules=(rf"{PACKAGE}(\.\w+)*\.cached?",),
        settings=(r"\w*CACHE\w*",),
    ),
    "in-process cache": Footprint(
        chosen=lambda answers: answers["cache"] == "memory",
        paths=(f"src/{PACKAGE}/cache/memory.py", "tests/test_memory_cache.py"),
        modules=(rf"{PACKAGE}\.cache\.memory",),
        words=("MemoryCache",),
        settings=(r"CACHE_MAX_ENTRIES",),
    ),
    "redis cache": Footprint(
        # The cache and the rate limits' counts in Redis, over one pool (redis/client.py).
        chosen=lambda answers: answers["cache"] == "redis",
        paths=(
            f"src/{PACKAGE}/redis/client.py",
            f"src/{PACKAGE}/cache/redis.py",
            f"src/{PACKAGE}/ratelimit/redis.py",
            "tests/redis_fixtures.py",
            "tests/test_redis_cache.py",
            "tests/test_redis_outage.py",
        ),
        modules=(rf"{PACKAGE}\.redis\.client", rf"{PACKAGE}\.(cache|ratelimit)\.redis"),
        words=("RedisCache", "RedisRateLimitStore"),
        settings=(
            r"REDIS_(KEY_PREFIX|TIMEOUT_SECONDS|RETRY_SECONDS|MAX_CONNECTIONS)",
            "RATE_LIMIT_FAIL_OPEN",
        ),
    ),
    "in-process rate limits": Footprint(
        chosen=lambda answers: answers["cache"] != "redis",
        paths=(f"src/{PACKAGE}/ratelimit/memory.py",),
        modules=(rf"{PACKAGE}\.ratelimit\.memory",),
        words=("MemoryRateLimitStore",),
    ),
    "redis": Footprint(
        # One Redis server and REDIS_URL for every part that keeps data there.
        chosen=lambda answers: answers["task_queue"] != "none" or answers["cache"] == "redis",
        paths=(f"src/{PACKAGE}/redis",),
        modules=("redis", rf"{PACKAGE}\.redis"),
        words=("REDIS_URL", "redis:7"),
        settings=(r"REDIS_\w*",),
    ),
    "task queue": Footprint(
        chosen=lambda answers: answers["task_queue"] != "none",
        paths=(
            f"src/{PACKAGE}/tasks",
            f"src/{PACKAGE}/worker.py",
            "tests/queue.py",
            "tests/test_jobs.py",
            "tests/test_worker.py",
            "tests/test_queue_outage.py",
        ),
        modules=(rf"{PACKAGE}\.(tasks|worker)",),
        words=("items-report", "Idempotency-Key", "TASK_QUEUE_NAME", "BROKER_URL"),
        settings=(r"TASK_\w*", "BROKER_URL"),
    ),
    "celery": Footprint(
        chosen=lambda answers: answers["task_queue"] == "celery",
        paths=("tests/test_celery.py",),
        dependencies=("celery", "celery-types"),
        modules=("celery", "kombu", "amqp", "billiard"),
        words=("celery",),
    ),
    "taskiq": Footprint(
        chosen=lambda answers: answers["task_queue"] == "taskiq",
        paths=("tests/test_taskiq.py",),
        dependencies=("taskiq", "taskiq-redis"),
        modules=("taskiq", "taskiq_redis", "taskiq_aio_pika"),
        words=("taskiq",),
    ),
    "rabbitmq": Footprint(
        chosen=lambda answers: answers.get("broker") == "rabbitmq",
        modules=("aio_pika", "aiormq"),
        words=("rabbitmq", "amqp://", "TEST_RABBITMQ_URL"),
    ),
    "taskiq on rabbitmq": Footprint(
        chosen=lambda answers: (
            answers.get("broker") == "rabbitmq" and answers["task_queue"] == "taskiq"
        ),
        dependencies=("taskiq-aio-pika",),
    ),
}


def test_imported_modules() -> None:
    source = (
        "import jwt\nfrom .cache import Cache\nfrom .. import users\nfrom my_service.db import x\n"
    )
    names = imported_modules(PurePath("src/my_service/items/service.py"), source)
    assert {"jwt", "my_service.items.cache", "my_service.users", "my_service.db"} <= names


def env_names(project: Path) -> list[str]:
    names = []
    for line in (project / ".env.example").read_text(encoding="utf-8").splitlines():
        if match := re.match(r"\s*#?\s*([A-Z][A-Z0-9_]*)=", line):
            names.append(match.group(1))
    return names


def footprint_problems(
    project: Path, feature: str, footprint: Footprint, chosen: bool
) -> list[str]:
    problems = []
    for name in footprint.paths:
        if (project / name).exists() != chosen:
            problems.append(f"{feature}: {name} {'missing' if chosen else 'rendered'}")
    dependencies = all_dependencies(project)
    for dist in footprint.dependencies:
        if (dist in dependencies) != chosen:
            problems.append(f"{feature}: dependency {dist} {'missing' if chosen else 'listed'}")
    if chosen:
        return problems
    for name in env_names(project):
        if any(re.fullmatch(pattern, name) for pattern in footprint.settings):
            problems.append(f"{feature}: setting {name} in .env.example")
    words = [word.lower() for word in footprint.words]
    for path in rendered_files(project):
        text = read_text(project / path)
        if text is None or path.name == ".copier-answers.yml":
            continue
        lowered = text.lower()
        problems += [f"{feature}: {path} mentions {word!r}" for word in words if word in lowered]
        if path.suffix == ".py":
            for module in sorted(imported_modules(path, text)):
                if any(re.fullmatch(rf"{m}(\..+)?", module) for m in footprint.modules):
                    problems.append(f"{feature}: {path} imports {module}")
    return problems


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_only_chosen_options_are_rendered(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    problems = []
    for feature, footprint in FEATURES.items():
        problems += footprint_problems(project, feature, footprint, footprint.chosen(answers))
    assert not problems, "\n".join(problems)
