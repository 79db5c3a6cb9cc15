# mypy: disable-error-code="untyped-decorator"
# (FastAPI is installed in the rendered service's environment, not in the template repository's.)
"""The raw-asyncmy side of the read-path benchmark (tools/benchmarks/read_path.py): MySQL's
counterpart of raw_asyncpg.py, run with a rendered MySQL service's own Python.

    python raw_asyncmy.py serve --port P            the baseline app, one uvicorn worker
    python raw_asyncmy.py create NAME
    python raw_asyncmy.py seed NAME EMAIL N IDS     N items owned by EMAIL; their ids into IDS
    python raw_asyncmy.py drop NAME…

The baseline is the smallest fair FastAPI app that answers `GET /api/v1/items/{id}` from MySQL:
one `SELECT … WHERE id = %s` on an asyncmy pool in autocommit mode (a read needs no transaction),
the service's JSON shape, the same framework, server and worker count as the service.

Environment: BENCH_MYSQL_ADMIN_URL (e.g. mysql://root@127.0.0.1:3306/mysql; the other databases
are reached by name on the same server); for `serve`, BENCH_DATABASE (the database to read) and
BENCH_POOL_SIZE (connections of the baseline's pool).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncmy
from fastapi import FastAPI, Response

QUERY = "SELECT id, title, description, owner_id, created_at, updated_at FROM items WHERE id = %s"
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")


def connect_arguments(database: str | None = None) -> dict[str, Any]:
    url = urllib.parse.urlsplit(os.environ["BENCH_MYSQL_ADMIN_URL"])
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 3306,
        "user": urllib.parse.unquote(url.username or "root"),
        "password": urllib.parse.unquote(url.password or ""),
        "db": database or url.path.lstrip("/") or "mysql",
        "charset": "utf8mb4",
    }


async def uuid_storage(connection: Any, database: str) -> str:
    """How the items table stores ids: MariaDB's `uuid` type, or MySQL's CHAR(32) hex."""
    async with connection.cursor() as cursor:
        await cursor.execute(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = 'items' AND column_name = 'id'",
            (database,),
        )
        row = await cursor.fetchone()
    return "uuid" if row and row[0].lower() == "uuid" else "hex"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    database = os.environ["BENCH_DATABASE"]
    app.state.pool = await asyncmy.create_pool(
        minsize=size, maxsize=size, autocommit=True, **connect_arguments(database)
    )
    async with app.state.pool.acquire() as connection:
        app.state.storage = await uuid_storage(connection, database)
    yield
    app.state.pool.close()
    await app.state.pool.wait_closed()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/health/live")
async def live() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@app.get("/api/v1/items/{item_id}")
async def get_item(item_id: uuid.UUID) -> Response:
    key = str(item_id) if app.state.storage == "uuid" else item_id.hex
    async with app.state.pool.acquire() as connection, connection.cursor() as cursor:
        await cursor.execute(QUERY, (key,))
        row = await cursor.fetchone()
    if row is None:
        return Response(b'{"error":{"code":"not_found"}}', status_code=404)
    body = {
        "id": str(uuid.UUID(str(row[0]))),
        "title": row[1],
        "description": row[2],
        "owner_id": str(uuid.UUID(str(row[3]))),
        "created_at": row[4].replace(tzinfo=UTC).isoformat(),
        "updated_at": row[5].replace(tzinfo=UTC).isoformat(),
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


async def _admin(statement: str) -> None:
    connection = await asyncmy.connect(autocommit=True, **connect_arguments())
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(statement)
    finally:
        connection.close()


async def create(name: str) -> None:
    await _admin(f"CREATE DATABASE `{_checked(name)}` CHARACTER SET utf8mb4")


async def drop(name: str) -> None:
    await _admin(f"DROP DATABASE IF EXISTS `{_checked(name)}`")


async def seed(name: str, email: str, count: int, ids_file: Path) -> None:
    """`count` items owned by the user `email` (created with the service's own command)."""
    connection = await asyncmy.connect(autocommit=True, **connect_arguments(_checked(name)))
    try:
        storage = await uuid_storage(connection, name)
        async with connection.cursor() as cursor:
            await cursor.execute("SELECT id FROM users WHERE email = %s", (email,))
            found = await cursor.fetchone()
            if found is None:
                raise SystemExit(f"no user {email} in the bench database")
            now = datetime.now(UTC).replace(tzinfo=None)
            ids = [uuid.uuid4() for _ in range(count)]
            rows = [
                (
                    str(item_id) if storage == "uuid" else item_id.hex,
                    f"Item {n}",
                    f"Description of item {n}",
                    found[0],
                    now,
                    now,
                )
                for n, item_id in enumerate(ids, 1)
            ]
            await cursor.executemany(
                "INSERT INTO items (id, title, description, owner_id, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
            await cursor.execute("ANALYZE TABLE items")
            await cursor.fetchall()
    finally:
        connection.close()
    ids_file.write_text("".join(f"{item_id}\n" for item_id in ids), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve").add_argument("--port", type=int, required=True)
    commands.add_parser("create").add_argument("name")
    commands.add_parser("drop").add_argument("names", nargs="+")
    seed_parser = commands.add_parser("seed")
    seed_parser.add_argument("name")
    seed_parser.add_argument("email")
    seed_parser.add_argument("count", type=int)
    seed_parser.add_argument("ids_file", type=Path)
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve(args.port)
    elif args.command == "create":
        asyncio.run(create(args.name))
    elif args.command == "drop":
        for name in args.names:
            asyncio.run(drop(name))
    elif args.command == "seed":
        asyncio.run(seed(args.name, args.email, args.count, args.ids_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
