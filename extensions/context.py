"""Derived facts about the variant being rendered, computed once from the answers.

Templates read these names instead of re-deriving them: `has_db`, `use_jwt`, `dependencies`,
`settings_parts`, … The files of an option have conditional names in template/ (`{% if use_jwt
%}accounts{% endif %}/`) that test these flags. Adding an option value means editing the tables
below, not hunting through template files.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from copier_template_extensions import ContextHook

# Runtime dependencies (lower bounds only: the generated project locks on its first `uv sync`).
BASE_DEPENDENCIES = (
    "fastapi>=0.121",
    # Swagger UI's files, so that /docs works with no network (core/docs.py).
    "fastapi-offline>=1.7.7",
    "pydantic-settings>=2.6",
    "structlog>=24.4",
    # uvicorn on asyncio's own loop, with the httptools parser (core/server.py); not the
    # [standard] extra: uvloop would go unused (__main__.py says why), watchfiles is dev-only.
    "httptools>=0.6.4",
    "orjson>=3.10",  # the JSON log lines (core/logging.py)
    "uvicorn>=0.32",
)
DATABASE_DEPENDENCIES = {
    "sqlite": ("aiosqlite>=0.20",),
    "postgresql": ("asyncpg>=0.30",),
    # cryptography: MySQL 8's default authentication (caching_sha2_password) encrypts the password
    # with the server's RSA key on connections without TLS.
    "mysql": ("asyncmy>=0.2.10", "cryptography>=44"),
}
SQLALCHEMY_DEPENDENCIES = ("alembic>=1.16", "sqlalchemy[asyncio]>=2.1")
# The Redis client (asyncio, with the hiredis parser), wherever a part of the service uses Redis.
REDIS_DEPENDENCIES = ("redis[hiredis]>=6.2",)
# The task queues; their results are kept in Redis (REDIS_DEPENDENCIES, which Celery's Redis
# transport and result backend use too).
QUEUE_DEPENDENCIES = {
    "celery": ("celery>=5.7",),
    "taskiq": ("taskiq>=0.13", "taskiq-redis>=1.2"),
}
# Taskiq's RabbitMQ broker (Redis streams come with taskiq-redis; Celery speaks AMQP itself).
BROKER_DEPENDENCIES = {("taskiq", "rabbitmq"): ("taskiq-aio-pika>=0.6",)}
AUTH_DEPENDENCIES = {
    "jwt": (
        "email-validator>=2.2",
        "pwdlib[argon2,bcrypt]>=0.2.1",
        "pyjwt>=2.10",
        "python-multipart>=0.0.18",
    ),
    # httpx fetches the identity provider's keys without blocking the event loop; PyJWT verifies
    # the tokens (its `crypto` extra: RSA and EC signatures).
    "oidc": ("httpx>=0.28", "pyjwt[crypto]>=2.10"),
}
DEV_DEPENDENCIES = (
    "httpx>=0.28",
    "hypothesis>=6.130",
    "mypy>=1.14",
    "pre-commit>=4.0",
    "pytest>=8.3",
    "pytest-asyncio>=1.0",
    "pytest-cov>=6.0",
    "ruff>=0.9",
    "schemathesis>=4.32",
    "watchfiles>=1.0",  # `serve --reload` watches the sources without polling them
)
# Celery ships no type hints: mypy --strict reads these stubs.
QUEUE_DEV_DEPENDENCIES = {"celery": ("celery-types>=0.26",)}

# SQLAlchemy async URL scheme per database answer.
DATABASE_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+asyncmy",
}

# How the README names each task queue and broker.
QUEUE_LABELS = {"celery": "Celery", "taskiq": "Taskiq"}
BROKER_LABELS = {"redis": "Redis", "rabbitmq": "RabbitMQ"}

# How the README names each database.
DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}


def database_servers(package_name: str) -> dict[str, dict[str, Any]]:
    """The database server of each server answer, as compose.yaml and the CI workflow run it.

    `url` is the value of the service's `setting` with `{host}` to fill in (127.0.0.1 from the
    host, the service name inside compose); `admin_url` is what the test suite creates its
    databases with (TEST_DATABASE_URL's default). Local development credentials only: production
    sets its own DATABASE_URL.
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
            "setting": "DATABASE_URL",
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
            "setting": "DATABASE_URL",
            "admin_url": "mysql+asyncmy://root:root@127.0.0.1:3306/mysql?charset=utf8mb4",
        },
    }


# The one Redis server, shared by every part that uses Redis (cache=redis; the task queues' broker):
# the same fields as a database server's. No credentials: compose publishes it on 127.0.0.1 only.
REDIS_SERVER: dict[str, Any] = {
    "name": "redis",
    "image": "redis:7",
    "port": 6379,
    "environment": {},
    "healthcheck": "redis-cli ping",
    "data": "/data",
    "url": "redis://{host}:6379/0",
    "setting": "REDIS_URL",
    # TEST_REDIS_URL's default: the tests keep their keys under a prefix of their own there.
    "admin_url": "redis://127.0.0.1:6379/0",
}

# The broker of broker=rabbitmq. The image's default user, guest, may only connect from the
# server's own host: not from the other containers, nor from the host through the published port.
RABBITMQ_SERVER: dict[str, Any] = {
    "name": "rabbitmq",
    "image": "rabbitmq:4",
    "port": 5672,
    "environment": {"RABBITMQ_DEFAULT_USER": "app", "RABBITMQ_DEFAULT_PASS": "app"},
    "healthcheck": "rabbitmq-diagnostics -q ping",
    "data": "/var/lib/rabbitmq",
    "url": "amqp://app:app@{host}:5672/",
    "setting": "BROKER_URL",
    # TEST_RABBITMQ_URL's default: the tests use queues of their own there.
    "admin_url": "amqp://app:app@127.0.0.1:5672/",
}


# The auth modes whose callers are principals with roles and scopes (authz/ checks them), and the
# module of each that turns a request into its principal (`PrincipalDep`) and gives the routes
# its `require_scope`.
PRINCIPAL_MODULES = {
    "jwt": "accounts.principal",
    "api_key": "keys.dependencies",
    "oidc": "oidc.dependencies",
}

CREDENTIALS = {"jwt": "access token", "api_key": "API key", "oidc": "token"}
# The generated tests' plugin of each auth mode, whose AUTH_SETTINGS the test settings take.
AUTH_TEST_PLUGINS = {"jwt": "accounts", "api_key": "api_keys", "oidc": "identity_provider"}

# The settings class each part of the service adds, by the flag that brings the part (the
# generated settings.py combines them; the core's own settings are the base of each).
SETTINGS_PARTS = (
    ("use_jwt", "accounts.settings", "AccountSettings"),
    ("has_cache", "cache.settings", "CacheSettings"),
    ("has_db", "db.engine", "DatabaseSettings"),
    ("use_api_key", "keys.settings", "ApiKeySettings"),
    (None, "ratelimit.settings", "RateLimitSettings"),
    ("use_oidc", "oidc.settings", "OidcSettings"),
    ("has_task_queue", "tasks.settings", "TaskSettings"),
    ("redis_cache", "redis.client", "RedisClientSettings"),
    # Last: the settings of the parts that keep data in Redis extend it.
    ("has_redis", "redis.settings", "RedisSettings"),
)
# The routers of the versioned API (routers.py), by the flag that brings their part:
# (flag, module, router, name in routers.py).
API_ROUTERS = (
    (None, "items.router", "router", "items_router"),
    ("has_task_queue", "tasks.router", "router", "jobs_router"),
    ("use_jwt", "accounts.router", "auth_router", "auth_router"),
    ("use_jwt", "accounts.router", "users_router", "users_router"),
    ("api_key_db", "keys.router", "router", "api_keys_router"),
    # No route: its lifespan fetches the identity provider's keys and closes their client.
    ("use_oidc", "oidc.setup", "router", "identity_provider_router"),
)
# The parts that add commands to the command line (__main__.py), by the flag that brings them:
# (flag, module with add_commands, short name, the commands it adds).
COMMAND_PARTS = (
    ("use_jwt", "accounts.commands", "account", ("create-admin",)),
    ("use_api_key", "keys.commands", "key", ("create-api-key",)),
    ("has_task_queue", "worker", "worker", ("worker", "scheduler")),
)
# The generated tests' fixture modules (pytest plugins), by the flag that brings their part.
TEST_PLUGINS = (
    ("has_db", "database_fixtures"),
    ("has_db", "items"),
    ("use_jwt", "accounts"),
    ("use_api_key", "api_keys"),
    ("use_oidc", "identity_provider"),
    ("has_cache", "clock"),
    ("has_task_queue", "queue"),
    ("redis_cache", "redis_fixtures"),
)
# The generated package's layout, as its README shows it: (flag, path, what it holds).
LAYOUT = (
    (None, "main.py", "create_app(settings) and the lifespan"),
    (None, "__main__.py", "the command line"),
    (None, "settings.py", "all settings, combined from each part's own"),
    (None, "routers.py", "every router of the versioned API"),
    (None, "stores.py", "what requests share: the cache and the rate limits' counters"),
    ("has_task_queue", "worker.py", "what the worker and scheduler processes run"),
    (None, "core/", "settings, logging, errors, middleware, pagination, /docs"),
    ("has_db", "db/", "engine, session per request, declarative base"),
    ("has_db", "migrations/", "the schema's history (Alembic); every model is registered here"),
    ("memory_cache", "cache/", "cache interface and its in-process implementation"),
    ("redis_cache", "cache/", "cache interface and its Redis implementation"),
    (
        "redis_cache",
        "redis/",
        "the Redis server, and the one pool of the cache and the rate limits",
    ),
    ("redis_settings_only", "redis/", "the settings of the Redis server"),
    (None, "ratelimit/", "rate limits and their 429 answer (Retry-After, RateLimit headers)"),
    ("use_jwt", "accounts/", "users, passwords, tokens: sign-up, sign-in, profile, administration"),
    (
        "has_authz",
        "authz/",
        "the caller as a principal (roles, scopes) and the checks routes declare",
    ),
    (
        "api_key_db",
        "keys/",
        "API keys: format, hashing, verification, `create-api-key`, listing and revoking",
    ),
    ("api_key_settings", "keys/", "API keys from settings: format, hashing, `create-api-key`"),
    (
        "use_oidc",
        "oidc/",
        "an OpenID Connect provider's bearer tokens: its keys (cached), checks, claims to "
        "principal",
    ),
    ("has_db", "items/", "the example domain: router, service, repository, model"),
    ("no_db", "items/", "the example domain: a read-only catalog kept in code"),
    ("has_task_queue", "tasks/", "background jobs: the queue, the example job, /jobs"),
    (None, "health/", "liveness and readiness"),
)
# Every versioned route of the generated API lives under this prefix (core/api.py).
API_PREFIX = "/api/v1"


# Every setting of the generated service, in the order `.env.example` and the README list them:
# sections of (flag, variable, default, meaning). A flag names the derived fact that brings the
# setting (None: every variant); a default may hold {placeholders} of derived facts. The service
# itself declares the same settings in code; its own tests check that `.env.example` lists exactly
# those.
SETTINGS_SECTIONS = (
    (
        None,
        "Service",
        (
            (
                None,
                "ENVIRONMENT",
                "development",
                "`development`, `test` or `production` "
                "(production refuses unsafe settings and hides /docs)",
            ),
            (
                "use_jwt",
                "SECRET_KEY",
                "",
                "signs the tokens: random, at least 32 characters "
                "(`python -c 'import secrets; print(secrets.token_urlsafe(48))'`; production "
                "refuses a predictable one); empty outside production: a random key per process",
            ),
        ),
    ),
    (
        None,
        "HTTP server",
        (
            (None, "HOST", "127.0.0.1", "address `serve` binds"),
            (None, "PORT", "8000", "port `serve` listens on"),
            (None, "WORKERS", "1", "worker processes of `serve`"),
            (None, "CORS_ORIGINS", "", "comma-separated origins allowed by CORS (empty: none)"),
            (
                None,
                "CORS_ALLOW_CREDENTIALS",
                "false",
                "let those origins send cookies and credentials (refused with `*` or `null` in "
                "production)",
            ),
            (
                None,
                "ALLOWED_HOSTS",
                "*",
                "comma-separated `Host` headers accepted (`*.example.com` allowed; `*`: any, "
                "refused in production)",
            ),
            (None, "MAX_BODY_BYTES", "1048576", "larger request bodies get 413"),
            (
                None,
                "TRUSTED_PROXIES",
                "",
                "comma-separated addresses or networks (`10.0.0.0/8`) of the reverse proxies in "
                "front of the service, whose X-Forwarded-For and X-Forwarded-Proto are believed "
                "(empty: nobody's)",
            ),
            (
                None,
                "DOCS_ENABLED",
                "",
                "serve /docs and /openapi.json (empty: on, except in production)",
            ),
        ),
    ),
    (
        None,
        "Logging and health",
        (
            (
                None,
                "LOG_LEVEL",
                "INFO",
                "`DEBUG` (refused in production), `INFO`, `WARNING` or `ERROR`",
            ),
            (None, "LOG_JSON", "", "JSON lines (empty: in production; console lines otherwise)"),
            (
                None,
                "LOG_PROBES",
                "false",
                "also log the /health probes that succeed (failed ones are always logged)",
            ),
            (
                None,
                "HEALTH_TIMEOUT_SECONDS",
                "2.0",
                "how long /health/ready waits for each dependency",
            ),
        ),
    ),
    (
        "has_db",
        "Database",
        (
            (None, "DATABASE_URL", "{default_database_url}", "SQLAlchemy async URL"),
            (
                None,
                "DATABASE_ECHO",
                "false",
                "log every SQL statement with its parameters (refused in production)",
            ),
            (
                "is_sqlite",
                "DATABASE_BUSY_TIMEOUT_MS",
                "5000",
                "how long a writer waits for another one's lock",
            ),
            (
                "has_db_server",
                "DATABASE_POOL_SIZE",
                "10",
                "connections kept open per worker process",
            ),
            (
                "has_db_server",
                "DATABASE_MAX_OVERFLOW",
                "0",
                "extra connections for bursts, closed after use",
            ),
            (
                "has_db_server",
                "DATABASE_POOL_TIMEOUT_SECONDS",
                "5.0",
                "how long a request waits for a free connection before a 503",
            ),
            (
                "has_db_server",
                "DATABASE_POOL_RECYCLE_SECONDS",
                "1800",
                "replace connections older than this (`-1`: never)",
            ),
            (
                "has_db_server",
                "DATABASE_POOL_PRE_PING",
                "false",
                "test each connection before use (a round trip per request)",
            ),
            (
                "has_db_server",
                "DATABASE_CONNECT_TIMEOUT_SECONDS",
                "1.5",
                "an unreachable server is a 503 after this many seconds",
            ),
            (
                "is_postgresql",
                "DATABASE_STATEMENT_TIMEOUT_MS",
                "10000",
                "the server cancels longer statements; a silent server is a 503 a second later "
                "(`0`: no limit)",
            ),
            (
                "is_mysql",
                "DATABASE_READ_TIMEOUT_SECONDS",
                "11.0",
                "a server silent this long mid-statement is a 503, its connection replaced "
                "(`0`: wait for ever)",
            ),
        ),
    ),
    (
        "use_jwt",
        "Accounts and tokens",
        (
            (None, "JWT_ALGORITHM", "HS256", "`HS256`, `HS384` or `HS512`"),
            (None, "JWT_ISSUER", "{project_slug}", "issuer claim, checked on every token"),
            (None, "JWT_AUDIENCE", "{project_slug}", "audience claim, checked on every token"),
            (None, "ACCESS_TOKEN_EXPIRE_MINUTES", "15", "access token lifetime"),
            (
                None,
                "REFRESH_TOKEN_EXPIRE_DAYS",
                "7",
                "refresh token lifetime (rotated on every use)",
            ),
            (
                None,
                "PASSWORD_HASH_CONCURRENCY",
                "4",
                "password hashes computed at once per worker (each holds 64 MiB)",
            ),
            (
                None,
                "PASSWORD_HASH_QUEUE",
                "64",
                "sign-ins that may wait for a turn; beyond them a fast 503",
            ),
            (
                "has_cache",
                "USER_STATUS_TTL_SECONDS",
                "5",
                "how long the auth check trusts a cached active flag "
                "(`0`: ask the database every time)",
            ),
        ),
    ),
    (
        "use_api_key",
        "API keys",
        (
            (
                None,
                "API_KEY_PEPPER",
                "",
                "server-side secret the keys are hashed with (HMAC-SHA256): random, at least 32 "
                "characters (production refuses a predictable one); changing it invalidates every "
                "key; empty outside production: a fixed development value",
            ),
            (
                "api_key_settings",
                "API_KEYS",
                "[]",
                "the keys, as JSON: a list of {id, hash, name, scopes, expires, revoked} entries "
                "that `create-api-key` prints",
            ),
            (
                "has_cache",
                "API_KEY_CACHE_TTL_SECONDS",
                "5",
                "how long a key's record is trusted from the cache: a key revoked elsewhere stops "
                "working within this time (`0`: ask the database every time)",
            ),
            (
                "has_db",
                "API_KEY_LAST_USED_INTERVAL_SECONDS",
                "60",
                "a key's last-used time is written at most this often per key",
            ),
        ),
    ),
    (
        "use_oidc",
        "Identity provider (OpenID Connect)",
        (
            (
                None,
                "OIDC_ISSUER",
                "",
                "the provider's issuer URL, exactly as its tokens name it (`iss`), e.g. "
                "`https://<keycloak host>/realms/<realm>`; its keys are found at "
                "`<issuer>/.well-known/openid-configuration`. Empty: the service starts not ready "
                "and answers tokens with 503 (production refuses to start)",
            ),
            (
                None,
                "OIDC_AUDIENCE",
                "",
                "what the tokens meant for this service name in `aud`, e.g. "
                "`https://api.example.com` (the API's identifier, or a client id); required like "
                "OIDC_ISSUER",
            ),
            (
                None,
                "OIDC_JWKS_URL",
                "",
                "the provider's key set (JWKS) URL (empty: the `jwks_uri` of the issuer's "
                "discovery document)",
            ),
            (
                None,
                "OIDC_ALGORITHMS",
                "RS256,ES256",
                "comma-separated signature algorithms accepted: asymmetric only (RS*, PS*, ES*, "
                "EdDSA); `none` and HS* are refused",
            ),
            (
                None,
                "OIDC_LEEWAY_SECONDS",
                "30",
                "clock difference with the provider tolerated on `exp`, `nbf` and `iat`",
            ),
            (
                None,
                "OIDC_SCOPE_CLAIM",
                "scope",
                "the claim of the scopes: a space-separated string (`scope`) or a list (`scp`); "
                "unknown scopes are ignored",
            ),
            (
                None,
                "OIDC_ROLES_CLAIM",
                "",
                "the claim of the roles, a dotted path (`realm_access.roles`, `roles`); a role "
                "named like a scope grants it, `admin` grants every scope (empty: no roles)",
            ),
            (
                None,
                "OIDC_JWKS_REFRESH_SECONDS",
                "300",
                "the keys are fetched again this often, in the background (no request waits)",
            ),
            (
                None,
                "OIDC_JWKS_TTL_SECONDS",
                "3600",
                "how long the last key set fetched is trusted while the provider is out of "
                "reach; then tokens get 503 and /health/ready fails",
            ),
            (
                None,
                "OIDC_JWKS_COOLDOWN_SECONDS",
                "30",
                "least time between two fetches that an unknown key id or a failure prompts",
            ),
            (
                None,
                "OIDC_HTTP_TIMEOUT_SECONDS",
                "3.0",
                "the longest a fetch from the provider may take",
            ),
            (
                "has_db",
                "OIDC_MIRROR_PROFILES",
                "false",
                "keep a row per subject in `oidc_profiles` (issuer, `email`, `name`, first and "
                "last seen), written the first time a process sees the subject; best-effort, never "
                "fails a request",
            ),
        ),
    ),
    (
        "has_cache",
        "Cache",
        (
            (None, "CACHE_TTL_SECONDS", "60", "lifetime of a cached item"),
            (
                "memory_cache",
                "CACHE_MAX_ENTRIES",
                "10000",
                "bound of the in-process cache (the least recently used go first)",
            ),
        ),
    ),
    (
        "has_redis",
        "Redis",
        (
            (
                None,
                "REDIS_URL",
                "{default_redis_url}",
                "the Redis server, shared by every part that keeps data there",
            ),
            (
                "redis_cache",
                "REDIS_KEY_PREFIX",
                "{project_slug}:",
                "start of every key the service writes, so that services can share a Redis",
            ),
            (
                "redis_cache",
                "REDIS_TIMEOUT_SECONDS",
                "0.25",
                "the longest a request waits for Redis (a connection, an answer); then it does "
                "without",
            ),
            (
                "redis_cache",
                "REDIS_RETRY_SECONDS",
                "1.0",
                "once Redis is out of reach (refused, dropped, or nothing answered within the "
                "timeout), requests do without it this long before one tries it again",
            ),
            (
                "redis_cache",
                "REDIS_MAX_CONNECTIONS",
                "256",
                "connections per worker process, as many as its requests in flight; a request "
                "waits for a free one within the timeout",
            ),
        ),
    ),
    (
        None,
        "Rate limits",
        (
            (None, "RATE_LIMIT_ENABLED", "true", "`false` turns every limit off (the tests do)"),
            (
                None,
                "RATE_LIMIT_API",
                "600/minute",
                "requests per client address to the API: `N/second`, `N/minute`, `N/hour`, `N/day` "
                "or e.g. `N/15minutes`, N of them at once",
            ),
            (
                "use_api_key",
                "RATE_LIMIT_API_KEY",
                "600/minute",
                "requests per API key, whatever the client address",
            ),
            (
                "use_jwt",
                "RATE_LIMIT_LOGIN_PER_ADDRESS",
                "20/minute",
                "sign-in attempts per client address",
            ),
            (
                "use_jwt",
                "RATE_LIMIT_LOGIN_PER_ACCOUNT",
                "10/hour",
                "sign-in attempts per account (e-mail address), whatever the client",
            ),
            (
                "redis_cache",
                "RATE_LIMIT_FAIL_OPEN",
                "true",
                "while Redis is out of reach: `true` serves without limits (logged), `false` "
                "refuses with 503",
            ),
        ),
    ),
    (
        "has_task_queue",
        "Task queue",
        (
            (
                "has_rabbitmq",
                "BROKER_URL",
                "{default_broker_url}",
                "RabbitMQ, the queue's broker (the results stay in Redis, at REDIS_URL)",
            ),
            (
                "redis_broker",
                "BROKER_URL",
                "",
                "the Redis of the queue's broker (empty: the one of REDIS_URL, which keeps the "
                "results)",
            ),
            (
                None,
                "TASK_QUEUE_NAME",
                "{package_name}",
                "the queue the jobs go through; the queue's keys in Redis start with it",
            ),
            (
                "use_celery",
                "TASK_CONCURRENCY",
                "4",
                "processes of a worker, each running one job at a time",
            ),
            (
                "use_taskiq",
                "TASK_CONCURRENCY",
                "10",
                "jobs a worker runs at once, on its one event loop",
            ),
            (None, "TASK_TIME_LIMIT_SECONDS", "300", "a job still running after this fails"),
            (
                "redis_broker",
                "TASK_REDELIVERY_TIMEOUT_SECONDS",
                "3600",
                "a job a worker took and never acknowledged (it died) goes to another worker after "
                "this: refused unless longer than a job may run, its retries and their delays "
                "included",
            ),
            (
                None,
                "TASK_MAX_RETRIES",
                "3",
                "retries of a job that met a transient error (a database out of reach)",
            ),
            (
                None,
                "TASK_RETRY_DELAY_SECONDS",
                "2.0",
                "wait before the first retry, doubled before each next one",
            ),
            (
                None,
                "TASK_RESULT_TTL_SECONDS",
                "86400",
                "how long a job's state, result and idempotency key are kept",
            ),
            (
                None,
                "TASK_ENQUEUE_TIMEOUT_SECONDS",
                "0.5",
                "a broker that does not take a job within this time is a 503",
            ),
            (
                None,
                "TASK_REPORT_INTERVAL_SECONDS",
                "0",
                "the scheduler enqueues the items report this often (`0`: off)",
            ),
        ),
    ),
)


def settings_sections(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections and settings of SETTINGS_SECTIONS that this variant has, defaults filled in."""
    sections = []
    for flag, title, entries in SETTINGS_SECTIONS:
        if flag and not facts[flag]:
            continue
        settings = [
            {"name": name, "default": default.format(**facts), "meaning": meaning}
            for entry_flag, name, default, meaning in entries
            if not entry_flag or facts[entry_flag]
        ]
        sections.append({"title": title, "settings": settings})
    return sections


def requirement_name(requirement: str) -> str:
    """What dependencies are sorted by: "fastapi>=…" before "fastapi-offline>=…"."""
    return re.split(r"[\[<>=]", requirement, maxsplit=1)[0].lower()


@lru_cache(maxsize=64)
def derive(
    package_name: str,
    project_slug: str,
    python_version: str,
    auth: str,
    database: str,
    cache: str,
    task_queue: str,
    broker: str,
) -> dict[str, Any]:
    server = database_servers(package_name).get(database)
    flags = {
        "has_db": database != "none",
        "has_db_server": server is not None,
        "use_jwt": auth == "jwt",
        "use_api_key": auth == "api_key",
        "no_auth": auth == "none",
        "use_oidc": auth == "oidc",
        "has_authz": auth in PRINCIPAL_MODULES,
        "has_cache": cache != "none",
        "memory_cache": cache == "memory",
        # The cache, and with it the rate limits, in Redis: shared by workers and replicas.
        "redis_cache": cache == "redis",
        "has_task_queue": task_queue != "none",
        "use_celery": task_queue == "celery",
        "use_taskiq": task_queue == "taskiq",
        # broker is asked only with a queue (an empty answer without one).
        "has_rabbitmq": broker == "rabbitmq",
        "redis_broker": broker == "redis",
    }
    # API keys live in the database when there is one, else in the settings (API_KEYS).
    flags["api_key_db"] = flags["use_api_key"] and flags["has_db"]
    flags["api_key_settings"] = flags["use_api_key"] and not flags["has_db"]
    # With a database, oidc may mirror each subject's profile (OIDC_MIRROR_PROFILES).
    flags["oidc_db"] = flags["use_oidc"] and flags["has_db"]
    # Every part that uses Redis shares one server, one REDIS_URL and the redis/ part. The task
    # queues keep their results there, whatever their broker.
    flags["has_redis"] = flags["redis_cache"] or flags["has_task_queue"]
    servers = [
        *([server] if server else []),
        *([REDIS_SERVER] if flags["has_redis"] else []),
        *([RABBITMQ_SERVER] if flags["has_rabbitmq"] else []),
    ]
    flags["has_servers"] = bool(servers)
    dependencies = list(BASE_DEPENDENCIES)
    if flags["has_db"]:
        dependencies += [*SQLALCHEMY_DEPENDENCIES, *DATABASE_DEPENDENCIES[database]]
    dependencies += AUTH_DEPENDENCIES.get(auth, ())
    if flags["has_redis"]:
        dependencies += REDIS_DEPENDENCIES
    dependencies += QUEUE_DEPENDENCIES.get(task_queue, ())
    dependencies += BROKER_DEPENDENCIES.get((task_queue, broker), ())
    settings_parts = [
        {"module": module, "name": name}
        for flag, module, name in SETTINGS_PARTS
        if flag is None or flags[flag]
    ]
    scheme = DATABASE_SCHEMES.get(database, "")
    if server:
        default_database_url = server["url"].format(host="127.0.0.1")
    else:
        default_database_url = f"{scheme}:///./{package_name}.db" if database == "sqlite" else ""
    facts = {
        **flags,
        "dependencies": sorted(dependencies, key=requirement_name),
        "dev_dependencies": sorted(
            [*DEV_DEPENDENCIES, *QUEUE_DEV_DEPENDENCIES.get(task_queue, ())], key=requirement_name
        ),
        "settings_parts": settings_parts,
        "test_plugins": [plugin for flag, plugin in TEST_PLUGINS if flags[flag]],
        "command_parts": [
            {"module": module, "name": name, "commands": commands}
            for flag, module, name, commands in COMMAND_PARTS
            if flags[flag]
        ],
        "api_routers": [
            {"module": module, "router": router, "name": name}
            for flag, module, router, name in API_ROUTERS
            if flag is None or flags[flag]
        ],
        # What /health/ready reports when every dependency answers.
        "readiness_checks": {
            **({"database": "ok"} if flags["has_db"] else {}),
            **({"cache": "ok"} if flags["redis_cache"] else {}),
            # The identity provider's signing keys: fetched, or cached and still trusted.
            **({"identity_provider": "ok"} if flags["use_oidc"] else {}),
            # The queue's broker, and the Redis that keeps its results (BROKER_URL may name
            # another server than REDIS_URL).
            **({"broker": "ok", "results": "ok"} if flags["has_task_queue"] else {}),
        },
        "api_prefix": API_PREFIX,
        "database_scheme": scheme,
        "database_label": DATABASE_LABELS.get(database, ""),
        "default_database_url": default_database_url,
        "default_broker_url": RABBITMQ_SERVER["url"].format(host="127.0.0.1"),
        "default_redis_url": REDIS_SERVER["url"].format(host="127.0.0.1"),
        # Servers the variant needs at run time, by name (the matrix starts them, DESIGN.md).
        "services": [entry["name"] for entry in servers],
        # The same servers as compose services and CI service containers (image, environment,
        # healthcheck, data folder).
        "service_containers": servers,
        # What the app container of compose.yaml sets to reach those servers, and the migrate
        # container, which needs the database only.
        "compose_environment": {
            entry["setting"]: entry["url"].format(host=entry["name"]) for entry in servers
        },
        "migrate_environment": (
            {server["setting"]: server["url"].format(host=server["name"])} if server else {}
        ),
        # TEST_DATABASE_URL's default: the admin URL of the server compose.yaml starts.
        "default_test_database_url": server["admin_url"] if server else "",
        # TEST_REDIS_URL's default: the Redis compose.yaml starts.
        "default_test_redis_url": REDIS_SERVER["admin_url"] if flags["has_redis"] else "",
        "cli_commands": [
            "serve",
            *(["migrate"] if flags["has_db"] else []),
            *(
                command
                for flag, _, _, commands in COMMAND_PARTS
                if flags[flag]
                for command in commands
            ),
        ],
        "principal_module": PRINCIPAL_MODULES.get(auth, ""),
        # What the caller of each auth mode proves itself with, as comments name it.
        "credential": CREDENTIALS.get(auth, ""),
        # The test plugin whose AUTH_SETTINGS the test settings take (conftest.py, or
        # database_fixtures.py with a database): the secret key, the pepper (and without a
        # database the keys of API_KEYS), the identity provider's issuer and audience.
        "auth_settings_plugin": AUTH_TEST_PLUGINS.get(auth, ""),
        # What a request can get from its principal: no valid credential, not the scope; and with
        # oidc, the identity provider's keys out of reach.
        "principal_errors": [401, 403, *([503] if flags["use_oidc"] else [])],
        # The type prefix of the service's API keys (keys/format.py): what a secret scanner
        # recognises a leaked key by.
        "api_key_prefix": project_slug.replace("-", "")[:16],
        "python_tag": "py" + python_version.replace(".", ""),
    }
    command = f"uv run python -m {package_name}"
    # What a new service's team runs after `uv sync` (and starting its servers): README, the
    # message after copy.
    facts["start_commands"] = [
        *([f"{command} migrate"] if flags["has_db"] else []),
        *([f"{command} create-admin --email admin@example.com"] if flags["use_jwt"] else []),
        *(
            [f"{command} create-api-key --name development --scopes admin,items:read,items:write"]
            if flags["use_api_key"]
            else []
        ),
        f"{command} serve --host 127.0.0.1 --port 8000",
    ]
    # The last line of the message after copy: what `.env` holds, or what to put in it.
    facts["env_note"] = (
        "A random SECRET_KEY was written to .env (gitignored); see"
        if flags["use_jwt"]
        else "A random API_KEY_PEPPER was written to .env (gitignored); see"
        if flags["use_api_key"]
        else "Set OIDC_ISSUER and OIDC_AUDIENCE (your identity provider's) in .env; see"
        if flags["use_oidc"]
        else "See"
    ) + " .env.example for every setting."
    facts["stack"] = [
        "FastAPI",
        *(
            [f"async SQLAlchemy 2.0 on {DATABASE_LABELS[database]} with Alembic"]
            if flags["has_db"]
            else []
        ),
        *(["JWT authentication with users and roles"] if flags["use_jwt"] else []),
        *(["API keys with scopes"] if flags["use_api_key"] else []),
        *(["an OpenID Connect provider's bearer tokens, with scopes"] if flags["use_oidc"] else []),
        *(["an in-process cache"] if flags["memory_cache"] else []),
        *(["a Redis cache"] if flags["redis_cache"] else []),
        "rate limits" + (" shared in Redis" if flags["redis_cache"] else " per process"),
        *(
            [f"background jobs with {QUEUE_LABELS.get(task_queue)} on {BROKER_LABELS.get(broker)}"]
            if flags["has_task_queue"]
            else []
        ),
        "structured logging with structlog",
    ]
    present = {
        **flags,
        "no_db": not flags["has_db"],
        "redis_settings_only": flags["has_redis"] and not flags["redis_cache"],
    }
    facts["layout"] = [
        (path, about) for flag, path, about in LAYOUT if flag is None or present[flag]
    ]
    engines = {f"is_{name}": database == name for name in DATABASE_SCHEMES}
    facts["settings_sections"] = settings_sections(
        {**facts, **engines, "project_slug": project_slug, "package_name": package_name}
    )
    return facts


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
        # broker is asked only with a queue: without one there is no answer to wait for.
        broker = context.get("broker") if context.get("task_queue") != "none" else ""
        if all(isinstance(value, str) for value in [*values, broker]):
            context.update(derive(*values, broker))
        else:
            context.setdefault("has_db", False)
