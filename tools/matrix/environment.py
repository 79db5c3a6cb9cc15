"""What a variant's checks see: environment variables and the servers it needs.

This module is the one place where the matrix's environment variable names are defined; the docs
(docs/ "Testing the template") list the same names. Every name below is set for every variant run,
so a generated test suite can rely on them whenever they are set and fall back to its own defaults
(its compose.yaml) when they are not, as on a developer's laptop.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# --- Variables the matrix passes to each variant --------------------------------------------------

# A short id unique to one run of one variant ([a-z0-9], starts with a letter): the base of every
# name below. A generated test suite may use it for anything else that must not collide.
RUN_ID = "TEST_RUN_ID"
# Admin URL of the database server (postgresql or mysql variants only). The tests create their own
# database on it (named TEST_DATABASE_NAME, plus a suffix per pytest-xdist worker if they like),
# run the migrations there, and drop it at the end.
DATABASE_ADMIN_URL = "TEST_DATABASE_URL"
# Name of the database the variant's tests create on TEST_DATABASE_URL: `test_<run id>`.
DATABASE_NAME = "TEST_DATABASE_NAME"
# URL of the Redis server (variants that use Redis). The tests keep their keys under a prefix made
# of TEST_RUN_ID (and the pytest-xdist worker) and delete them; they never flush the database.
REDIS_URL = "TEST_REDIS_URL"
# URL of the RabbitMQ server (broker=rabbitmq variants). The tests use queues and exchanges named
# after TEST_RUN_ID (and the pytest-xdist worker) and delete them.
RABBITMQ_URL = "TEST_RABBITMQ_URL"

VARIANT_VARIABLES = (RUN_ID, DATABASE_ADMIN_URL, DATABASE_NAME, REDIS_URL, RABBITMQ_URL)

# --- Variables the matrix itself reads -----------------------------------------------------------

# `1`: a variant whose server is unreachable fails instead of being skipped (`.ci/run`, CI).
REQUIRE_SERVICES = "REQUIRE_SERVICES"
# Selection for tests/test_variants.py: a subset and/or answers, e.g. `ci`, `full`, `auth=jwt`.
SUBSET = "MATRIX_SUBSET"
# Where variants are rendered (default: results/work).
WORKDIR = "MATRIX_WORKDIR"
# Caches shared by all variants and kept across runs and clones, like uv's own cache: the warm
# mypy caches (default: $XDG_CACHE_HOME/copier-fastapi-matrix, i.e. ~/.cache/copier-fastapi-matrix).
CACHE_DIR = "MATRIX_CACHE_DIR"
# How many variants `python -m tools.matrix` runs in parallel (default: the number of cores).
JOBS = "MATRIX_JOBS"


@dataclass(frozen=True)
class Service:
    name: str
    host: str
    port: int
    url: str  # what a variant is given for it
    variable: str  # in this variable


# The local servers, by the names the template's derived context gives them (`services`, from
# extensions/). A variant that needs a server missing here is skipped, or fails with
# REQUIRE_SERVICES=1: a new server joins this table with the option that needs it.
SERVICES = {
    "postgresql": Service(
        "postgresql",
        "127.0.0.1",
        5432,
        "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        DATABASE_ADMIN_URL,
    ),
    "mysql": Service(
        "mysql", "127.0.0.1", 3306, "mysql+asyncmy://root@127.0.0.1:3306/mysql", DATABASE_ADMIN_URL
    ),
    "redis": Service("redis", "127.0.0.1", 6379, "redis://127.0.0.1:6379/0", REDIS_URL),
    "rabbitmq": Service(
        "rabbitmq", "127.0.0.1", 5672, "amqp://guest:guest@127.0.0.1:5672/", RABBITMQ_URL
    ),
}

# Inherited variables that would leak the caller's setup into a variant's checks: the repo's own
# virtualenv (`uv run` sets VIRTUAL_ENV), the Python pinned by a pyenv shim that ran uv or python
# (PYENV_VERSION would make `python3.13` fail in a variant that pins 3.13), pytest-xdist's worker
# markers (a variant's conftest must not think it is an xdist worker), coverage hooks, and any
# service URL from the caller's shell.
SCRUBBED = (
    "VIRTUAL_ENV",
    "PYENV_VERSION",
    "PYENV_DIR",
    "CONDA_PREFIX",
    "PYTHONPATH",
    "PYTHONHOME",
    "UV_PROJECT_ENVIRONMENT",
    "UV_PYTHON",
    "UV_FROZEN",
    "UV_LOCKED",
    "UV_NO_SYNC",
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_VERSION",
    "COV_CORE_SOURCE",
    "COV_CORE_CONFIG",
    "COV_CORE_DATAFILE",
    "MYPYPATH",
    "NOX_CURRENT_SESSION",
    "FORCE_COLOR",
    "DATABASE_URL",
    "REDIS_URL",
    "BROKER_URL",
    "ENVIRONMENT",
    "SECRET_KEY",
    *VARIANT_VARIABLES,
)


def new_run_id() -> str:
    """`m` + 10 hex digits: fits a database name on every server."""
    return "m" + secrets.token_hex(5)


def variant_variables(services: Iterable[str], run_id: str) -> dict[str, str]:
    """The TEST_* variables of one variant run."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", run_id):
        raise ValueError(f"run id {run_id!r} must be lowercase letters, digits and underscores")
    variables = {RUN_ID: run_id, DATABASE_NAME: f"test_{run_id}"}
    for name in services:
        if service := SERVICES.get(name):
            variables[service.variable] = service.url
    return variables


def step_environment(
    variables: Mapping[str, str], base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The full environment of a variant's commands: the caller's, scrubbed, plus `variables`."""
    source = os.environ if base is None else base
    env = {key: value for key, value in source.items() if key not in SCRUBBED}
    env.update(
        {
            # uv: never fetch an interpreter; one shared cache (the caller's UV_CACHE_DIR or uv's
            # default) so the second variant installs from it; quiet progress in logs.
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
            "NO_COLOR": "1",
            "PY_COLORS": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(variables)
    return env


def unreachable(services: Iterable[str], timeout: float = 1.0) -> list[str]:
    """The needed services that do not accept a TCP connection, as `name (host:port)` strings."""
    down = []
    for name in services:
        service = SERVICES.get(name)
        if service is None:
            down.append(f"{name} (unknown service: known are {', '.join(SERVICES)})")
            continue
        try:
            with socket.create_connection((service.host, service.port), timeout=timeout):
                pass
        except OSError:
            down.append(f"{name} ({service.host}:{service.port})")
    return down


def require_services(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(REQUIRE_SERVICES, "")
    return value.strip().lower() in {"1", "true", "yes"}
