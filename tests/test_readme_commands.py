"""The generated README's commands work as written.

Every line of the README's bash blocks runs, in order, in a freshly rendered service (one on SQLite,
one on PostgreSQL) and must exit 0. Left out, because they cannot run here: `docker compose` (the
servers run without Docker) and `copier update` (it needs the template as a git repository with
release tags). Adapted: `serve` runs on a free port instead of 8000 (the machine may be shared)
until its readiness probe answers 200, then it is stopped; `create-admin` reads its password from
ADMIN_PASSWORD, as it would from a prompt; the service is in git, as the update section presumes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import PACKAGE
from tools.matrix import environment
from tools.matrix.runner import MypySeed, default_cache_dir, find_uv

VARIANTS = {
    "sqlite": {"database": "sqlite", "auth": "jwt"},
    "postgresql": {"database": "postgresql", "auth": "jwt"},
}
# Commands left out (a part of the line), and why.
LEFT_OUT = {
    "docker compose": "no Docker here: the servers run outside it",
    "copier update": "needs the template as a git repository with release tags",
}
COMMAND_TIMEOUT = 600
READY_TIMEOUT = 60

# Runs one statement on a database server, with the service's own driver (its virtualenv).
SQL_SCRIPT = """
import asyncio, sys
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

async def run(url, statement):
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()

asyncio.run(run(*sys.argv[1:]))
"""


def readme_commands(readme: str) -> list[str]:
    """The commands of the README's bash blocks, in order, without comments; `a && b` is two."""
    commands: list[str] = []
    in_bash = False
    for line in readme.splitlines():
        if line.startswith("```"):
            in_bash = line == "```bash"
        elif in_bash and (command := re.sub(r"\s+#.*", "", line).strip()):
            commands.extend(part.strip() for part in command.split(" && "))
    return commands


def run(command: str, project: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        command,
        shell=True,
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, (
        f"$ {command}\nexit status {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def serve_until_ready(command: str, project: Path, env: dict[str, str], log: Path) -> None:
    """Start `serve`, wait for /health/ready to answer 200, stop it as Ctrl-C would."""
    port = free_port()
    command = re.sub(r"--port \d+", f"--port {port}", command)
    url = f"http://127.0.0.1:{port}/health/ready"
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            command,
            shell=True,
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert server.poll() is None, f"$ {command}\nexited:\n{log.read_text('utf-8')}"
            try:
                with no_proxy.open(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            assert time.monotonic() < deadline, f"$ {command}\nnot ready:\n{log.read_text('utf-8')}"
            time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.mark.variant
@pytest.mark.parametrize("database", list(VARIANTS))
def test_every_readme_command_works(
    database: str, render_fresh: Callable[..., Path], tmp_path: Path
) -> None:
    services = [database] if database in environment.SERVICES else []
    if down := environment.unreachable(services):
        if environment.require_services():
            pytest.fail(f"server unreachable: {', '.join(down)}")
        pytest.skip(f"server unreachable: {', '.join(down)}")
    project = render_fresh(VARIANTS[database])
    run_id = environment.new_run_id()
    env = environment.step_environment(environment.variant_variables(services, run_id))
    # A fresh virtualenv holds no bytecode: without it, every command compiles its imports again.
    env.pop("PYTHONDONTWRITEBYTECODE")
    env["PATH"] = f"{Path(find_uv()).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ADMIN_PASSWORD"] = "readme-Admin-password-0123"
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"], env[f"GIT_{role}_EMAIL"] = "Test", "test@example.com"
    python_version = (project / ".python-version").read_text(encoding="utf-8").strip()
    MypySeed(default_cache_dir() / "mypy" / python_version).copy_to(project / ".mypy_cache")
    run("git init -q && git add -A && git commit -q -m generated", project, env)

    admin_url = env.get(environment.DATABASE_ADMIN_URL, "")
    name = f"readme_{run_id}"
    sql = ["uv", "run", "--no-sync", "python", "-c", SQL_SCRIPT, admin_url]
    if admin_url:  # the service's database, as compose.yaml's server would create it
        env["DATABASE_URL"] = f"{admin_url.rsplit('/', 1)[0]}/{name}"
        run("uv sync --quiet", project, env)
        subprocess.run([*sql, f"CREATE DATABASE {name}"], cwd=project, env=env, check=True)
    try:
        done: set[str] = set()
        for command in readme_commands((project / "README.md").read_text(encoding="utf-8")):
            if any(part in command for part in LEFT_OUT):
                continue
            if command == "uv run pytest" and command in done:
                continue  # the suite again (after `uv lock`): it passed, and would take as long
            done.add(command)
            if f"{PACKAGE} serve" in command:
                serve_until_ready(command, project, env, tmp_path / "serve.log")
            else:
                run(command, project, env)
        # The revision autogenerate wrote (after the checks above) passes them too.
        assert len(list((project / "src" / PACKAGE / "migrations" / "versions").glob("*.py"))) == 2
        run("uv run ruff check && uv run ruff format --check", project, env)
    finally:
        if admin_url:
            subprocess.run(
                [*sql, f"DROP DATABASE IF EXISTS {name}"], cwd=project, env=env, check=False
            )
