# mypy: disable-error-code="untyped-decorator"
# (FastAPI is installed in the rendered service's environment, not in the template repository's.)
"""The raw-asyncpg side of the read-path benchmark (tools/benchmarks/read_path.py).

It runs with the rendered service's own Python (its virtualenv has asyncpg, FastAPI and uvicorn),
never in the template repository's environment:

    python raw_asyncpg.py serve --port P            the baseline app, one uvicorn worker
    python raw_asyncpg.py create NAME [--template T]
    python raw_asyncpg.py seed NAME EMAIL N IDS     N items owned by EMAIL; their ids into IDS
    python raw_asyncpg.py stats NAME…               counters of each database, as one JSON line
    python raw_asyncpg.py drop NAME…                DROP DATABASE … WITH (FORCE)

The baseline is the smallest fair FastAPI app that answers `GET /api/v1/items/{id}`: the same
framework and uvicorn as the service, the same worker count and connection count, one
`SELECT … WHERE id = $1` on a pool opened at start-up, and the service's JSON shape. It has none
of the service's work: no token, no user, no ORM, no middleware, no access log. The ratio of the
service to it is what all of that costs.

Environment: BENCH_ADMIN_URL (a libpq URL of the server, e.g. postgresql://postgres@host/postgres;
the other databases are reached by name on the same server); for `serve`, BENCH_DATABASE_URL (the
database to read) and BENCH_POOL_SIZE (connections of the baseline's pool).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Response

QUERY = "SELECT id, title, description, owner_id, created_at, updated_at FROM items WHERE id = $1"
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")


def _database_url() -> str:
    return os.environ["BENCH_DATABASE_URL"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    app.state.pool = await asyncpg.create_pool(_database_url(), min_size=size, max_size=size)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/health/live")
async def live() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@app.get("/api/v1/items/{item_id}")
async def get_item(item_id: uuid.UUID) -> Response:
    row = await app.state.pool.fetchrow(QUERY, item_id)
    if row is None:
        return Response(b'{"error":{"code":"not_found"}}', status_code=404)
    body = {
        "id": str(row["id"]),
        "title": row["title"],
        "description": row["description"],
        "owner_id": str(row["owner_id"]),
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")


def serve(port: int) -> None:
    import uvicorn

    # What the service's `serve` does, minus its logging: same server, loop and HTTP parser.
    uvicorn.run(app, host="127.0.0.1", port=port, loop="asyncio", access_log=False)


def _checked(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise SystemExit(f"bad database name: {name!r}")
    return name


def _url(name: str) -> str:
    """The admin URL with another database name."""
    admin = os.environ["BENCH_ADMIN_URL"]
    base, _, query = admin.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{_checked(name)}" + (f"?{query}" if query else "")


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(os.environ["BENCH_ADMIN_URL"])
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create(name: str, template: str | None) -> None:
    copy = f' TEMPLATE "{_checked(template)}"' if template else ""
    await _admin(f'CREATE DATABASE "{_checked(name)}"{copy}')


async def drop(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')


async def seed(name: str, email: str, count: int, ids_file: Path) -> None:
    """`count` items owned by the user `email` (created with the service's own command)."""
    connection = await asyncpg.connect(_url(name))
    try:
        owner = await connection.fetchval("SELECT id FROM users WHERE email = $1", email)
        if owner is None:
            raise SystemExit(f"no user {email} in the bench database")
        await connection.execute(
            """
            INSERT INTO items (id, title, description, owner_id, created_at, updated_at)
            SELECT gen_random_uuid(), 'Item ' || n, 'Description of item ' || n, $1, now(), now()
            FROM generate_series(1, $2) AS n
            """,
            owner,
            count,
        )
        await connection.execute("VACUUM ANALYZE items")
        rows = await connection.fetch("SELECT id FROM items WHERE owner_id = $1", owner)
    finally:
        await connection.close()
    ids_file.write_text("".join(f"{row['id']}\n" for row in rows), encoding="utf-8")


async def stats(name: str) -> dict[str, Any]:
    """A database's counters: transactions, sessions opened (pool churn), index scans."""
    connection = await asyncpg.connect(_url(name))
    try:
        row = await connection.fetchrow(
            "SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        tables = await connection.fetch(
            "SELECT relname, coalesce(idx_scan, 0) AS idx_scan FROM pg_stat_user_tables"
        )
    finally:
        await connection.close()
    counters: dict[str, Any] = dict(row) if row is not None else {}
    for table in tables:
        counters[f"{table['relname']}_idx_scan"] = table["idx_scan"]
    return counters


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve").add_argument("--port", type=int, required=True)
    create_parser = commands.add_parser("create")
    create_parser.add_argument("name")
    create_parser.add_argument("--template")
    commands.add_parser("drop").add_argument("names", nargs="+")
    seed_parser = commands.add_parser("seed")
    seed_parser.add_argument("name")
    seed_parser.add_argument("email")
    seed_parser.add_argument("count", type=int)
    seed_parser.add_argument("ids_file", type=Path)
    commands.add_parser("stats").add_argument("names", nargs="+")
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve(args.port)
    elif args.command == "create":
        asyncio.run(create(args.name, args.template))
    elif args.command == "drop":
        for name in args.names:
            asyncio.run(drop(name))
    elif args.command == "seed":
        asyncio.run(seed(args.name, args.email, args.count, args.ids_file))
    elif args.command == "stats":
        print(json.dumps({name: asyncio.run(stats(name)) for name in args.names}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
