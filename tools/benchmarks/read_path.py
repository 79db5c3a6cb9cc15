"""The service benchmark suite: the generated service served for real, next to minimal apps.

    uv run nox -s bench [-- OPTIONS]
    uv run --group bench python tools/benchmarks/read_path.py [OPTIONS]

It renders the `auth=jwt` service once per database (`--database`, default postgresql and mysql)
and `--cache` answer (default memory, none and redis; redis with the first database only) from the
work tree as it is, and the PostgreSQL services of each `--release` (none by default) from that
release's commit, and runs `uv sync --compile-bytecode --no-dev` in each. It creates databases of
its own (`bench_<random>…`, dropped at the end), migrates them with the services' own `migrate`,
creates the user with `create-admin`, inserts `--items` items, and serves every service with
`python -m bench_service serve --workers 1` in production mode (JSON access log to a file; the
cache=redis ones keep their keys under the run's own prefix, deleted at the end), next to the
baselines of the same run on the same uvicorn, Python and worker count:

- raw asyncpg / raw asyncmy (raw_asyncpg.py, raw_asyncmy.py): FastAPI and one `SELECT … WHERE id`
  on the driver's own pool, the service's JSON shape, nothing else;
- bare FastAPI (bare_fastapi.py): a plain FastAPI app with the same `/health/live` route.

wrk (read_path.lua) drives them; every phase interleaves its targets, rotating their order each
round, so that drift on a shared machine hits all alike. Only ratios within one run count. The
phases (`--only`), in the order they run:

1. read: authenticated `GET /api/v1/items/{id}` of random ids at every `--connections` count,
   `--rounds` rounds of `--duration` s, each service against its engine's raw baseline;
2. live: `GET /health/live` of the services against the bare app: as deployed (a probe that
   succeeds writes no access line), and the first service once more with LOG_PROBES=true (what
   every request pays besides its route, its access line included: reported, not a goal);
3. limits: the rate limiter's cost per request, the services of each store (cache=memory: in
   the process, cache=redis: in Redis) against twins with RATE_LIMIT_ENABLED=false;
4. memory: the resident set of each service before and after `--soak` s of item reads;
5. storm: `/health/live` at 8 connections while 32 clients sign in without a pause (argon2 in
   worker threads, bounded by PASSWORD_HASH_CONCURRENCY);
6. startup: from the process's start to its first 200 from `/health/ready` (the bare app:
   `/health/live`), `--starts` times each.

It prints a table of the goals (measured, wanted, met), one of every target and one of the rate
limiter, writes them as Markdown (`--markdown`, by default the documentation's benchmarks page)
with a plot of throughput and p99 per target (`--plot`, needs matplotlib: the `bench` group), and
exits 0 unless `--check` is given and a goal is missed. `--profile` samples each service with
py-spy during one more run. It is a measurement, never a test: CI does not run it.

Needs: wrk (the nox session installs it where it can), PostgreSQL at BENCH_ADMIN_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and MySQL or MariaDB at BENCH_MYSQL_ADMIN_URL
(default mysql://root@127.0.0.1:3306/mysql), users that may create databases, Redis at
BENCH_REDIS_URL (default redis://127.0.0.1:6379/0), and uv.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import functools
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from http.client import HTTPConnection
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Run as a script (`python tools/benchmarks/read_path.py`), `tools` is importable from the
# repository only.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools.benchmarks import profiling  # noqa: E402
from tools.matrix import environment  # noqa: E402
from tools.matrix.runner import find_uv, render, snapshot_template  # noqa: E402

PACKAGE = "bench_service"
PROJECT_NAME = "Bench Service"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-1"  # a throwaway user of a throwaway database
LUA = HERE / "read_path.lua"
BARE = "bare FastAPI"
DOCS = REPO / "docs" / "content"
# The helper scripts of this folder run with a service's Python and without this folder on
# sys.path (Python 3.11+): none of its modules can shadow a standard one there either.
SAFE_PATH = "-P"

# The goals (issues 15 and 13), all ratios of one run.
READ_RATIO = {"none": 0.6, "memory": 0.75, "redis": 0.9}  # item reads against the raw driver app
P99_FACTOR = 1.5  # p99 at most this times the baseline's p99, at the lowest connection count
LIVE_RATIO = 0.85  # /health/live against the bare FastAPI app
# The twin of the first service whose probes write their access line (phase live).
LOGGED_PROBES = ", probes logged"
STARTUP_SECONDS = 0.6
RSS_MB = 80.0
RSS_GROWTH = 0.10
STORM_P99_MS = 20.0
STORM_LOGINS = 32
STORM_PROBES = 8  # connections of the /health/live load during the storm
LOCKUP_SHARE = 0.5  # at the highest connection count, at least this share of the lowest's rate

# In the order they run: the memory soak before the login storm, whose argon2 hashes (64 MiB
# each) leave the process's heap large for a while.
PHASES = ("read", "live", "limits", "memory", "storm", "startup")


@dataclass(frozen=True)
class Engine:
    """A database engine of the service, with its raw baseline app and admin helpers."""

    name: str  # the `database` answer
    baseline: str  # the raw app's target name
    support: Path
    admin_variable: str
    default_admin_url: str

    @property
    def admin_url(self) -> str:
        return os.environ.get(self.admin_variable) or self.default_admin_url


ENGINES = {
    "postgresql": Engine(
        "postgresql",
        "raw asyncpg",
        HERE / "raw_asyncpg.py",
        "BENCH_ADMIN_URL",
        "postgresql://postgres@127.0.0.1:5432/postgres",
    ),
    "mysql": Engine(
        "mysql",
        "raw asyncmy",
        HERE / "raw_asyncmy.py",
        "BENCH_MYSQL_ADMIN_URL",
        "mysql://root@127.0.0.1:3306/mysql",
    ),
}


# The Redis server of cache=redis services; each run keeps its keys under a prefix of its own.
REDIS_VARIABLE = "BENCH_REDIS_URL"


def redis_url() -> str:
    return os.environ.get(REDIS_VARIABLE) or "redis://127.0.0.1:6379/0"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def fail(message: str) -> SystemExit:
    return SystemExit(f"benchmark suite: {message}")


# --- Processes ---------------------------------------------------------------------------------


def run(command: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode:
        shown = " ".join(str(part) for part in command)
        raise fail(f"`{shown}` failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class Project:
    """A rendered and synced service: one database and cache answer, of the work tree or of a
    release (`tag`)."""

    database: str
    cache: str
    path: Path
    tag: str = ""

    @property
    def name(self) -> str:
        return f"{self.database} cache={self.cache}" + (f" @{self.tag}" if self.tag else "")

    @property
    def python(self) -> Path:
        return self.path / ".venv" / "bin" / "python"


@dataclass
class Server:
    """One HTTP server this script started (in a session of its own) and stops again."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    engine: str = ""  # the database it reads ("": the bare app)
    project: Project | None = None  # None: a baseline
    ready_path: str = "/health/live"
    token: str = "-"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0, poll: float = 0.25) -> float:
        """Seconds from now until `ready_path` answers 200."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise fail(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError):
                if http("GET", self.url + self.ready_path, timeout=2.0)[0] == 200:
                    return time.perf_counter() - started
            time.sleep(poll)
        raise fail(f"{self.name} did not answer {self.ready_path} within {timeout:.0f} s")

    def alive(self, timeout: float = 2.0) -> bool:
        try:
            return http("GET", self.url + "/health/live", timeout=timeout)[0] == 200
        except OSError:
            return False

    def _stat(self) -> list[str]:
        if self.process is None:
            return []
        try:
            return Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU time the server's process has used so far (Linux /proc)."""
        fields = self._stat()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0

    def rss_mb(self) -> float:
        """The process's resident set (Linux /proc), in MiB."""
        fields = self._stat()
        return int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20 if fields else 0.0

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the process group of the server we started (uvicorn and nothing else)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- The projects ------------------------------------------------------------------------------


def answers(database: str, cache: str) -> dict[str, str]:
    return {
        "project_name": PROJECT_NAME,
        "project_slug": "bench-service",
        "package_name": PACKAGE,
        "auth": "jwt",
        "database": database,
        "cache": cache,
    }


def render_projects(
    args: argparse.Namespace, workdir: Path, uv: str, env: Mapping[str, str]
) -> list[Project]:
    """The work tree's service for every database and cache answer (cache=redis with the first
    database only: its hits take no database session, so one engine tells what it costs), each
    release's for PostgreSQL; or the `--project` folders given."""
    if args.project:
        return [parse_project(spec) for spec in args.project]
    for stale in workdir.glob("service-*"):
        shutil.rmtree(stale, ignore_errors=True)  # a reused --workdir
    shutil.rmtree(workdir / "template", ignore_errors=True)
    source = snapshot_template(workdir / "template")
    projects = []
    for database in args.database:
        for cache in args.cache:
            if cache == "redis" and database != args.database[0]:
                continue
            project = Project(database, cache, workdir / f"service-{database}-{cache}")
            log(f"render {project.name}")
            render(source, project.path, answers(database, cache), vcs_ref=None)
            projects.append(project)
    for tag in args.release:
        ref = release_ref(tag)
        known = release_caches(ref)
        for cache in (cache for cache in args.cache if cache in known):
            project = Project(
                "postgresql", cache, workdir / f"service-postgresql-{cache}-{tag}", tag
            )
            log(f"render {project.name} (its own template, {ref[:10]})")
            render(REPO, project.path, answers("postgresql", cache), vcs_ref=ref)
            projects.append(project)
    for project in projects:
        log(f"uv sync in {project.path.name}")
        # Installed as the service's Dockerfile installs it: compiled (UV_COMPILE_BYTECODE=1),
        # or start-ups would measure the compiler; without the dev group, whose packages the
        # service would import when present (structlog imports rich, which schemathesis brings).
        run([uv, "sync", "--quiet", "--compile-bytecode", "--no-dev"], cwd=project.path, env=env)
    return projects


def git(*args: str) -> str:
    return run(["git", *args], cwd=REPO, env=os.environ)


def release_ref(version: str) -> str:
    """The commit of a release: its tag where the clone has it, else the commit titled
    `Release <version>` (clones do not always fetch tags; docs/content/releasing.md)."""
    tagged = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{version}^{{commit}}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if tagged.returncode == 0:
        return tagged.stdout.strip()
    for line in git("log", "--format=%H %s", "HEAD").splitlines():
        commit, _, subject = line.partition(" ")
        if subject == f"Release {version}" or subject.startswith(f"Release {version}:"):
            return commit
    raise fail(f"--release {version}: no such tag, and no commit titled 'Release {version}'")


def release_caches(ref: str) -> set[str]:
    """The cache answers a release's copier.yml offers."""
    import yaml  # Copier's own dependency

    choices = yaml.safe_load(git("show", f"{ref}:copier.yml"))["cache"]["choices"]
    return set(choices.values() if isinstance(choices, dict) else choices)


def parse_project(spec: str) -> Project:
    """`[DATABASE/]CACHE[@TAG]=DIR` (the database defaults to postgresql)."""
    label, _, directory = spec.partition("=")
    if not directory:
        raise fail(f"--project {spec!r}: expected [DATABASE/]CACHE[@TAG]=DIR")
    kind, _, tag = label.partition("@")
    database, _, cache = kind.rpartition("/")
    return Project(database or "postgresql", cache, Path(directory).resolve(), tag)


# --- The databases -----------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def sqlalchemy_url(engine: str, url: str) -> str:
    if engine == "postgresql":
        return re.sub(r"^postgresql://", "postgresql+asyncpg://", url)
    return re.sub(r"^mysql://", "mysql+asyncmy://", url) + "?charset=utf8mb4"


@dataclass
class Databases:
    """The bench's databases on one engine's server: a seeded original and, on PostgreSQL, a copy
    per target (so that PostgreSQL's counters of each copy are that target's alone). Reached
    through the engine's support script, run with a service's Python (it has the driver)."""

    engine: Engine
    python: Path
    prefix: str
    created: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return sqlalchemy_url(self.engine.name, with_database(self.engine.admin_url, name))

    def support(self, env: Mapping[str, str], *args: str | Path) -> str:
        environment = {**env, self.engine.admin_variable: self.engine.admin_url}
        return run([self.python, SAFE_PATH, self.engine.support, *args], cwd=HERE, env=environment)

    def create(self, env: Mapping[str, str], suffix: str, template: str | None = None) -> str:
        name = f"{self.prefix}_{suffix}"
        self.support(env, "create", name, *(["--template", template] if template else []))
        self.created.append(name)
        return name

    def drop_all(self, env: Mapping[str, str]) -> None:
        if self.created:
            self.support(env, "drop", *reversed(self.created))
            self.created.clear()

    def stats(self, env: Mapping[str, str], names: Sequence[str]) -> dict[str, dict[str, int]]:
        if self.engine.name != "postgresql" or not names:
            return {}
        data: dict[str, dict[str, int]] = json.loads(self.support(env, "stats", *names))
        return data


# --- Load --------------------------------------------------------------------------------------


@dataclass
class Result:
    phase: str  # "read", "live", "storm"
    target: str
    connections: int
    round: int
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    timeouts: int
    errors: int  # connect, read and write errors, and non-2xx answers
    cpu_ms: float  # CPU time of the server's process per request
    alive_after: bool  # answered /health/live right after the run

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    url: str, *, connections: int, seconds: float, threads: int, timeout: float, args: Sequence[str]
) -> dict[str, float]:
    command = [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={timeout:g}s",
        f"--script={LUA}",
        url,
        "--",
        *args,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    for line in output.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            figures: dict[str, float] = json.loads(line.removeprefix("BENCH_RESULT "))
            return figures
    raise fail(f"wrk printed no result ({output.returncode}):\n{output.stdout}{output.stderr}")


def result_of(
    phase: str, server: Server, connections: int, round_index: int, figures: Mapping[str, float]
) -> Result:
    requests = int(figures["requests"])
    errors = sum(
        figures[key] for key in ("connect_errors", "read_errors", "write_errors", "non_2xx")
    )
    return Result(
        phase=phase,
        target=server.name,
        connections=connections,
        round=round_index,
        requests=requests,
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        timeouts=int(figures["timeouts"]),
        errors=int(errors),
        cpu_ms=0.0,
        alive_after=True,
    )


# PostgreSQL publishes a busy backend's counters about once a second, an idle one's within 10 s.
STATS_SETTLE_SECONDS = 11.0
# What one `stats` call adds to a database's own counters (its connection and its queries).
STATS_OWN_SESSIONS, STATS_OWN_TRANSACTIONS = 1, 3


def db_delta(
    before: Mapping[str, int], after: Mapping[str, int], requests: int
) -> dict[str, float]:
    """Per request: transactions, index scans of users and items; and connections opened."""
    per = max(requests, 1)
    delta = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    transactions = delta.get("xact_commit", 0) + delta.get("xact_rollback", 0)
    return {
        "transactions": (transactions - STATS_OWN_TRANSACTIONS) / per,
        "users_scans": delta.get("users_idx_scan", 0) / per,
        "items_scans": delta.get("items_idx_scan", 0) / per,
        "connections_opened": float(delta.get("sessions", 0) - STATS_OWN_SESSIONS),
    }


def warm_cache(url: str, ids: Sequence[str], token: str, workers: int = 8) -> None:
    """Read every item once through the service (`workers` keep-alive connections)."""
    target = urllib.parse.urlsplit(url)

    def read(share: Sequence[str]) -> None:
        connection = HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
        try:
            for item_id in share:
                connection.request(
                    "GET", f"/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {token}"}
                )
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise fail(f"warming the cache: item {item_id} answered {response.status}")
        finally:
            connection.close()

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(read, [ids[start::workers] for start in range(workers)]))


def login(url: str) -> str:
    """An access token for the bench user, through the service's login endpoint."""
    form = urllib.parse.urlencode({"username": EMAIL, "password": PASSWORD}).encode()
    status, answer = http(
        "POST",
        url + "/api/v1/auth/login",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise fail(f"login answered {status}: {answer[:500]!r}")
    token: str = json.loads(answer)["access_token"]
    return token


# --- Figures -----------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass
class Row:
    """The runs of one target at one connection count of a phase, and their ratios to the
    baseline of the same round."""

    phase: str
    target: str
    baseline: str
    connections: int
    runs: list[Result]
    ratios: list[float]
    db: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return median([run.rate for run in self.runs])

    @property
    def ratio(self) -> float:
        return median(self.ratios)

    @property
    def p50(self) -> float:
        return median([run.p50_ms for run in self.runs])

    @property
    def p99(self) -> float:
        return median([run.p99_ms for run in self.runs])

    @property
    def timeouts(self) -> int:
        return sum(run.timeouts for run in self.runs)

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    @property
    def cpu_ms(self) -> float:
        return median([run.cpu_ms for run in self.runs])

    @property
    def spread(self) -> str:
        if self.target == self.baseline or not self.ratios:
            return ""
        return f"{min(self.ratios):.2f}-{max(self.ratios):.2f}"


def rows_of(
    results: Sequence[Result], phase: str, baselines: Baselines, counters: Counters
) -> list[Row]:
    found = []
    counts = sorted({r.connections for r in results if r.phase == phase})
    targets = list(dict.fromkeys(r.target for r in results if r.phase == phase))
    for count in counts:
        for target in targets:
            baseline = baselines[phase][target]
            base = {
                r.round: r.rate
                for r in results
                if r.phase == phase and r.target == baseline and r.connections == count
            }
            runs = [
                r
                for r in results
                if r.phase == phase and r.target == target and r.connections == count
            ]
            ratios = [r.rate / base[r.round] for r in runs if base.get(r.round)]
            if runs:
                db = counters.get((target, count), {})
                found.append(Row(phase, target, baseline, count, runs, ratios, db))
    return found


Counters = Mapping[tuple[str, int], dict[str, float]]
Baselines = Mapping[str, Mapping[str, str]]  # phase -> target -> the target it is compared with


@dataclass
class Goal:
    what: str
    target: str
    measured: str
    goal: str
    met: bool


@dataclass
class Figures:
    """Everything one run measured."""

    results: list[Result] = field(default_factory=list)
    counters: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    startup: dict[str, list[float]] = field(default_factory=dict)  # target -> seconds per start
    memory: dict[str, list[float]] = field(default_factory=dict)  # target -> RSS MiB samples
    bare_rss: float = 0.0  # the bare app's RSS MiB, for scale
    storm_logins: dict[str, Result] = field(default_factory=dict)  # target -> the logins' run
    load: list[tuple[str, float]] = field(default_factory=list)  # (when, 1-minute load)
    # The rate limiter's pairs: service with limits -> (its store, its twin without limits).
    limits: dict[str, tuple[str, str]] = field(default_factory=dict)


def goals(figures: Figures, baselines: Baselines, low: int, high: int) -> list[Goal]:
    found: list[Goal] = []
    reads = rows_of(figures.results, "read", baselines, figures.counters)
    by_key = {(row.target, row.connections): row for row in reads}
    for row in reads:
        if row.connections != low or row.target == row.baseline:
            continue
        cache = row.target.split("cache=")[1].split()[0]
        wanted = READ_RATIO.get(cache, 0.6)
        found.append(
            Goal(
                "item reads", row.target, f"{row.ratio:.2f}x", f">= {wanted}x", row.ratio >= wanted
            )
        )
        base = by_key.get((row.baseline, low))
        if base is not None:
            factor = row.p99 / base.p99 if base.p99 else 0.0
            found.append(
                Goal(
                    f"p99 at {low}",
                    row.target,
                    f"{row.p99:.0f} ms = {factor:.2f}x",
                    f"<= {P99_FACTOR}x {row.baseline}",
                    factor <= P99_FACTOR,
                )
            )
        found.append(
            Goal(f"timeouts at {low}", row.target, str(row.timeouts), "0", row.timeouts == 0)
        )
        busy = by_key.get((row.target, high))
        if busy is not None and high != low:
            answered = all(run.alive_after for run in busy.runs)
            enough = busy.rate >= LOCKUP_SHARE * row.rate
            found.append(
                Goal(
                    f"no lock-up at {high}",
                    row.target,
                    f"{busy.rate:.0f} req/s, {busy.timeouts} timeouts"
                    + ("" if answered else ", does NOT answer"),
                    f">= {LOCKUP_SHARE:.0%} of its rate at {low}, answers",
                    answered and enough,
                )
            )
    for row in rows_of(figures.results, "live", baselines, {}):
        if row.target != row.baseline and not row.target.endswith(LOGGED_PROBES):
            found.append(
                Goal(
                    "/health/live",
                    row.target,
                    f"{row.ratio:.2f}x",
                    f">= {LIVE_RATIO}x {BARE}",
                    row.ratio >= LIVE_RATIO,
                )
            )
    bare_start = median(figures.startup.get(BARE, []))
    for target, seconds in figures.startup.items():
        if target != BARE:
            started = median(seconds)
            versus = f" ({started / bare_start:.1f}x {BARE})" if bare_start else ""
            found.append(
                Goal(
                    "start-up to ready",
                    target,
                    f"{started:.2f} s{versus}",
                    f"<= {STARTUP_SECONDS} s",
                    started <= STARTUP_SECONDS,
                )
            )
    for target, samples in figures.memory.items():
        first, last = samples[0], samples[-1]
        growth = (last - first) / first if first else 0.0
        found.append(
            Goal(
                "RSS after the soak",
                target,
                f"{last:.0f} MB ({growth:+.0%})"
                + (f"; {BARE} {figures.bare_rss:.0f} MB" if figures.bare_rss else ""),
                f"<= {RSS_MB:.0f} MB, growth < {RSS_GROWTH:.0%}",
                last <= RSS_MB and growth < RSS_GROWTH,
            )
        )
    for row in rows_of(figures.results, "storm", baselines, {}):
        logins = figures.storm_logins.get(row.target)
        during = f", {logins.rate:.1f} logins/s" if logins else ""
        quiet = by_round(figures.results, "quiet", row.target).get(0)
        without = f" (without the storm: {quiet.p99_ms:.1f} ms)" if quiet else ""
        found.append(
            Goal(
                f"/health/live p99 during {STORM_LOGINS} logins",
                row.target,
                f"{row.p99:.1f} ms{without}{during}",
                f"<= {STORM_P99_MS:.0f} ms",
                row.p99 <= STORM_P99_MS,
            )
        )
    return found


def table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    """A Markdown table (also readable as plain text)."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]
    out = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
    return "\n".join(out)


def goals_table(found: Sequence[Goal]) -> str:
    lines = [
        [goal.what, goal.target, goal.measured, goal.goal, "yes" if goal.met else "**NO**"]
        for goal in found
    ]
    return table(["goal", "target", "measured", "wanted", "met"], lines)


def targets_table(figures: Figures, baselines: Baselines) -> str:
    lines = []
    for phase, what in (("read", "GET /api/v1/items/{id}"), ("live", "GET /health/live")):
        counters = figures.counters if phase == "read" else {}
        for row in rows_of(figures.results, phase, baselines, counters):
            ratio = "" if row.target == row.baseline else f"{row.ratio:.2f}x"
            db = row.db
            per_request = (
                f"{db['transactions']:.2f} / {db['users_scans']:.2f} / {db['items_scans']:.2f}"
                if db
                else ""
            )
            lines.append(
                [
                    what,
                    row.target,
                    str(row.connections),
                    f"{row.rate:.0f}",
                    ratio,
                    row.spread,
                    f"{row.p50:.1f} / {row.p99:.1f}",
                    str(row.timeouts),
                    str(row.errors),
                    f"{row.cpu_ms:.2f}",
                    per_request,
                ]
            )
    header = [
        "load",
        "target",
        "conns",
        "req/s",
        "ratio",
        "(range)",
        "p50 / p99 ms",
        "timeouts",
        "errors",
        "CPU ms/req",
        "xact / users / items per req",
    ]
    return table(header, lines)


def by_round(results: Sequence[Result], phase: str, target: str) -> dict[int, Result]:
    return {r.round: r for r in results if r.phase == phase and r.target == target}


def limits_table(figures: Figures) -> str:
    """Each store's rate limiter against the same service without limits, per load: the rates,
    p99s and CPU per request of both and, per round, the difference of CPU time per request (the
    limiter's cost: steadier than throughput on a shared machine)."""
    lines = []
    for with_limits, (store, without) in figures.limits.items():
        for phase, what in (("limits live", "GET /health/live"), ("limits read", "GET item")):
            on = by_round(figures.results, phase, with_limits)
            off = by_round(figures.results, phase, without)
            rounds = sorted(on.keys() & off.keys())
            if not rounds:
                continue
            extra = [1000 * (on[i].cpu_ms - off[i].cpu_ms) for i in rounds]
            ratios = [on[i].rate / off[i].rate for i in rounds if off[i].rate]
            lines.append(
                [
                    store,
                    what,
                    f"{median([r.rate for r in on.values()]):.0f} / "
                    f"{median([r.rate for r in off.values()]):.0f}",
                    f"{median(ratios):.2f}x",
                    f"{median([r.p99_ms for r in on.values()]):.1f} / "
                    f"{median([r.p99_ms for r in off.values()]):.1f}",
                    f"{1000 * median([r.cpu_ms for r in on.values()]):.0f} / "
                    f"{1000 * median([r.cpu_ms for r in off.values()]):.0f}",
                    f"{median(extra):+.0f} ({min(extra):+.0f} to {max(extra):+.0f})",
                ]
            )
    header = [
        "limits' store",
        "load",
        "req/s with / without",
        "ratio",
        "p99 ms with / without",
        "CPU µs/req with / without",
        "limiter µs/req (range)",
    ]
    return table(header, lines)


def goals_verdict(found: Sequence[Goal]) -> str:
    """`N of M goals met`, and the missed ones by goal: `missed: /health/live (a, b); …`."""
    missed: dict[str, list[str]] = {}
    for goal in found:
        if not goal.met:
            missed.setdefault(goal.what, []).append(goal.target)
    met = sum(goal.met for goal in found)
    if not missed:
        return f"{met} of {len(found)} goals met."
    by_goal = "; ".join(f"{what} ({', '.join(targets)})" for what, targets in missed.items())
    return f"{met} of {len(found)} goals met; missed: {by_goal}."


def markdown(
    found: Sequence[Goal],
    figures: Figures,
    baselines: Baselines,
    run_info: Sequence[str],
    image: str,
) -> str:
    verdict = goals_verdict(found)
    lines = [
        "# Benchmarks",
        "",
        "How fast a generated service (`auth=jwt`) serves, next to the smallest FastAPI apps "
        "that do the same work on the same machine. This page is written by the template's "
        "benchmark suite (`uv run nox -s bench`); how the suite works: "
        "[Testing the template](testing.md#service-benchmark-suite); why a goal is missed and "
        "what was tried: [the passes of the suite](testing.md#latest-pass).",
        "",
        "## What was measured",
        "",
        "- **The services**: `auth=jwt` with each database and cache answer, served by "
        "`python -m <package> serve --workers 1` in production mode (JSON access log; a probe "
        "that succeeds is not logged, as deployed; rate limits on with quotas far above the "
        "load), each on a database of its own seeded with the same items.",
        "- **The baselines**: *raw asyncpg* and *raw asyncmy*, FastAPI apps with one "
        "`SELECT … WHERE id` on the driver's own pool and the service's JSON shape, nothing "
        "else (no token, user check, ORM, middleware or log); *bare FastAPI*, a plain app with "
        "the same `/health/live` route. Same Python, uvicorn, event loop (asyncio's own, as "
        "the service's `serve`) and worker count.",
        "- **The loads** ([wrk](https://github.com/wg/wrk)): authenticated "
        "`GET /api/v1/items/{id}` of random items (a caching service has read every item once "
        "before its first run, and keeps them: `CACHE_TTL_SECONDS=7200`); `GET /health/live`, "
        f"and on the first service with `LOG_PROBES=true` (*{LOGGED_PROBES.strip(', ')}*: what "
        "every request pays besides its route, its access line included; not a goal); "
        "`/health/live` while 32 clients sign in without a pause (argon2 hashing); the resident "
        "memory before and after a soak of item reads; the time from a fresh process to its "
        "first 200 from `/health/ready`; the rate limiter's cost, against the same service "
        "with `RATE_LIMIT_ENABLED=false`.",
        "- **Only ratios within one run count.** The targets take turns, their order rotating "
        "every round, so that the machine's noise hits all of them alike; absolute figures move "
        "with the machine and its load.",
        "",
        *[f"- {line}" for line in run_info],
        "",
        "## Goals",
        "",
        verdict,
        "",
        goals_table(found),
        "",
        "## Throughput and latency",
        "",
        f"![Throughput and p99 latency of every target]({image})",
        "",
        "## Every target",
        "",
        "Medians over the rounds; ratio: to the target's baseline in the same round (range: "
        "over the rounds, the machine's noise); CPU ms/req: the server process's CPU time per "
        "request, steadier than throughput when other work shares the machine; xact / users / "
        "items: PostgreSQL's transactions and index scans of the two tables per request.",
        "",
        targets_table(figures, baselines),
        "",
    ]
    if figures.limits:
        lines += [
            "## Rate limiter overhead",
            "",
            "Each store's service against a twin with `RATE_LIMIT_ENABLED=false`, the same load "
            "on both, interleaved. The API's quota counts requests under `/api/v1` only: on "
            "`/health/live` the limiter only passes the request on; an item read takes one count "
            "(in the process with `cache=memory` or `none`, one Redis round trip with "
            "`cache=redis`). The limiter's cost is the difference of CPU time per request.",
            "",
            limits_table(figures),
            "",
        ]
    return "\n".join(lines)


def plot(figures: Figures, baselines: Baselines, path: Path, low: int) -> bool:
    """Throughput and p99 per target at the lowest connection count, as a PNG. False without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [
        row
        for phase in ("read", "live")
        for row in rows_of(figures.results, phase, baselines, {})
        if row.connections == low
    ]
    labels = [f"{row.target}\n({'items' if row.phase == 'read' else 'live'})" for row in rows]
    figure, (throughput, latency) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    colours = ["#888888" if row.target == row.baseline else "#2a7ab9" for row in rows]
    throughput.bar(labels, [row.rate for row in rows], color=colours)
    throughput.set_ylabel("requests per second")
    throughput.set_title(f"{low} connections, one uvicorn worker (grey: baselines)")
    latency.bar(labels, [row.p99 for row in rows], color=colours)
    latency.set_ylabel("p99 latency, ms")
    latency.tick_params(axis="x", labelrotation=60, labelsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return True


# --- The suite ---------------------------------------------------------------------------------


@contextlib.contextmanager
def workspace(keep: bool, given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    path = Path(tempfile.mkdtemp(prefix="bench-suite-"))
    try:
        yield path
    finally:
        if keep:
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def default_threads() -> int:
    # With two threads on a machine of two cores, wrk made its own timeouts (issue 15).
    return 1 if (os.cpu_count() or 1) <= 2 else 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The generated service served for real, next to minimal apps.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--database", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument(
        "--cache",
        nargs="+",
        default=["memory", "none", "redis"],
        choices=["memory", "none", "redis"],
        help="cache answers (redis: with the first database only)",
    )
    parser.add_argument(
        "--release",
        nargs="*",
        default=[],
        metavar="VERSION",
        help="releases whose PostgreSQL services to add, e.g. 0.1.0 (a tag or a 'Release' commit)",
    )
    parser.add_argument("--connections", nargs="+", type=int, default=[64, 256])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed load first")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every run")
    parser.add_argument("--items", type=int, default=10_000, help="items in the table")
    parser.add_argument("--threads", type=int, default=default_threads(), help="wrk threads")
    parser.add_argument("--timeout", type=float, default=2.0, help="wrk's request timeout (s)")
    parser.add_argument("--starts", type=int, default=5, help="timed start-ups of each target")
    parser.add_argument("--soak", type=float, default=60.0, help="seconds of load for the RSS")
    parser.add_argument("--storm", type=float, default=15.0, help="seconds of the login storm")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=PHASES,
        default=list(PHASES),
        help="phases to run",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy each service once more")
    parser.add_argument(
        "--warm-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read every item once through a caching service before its first run",
    )
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="[DATABASE/]CACHE[@TAG]=DIR",
        help="use already rendered and synced projects instead of rendering (repeatable), e.g. "
        "memory@before=DIR or mysql/none=DIR",
    )
    parser.add_argument("--workdir", type=Path, help="work folder [a temporary one]")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument(
        "--markdown", type=Path, default=DOCS / "benchmarks.md", help="the Markdown page written"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        default=DOCS / "images" / "benchmarks.png",
        help="the PNG plot written",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="write neither the Markdown page nor the plot"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    return parser.parse_args(argv)


def check_prerequisites(databases: Sequence[str], caches: Sequence[str]) -> None:
    if shutil.which("wrk") is None:
        raise fail(
            "wrk is not installed; it generates the load. `uv run nox -s bench` installs it "
            "where it can (as root, with apt-get); otherwise install it from your system's "
            "packages (Debian/Ubuntu: `sudo apt-get install wrk`, macOS: `brew install wrk`)."
        )
    servers = [
        (name, ENGINES[name].admin_url, f"set {ENGINES[name].admin_variable}", "--database")
        for name in databases
    ]
    if "redis" in caches:
        servers.append(("Redis", redis_url(), f"set {REDIS_VARIABLE}", "--cache"))
    for name, url, setting, option in servers:
        parts = urllib.parse.urlsplit(url)
        address = (parts.hostname or "127.0.0.1", parts.port or DEFAULT_PORTS[parts.scheme])
        try:
            socket.create_connection(address, timeout=3).close()
        except OSError as error:
            raise fail(
                f"{name} is not reachable at {address[0]}:{address[1]} ({error}): start it, or "
                f"{setting}, or leave it out with {option}"
            ) from None


DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "redis": 6379}


def load_average() -> float:
    with contextlib.suppress(OSError):
        return float(Path("/proc/loadavg").read_text().split()[0])
    return 0.0


class Suite:
    """One run: projects, databases, servers, phases, report; everything it started, it stops."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.uv = find_uv()
        self.env = environment.step_environment({})
        # The servers write the bytecode of the service's own modules, as a deployed one has it.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.logs = workdir / "logs"
        self.logs.mkdir(exist_ok=True)
        self.projects: list[Project] = []
        self.servers: list[Server] = []
        self.databases: dict[str, Databases] = {}
        self.database_of: dict[str, str] = {}  # target -> its PostgreSQL database (counters)
        self.service_env: dict[str, str] = {}
        self.ids: dict[str, Path] = {}  # engine -> ids file
        self.figures = Figures()
        self.warmed: set[str] = set()  # caching services that have read every item
        self.prefix = "bench_" + secrets.token_hex(5)
        self.redis_prefix = f"{self.prefix}:"

    # -- set-up

    def prepare(self) -> None:
        self.projects = render_projects(self.args, self.workdir, self.uv, self.env)
        self.service_env = {
            **self.env,
            "ENVIRONMENT": "production",
            "ALLOWED_HOSTS": "127.0.0.1",  # production refuses to answer any Host
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ACCESS_TOKEN_EXPIRE_MINUTES": "720",  # outlives the run
            "CACHE_TTL_SECONDS": "7200",  # so do the cached items (warm_cache)
            # The limits stay on (their cost is the service's), far above what one client sends.
            "RATE_LIMIT_API": "1000000/minute",
            "RATE_LIMIT_LOGIN_PER_ADDRESS": "1000000/minute",
            "RATE_LIMIT_LOGIN_PER_ACCOUNT": "1000000/minute",
        }
        for name in dict.fromkeys(project.database for project in self.projects):
            self.prepare_engine(ENGINES[name])
        if {"live", "memory", "startup", "storm"} & set(self.args.only):
            python = self.projects[0].python
            self.servers.append(
                Server(
                    BARE,
                    [str(python), SAFE_PATH, str(HERE / "bare_fastapi.py"), "--port", "{port}"],
                    HERE,
                    dict(self.env),
                    self.logs / "bare.log",
                )
            )
        for server in self.servers:
            server.start()
        for server in self.servers:
            server.wait_ready()
        for server in self.servers:
            if server.project is not None:
                server.token = login(server.url)
        log(f"load average after set-up: {load_average():.2f}")

    def prepare_engine(self, engine: Engine) -> None:
        projects = [project for project in self.projects if project.database == engine.name]
        first = projects[0]
        databases = self.databases[engine.name] = Databases(engine, first.python, self.prefix)
        original = databases.create(self.env, "seed")
        setup_env = {**self.service_env, "DATABASE_URL": databases.url(original)}
        run([first.python, "-m", PACKAGE, "migrate"], cwd=first.path, env=setup_env)
        create_user = ["-m", PACKAGE, "create-admin", "--email", EMAIL, "--password", PASSWORD]
        run([first.python, *create_user], cwd=first.path, env=setup_env)
        ids = self.ids[engine.name] = self.workdir / f"ids-{engine.name}.txt"
        databases.support(self.env, "seed", original, EMAIL, str(self.args.items), ids)
        log(f"{engine.name}: databases {self.prefix}_*, {self.args.items} items")

        def database_for(target: str) -> str:
            if engine.name != "postgresql":
                return original  # MySQL copies no database: every target reads the original
            suffix = re.sub(r"[^a-z0-9_]", "_", target.lower())
            copy = databases.create(self.env, suffix, template=original)
            self.database_of[target] = copy
            return copy

        pool_size = 10  # the services' DATABASE_POOL_SIZE default, in both releases
        baseline_db = database_for(engine.baseline)
        baseline_env = {
            **self.env,
            engine.admin_variable: engine.admin_url,
            "BENCH_POOL_SIZE": str(pool_size),
            "BENCH_DATABASE_URL": with_database(engine.admin_url, baseline_db),
            "BENCH_DATABASE": baseline_db,
        }
        self.servers.append(
            Server(
                engine.baseline,
                [str(first.python), SAFE_PATH, str(engine.support), "serve", "--port", "{port}"],
                HERE,
                baseline_env,
                self.logs / f"{engine.baseline.replace(' ', '-')}.log",
                engine=engine.name,
            )
        )
        serve = [
            "-m",
            PACKAGE,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            "1",
        ]
        for project in projects:
            database = database_for(project.name)
            slug = re.sub(r"[^a-z0-9]+", "-", project.name.lower()).strip("-")
            self.servers.append(
                Server(
                    project.name,
                    [str(project.python), *serve],
                    project.path,
                    {
                        **self.service_env,
                        "DATABASE_URL": databases.url(database),
                        **self.redis_env(project),
                    },
                    self.logs / f"{slug}.log",
                    engine=engine.name,
                    project=project,
                    ready_path="/health/ready",
                )
            )

    def redis_env(self, project: Project) -> dict[str, str]:
        """A cache=redis service's server, and the run's key prefix (deleted at the end)."""
        if project.cache != "redis":
            return {}
        return {"REDIS_URL": redis_url(), "REDIS_KEY_PREFIX": self.redis_prefix}

    def baselines(self) -> dict[str, dict[str, str]]:
        """Item reads are compared with the engine's raw app, liveness with the bare app."""
        read = {server.name: ENGINES[server.engine].baseline for server in self.readers()}
        live = {server.name: BARE for server in self.services()} | {BARE: BARE}
        live |= {f"{server.name}{LOGGED_PROBES}": BARE for server in self.services()}
        return {"read": read, "live": live, "storm": live}

    def readers(self) -> list[Server]:
        return [server for server in self.servers if server.engine]

    def services(self) -> list[Server]:
        return [server for server in self.servers if server.project is not None]

    def load(
        self, server: Server, connections: int, seconds: float, *arguments: str
    ) -> dict[str, float]:
        if not arguments:
            arguments = ("items", str(self.ids[server.engine]), server.token)
        return wrk(
            server.url,
            connections=connections,
            seconds=seconds,
            threads=self.args.threads,
            timeout=self.args.timeout,
            args=arguments,
        )

    def measure(
        self, phase: str, server: Server, connections: int, round_index: int, *arguments: str
    ) -> Result:
        cpu = server.cpu_seconds()
        figures = self.load(server, connections, self.args.duration, *arguments)
        result = result_of(phase, server, connections, round_index, figures)
        result.cpu_ms = 1000 * (server.cpu_seconds() - cpu) / max(result.requests, 1)
        result.alive_after = server.alive()
        self.figures.results.append(result)
        log(
            f"{phase:<5} c={connections:<4} round {round_index + 1}  {server.name:<34} "
            f"{result.rate:7.0f} req/s  p99 {result.p99_ms:7.1f} ms  timeouts {result.timeouts}  "
            f"errors {result.errors}  cpu {result.cpu_ms:.2f} ms/req"
        )
        return result

    def interleaved(self, targets: Sequence[Server], each: Callable[[Server, int], object]) -> None:
        for round_index in range(self.args.rounds):
            shift = round_index % len(targets)
            for server in [*targets[shift:], *targets[:shift]]:
                each(server, round_index)

    def note_load(self, when: str) -> None:
        self.figures.load.append((when, load_average()))

    # -- phases

    def phase_read(self) -> None:
        targets = self.readers()
        for server in targets:
            log(f"warm-up {server.name}")
            self.load(server, min(self.args.connections), self.args.warmup)
            self.warm_cache(server)  # before the counters are read: they count the runs alone
        databases = self.databases.get("postgresql")
        names = list(self.database_of.values())
        before = self.counters(databases, names)
        for connections in self.args.connections:

            def read(server: Server, round_index: int, connections: int = connections) -> None:
                self.measure("read", server, connections, round_index)

            self.interleaved(targets, read)
            after = self.counters(databases, names)
            for target, name in self.database_of.items():
                requests = sum(
                    r.requests
                    for r in self.figures.results
                    if r.phase == "read" and r.target == target and r.connections == connections
                )
                if name in before and name in after:
                    self.figures.counters[(target, connections)] = db_delta(
                        before[name], after[name], requests
                    )
            before = after

    def counters(
        self, databases: Databases | None, names: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Every target database's counters, once PostgreSQL has published them all."""
        if databases is None or not names:
            return {}
        time.sleep(STATS_SETTLE_SECONDS)
        return databases.stats(self.env, names)

    def warm_cache(self, server: Server) -> None:
        """Once per caching service, before its first run: every item read once, as a service
        that has served this load for a while has them. Entries outlive the run
        (CACHE_TTL_SECONDS): the targets take turns, and with the default minute a cache would
        go cold while the others run."""
        if server.project is None or server.project.cache == "none" or not self.args.warm_cache:
            return
        if server.name in self.warmed:
            return
        warm_cache(server.url, self.ids[server.engine].read_text().split(), server.token)
        self.warmed.add(server.name)

    def bare(self) -> Server | None:
        return next((server for server in self.servers if server.name == BARE), None)

    def phase_live(self) -> None:
        """The probe as deployed on every service, and on a twin of the first one that logs it."""
        bare = self.bare()
        assert bare is not None  # started for this phase (prepare)
        first = self.services()[0]
        logged = self.twin(first, LOGGED_PROBES, {"LOG_PROBES": "true"})
        targets = [bare, *self.services(), logged]
        connections = min(self.args.connections)

        def live(server: Server, round_index: int) -> None:
            self.measure("live", server, connections, round_index, "get", "/health/live")

        try:
            logged.start()
            logged.wait_ready()
            for server in targets:
                self.load(server, connections, self.args.warmup, "get", "/health/live")
            self.interleaved(targets, live)
        finally:
            logged.stop()

    def phase_limits(self) -> None:
        """The rate limiter's cost per request: the service of each store (cache=memory: counts
        in the process; cache=redis: in Redis, one round trip) against a twin of it with
        RATE_LIMIT_ENABLED=false, on `/health/live` (never limited: the limiter only passes it
        on) and on item reads (each one counts against the client's API quota)."""
        stores = {"memory": "in-process", "redis": "Redis"}
        engine = self.projects[0].database
        pairs = [
            (server, self.twin(server, ", no limits", {"RATE_LIMIT_ENABLED": "false"}))
            for server in self.services()
            if server.project is not None
            and not server.project.tag
            and server.project.database == engine
            and server.project.cache in stores
        ]
        connections = min(self.args.connections)

        def live(server: Server, round_index: int) -> None:
            arguments = ("get", "/health/live")
            self.measure("limits live", server, connections, round_index, *arguments)

        def read(server: Server, round_index: int) -> None:
            self.warm_cache(server)
            self.measure("limits read", server, connections, round_index)

        try:
            for _, twin in pairs:
                twin.start()
            for _, twin in pairs:
                twin.wait_ready()
                twin.token = login(twin.url)
            for on, off in pairs:
                assert on.project is not None
                self.figures.limits[on.name] = (stores[on.project.cache], off.name)
                for server in (on, off):
                    self.load(server, connections, self.args.warmup, "get", "/health/live")
                self.interleaved([on, off], live)
                self.interleaved([on, off], read)
        finally:
            for _, twin in pairs:
                twin.stop()

    def twin(self, server: Server, suffix: str, settings: dict[str, str]) -> Server:
        """Another server of the same service, with some settings of its own."""
        return Server(
            f"{server.name}{suffix}",
            server.command,
            server.cwd,
            {**server.env, **settings},
            server.log_path.with_suffix(f".{suffix.strip(', ').replace(' ', '-')}.log"),
            engine=server.engine,
            project=server.project,
            ready_path=server.ready_path,
        )

    def phase_startup(self) -> None:
        """Fresh processes of the bare app and of each service, `--starts` times, interleaved;
        the first start of each is not counted (it writes Python's bytecode caches)."""
        templates = [
            server for server in self.servers if server.project is not None or server.name == BARE
        ]
        for server in templates:
            self.start_once(server)
        for _ in range(self.args.starts):
            for server in templates:
                seconds = self.start_once(server)
                self.figures.startup.setdefault(server.name, []).append(seconds)
                log(f"start-up {server.name:<34} {seconds:.3f} s")

    def start_once(self, template: Server) -> float:
        server = Server(
            template.name,
            template.command,
            template.cwd,
            template.env,
            template.log_path.with_suffix(".starts.log"),
            ready_path=template.ready_path,
        )
        started = time.perf_counter()
        server.start()
        try:
            server.wait_ready(poll=0.005)
            return time.perf_counter() - started
        finally:
            server.stop()

    def phase_memory(self) -> None:
        """RSS of each service before and during `--soak` s of item reads at the lowest
        connection count, sampled every second; the bare app's, for scale."""
        connections = min(self.args.connections)
        bare = self.bare()
        if bare is not None:
            self.figures.bare_rss = bare.rss_mb()
        for server in self.services():
            self.warm_cache(server)
            samples = [server.rss_mb()]
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                running = pool.submit(self.load, server, connections, self.args.soak)
                while not running.done():
                    time.sleep(1.0)
                    samples.append(server.rss_mb())
                running.result()
            samples.append(server.rss_mb())
            self.figures.memory[server.name] = samples
            log(f"memory {server.name:<34} {samples[0]:.1f} -> {samples[-1]:.1f} MiB")

    def phase_storm(self) -> None:
        """`/health/live` at STORM_PROBES connections while STORM_LOGINS clients sign in, and
        the same probes just before without them (what the machine gives without a storm)."""
        probe = functools.partial(
            wrk,
            connections=STORM_PROBES,
            seconds=self.args.storm,
            threads=1,
            timeout=self.args.timeout,
            args=("get", "/health/live"),
        )
        for server in self.services():
            if server.project is not None and server.project.cache != self.args.cache[0]:
                continue  # the logins do not read the cache: one service per release will do
            quiet = result_of("quiet", server, STORM_PROBES, 0, probe(server.url))
            self.figures.results.append(quiet)
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                logins = pool.submit(
                    wrk,
                    server.url,
                    connections=STORM_LOGINS,
                    seconds=self.args.storm + 2,
                    threads=1,
                    timeout=30.0,
                    args=("login", EMAIL, PASSWORD),
                )
                time.sleep(1.0)  # the storm is on
                probes = result_of("storm", server, STORM_PROBES, 0, probe(server.url))
                storm = result_of("logins", server, STORM_LOGINS, 0, logins.result())
            self.figures.results.append(probes)
            self.figures.storm_logins[server.name] = storm
            self.settle(server)
            log(
                f"storm {server.name:<34} /health/live p99 {probes.p99_ms:.1f} ms (without the "
                f"storm {quiet.p99_ms:.1f} ms); logins {storm.rate:.1f}/s, p99 "
                f"{storm.p99_ms:.0f} ms, non-2xx/errors {storm.errors}"
            )

    def settle(self, server: Server, limit: float = 60.0) -> None:
        """Wait until the server is idle: the sign-ins it queued go on hashing after the clients
        have gone, and would load the machine for whatever is measured next (the start-ups)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            used = server.cpu_seconds()
            time.sleep(0.5)
            if server.cpu_seconds() - used < 0.05:
                return
        log(f"{server.name} still busy {limit:.0f} s after the storm")

    def profile(self) -> None:
        """py-spy on each service during item reads, and on the first one during `/health/live`
        (what every request pays besides its route and its access line)."""
        connections = min(self.args.connections)
        runs: list[tuple[Server, str, tuple[str, ...]]]
        runs = [(server, "items", ()) for server in self.services()]
        runs += [(server, "live", ("get", "/health/live")) for server in self.services()[:1]]
        for server, what, arguments in runs:
            assert server.project is not None and server.process is not None
            self.warm_cache(server)
            raw = server.log_path.with_suffix(f".profile-{what}.txt")
            seconds = self.args.duration
            profiling.profile_target(
                server.process.pid,
                server.project.python,
                raw,
                seconds,
                functools.partial(self.load, server, connections, seconds + 2, *arguments),
                lambda command: run([self.uv, *command], cwd=REPO, env=self.env),
            )
            print(f"\nProfile of {server.name}, {what}, at {connections} connections ({raw}):")
            print(profiling.profile_summary(raw))

    def run_phases(self) -> None:
        self.note_load("start")
        for phase in PHASES:
            if phase in self.args.only:
                log(f"phase {phase} (load average {load_average():.2f})")
                getattr(self, f"phase_{phase}")()
                self.note_load(f"after {phase}")

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        for databases in self.databases.values():
            databases.drop_all(self.env)
        redis_projects = [project for project in self.projects if project.cache == "redis"]
        if redis_projects:
            deleted = run(
                [
                    redis_projects[0].python,
                    SAFE_PATH,
                    HERE / "redis_keys.py",
                    "delete",
                    self.redis_prefix,
                ],
                cwd=HERE,
                env={**self.env, REDIS_VARIABLE: redis_url()},
            )
            log(f"deleted {deleted.strip()} Redis keys {self.redis_prefix}*")

    # -- report

    def report(self) -> bool:
        baselines = self.baselines()
        low, high = min(self.args.connections), max(self.args.connections)
        found = goals(self.figures, baselines, low, high)
        info = self.run_info()
        print()
        print("\n".join(info))
        print()
        print(goals_table(found))
        print()
        print(targets_table(self.figures, baselines))
        if self.figures.limits:
            print()
            print(limits_table(self.figures))
        if not self.args.no_write:
            image = os.path.relpath(self.args.plot, self.args.markdown.parent)
            page = markdown(found, self.figures, baselines, info, image)
            self.args.markdown.write_text(page, encoding="utf-8")
            log(f"wrote {self.args.markdown}")
            if plot(self.figures, baselines, self.args.plot, low):
                log(f"wrote {self.args.plot}")
            else:
                log("no plot: matplotlib is missing (uv run --group bench …)")
        if self.args.json:
            data = {
                "results": [asdict(r) | {"rate": r.rate} for r in self.figures.results],
                "startup": self.figures.startup,
                "memory": self.figures.memory,
                "goals": [asdict(goal) for goal in found],
            }
            self.args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return all(goal.met for goal in found)

    def run_info(self) -> list[str]:
        """When, on what and how: one line each."""
        commit = git("rev-parse", "--short", "HEAD").strip()
        dirty = git("status", "--porcelain", "template").strip()
        loads = ", ".join(f"{value:.2f} {when}" for when, value in self.figures.load)
        args = self.args
        return [
            f"**Run**: {datetime.date.today():%d %B %Y}, template at {commit}"
            + (" with uncommitted changes" if dirty else ""),
            f"**Machine**: {machine()}; services on Python {python_version(self.projects[0])}",
            f"**Load average** (1 min, other work on the machine included): {loads}",
            f"**Settings**: wrk with {args.threads} thread(s) and a {args.timeout:g} s timeout; "
            f"{args.rounds} rounds of {args.duration:g} s per target and connection count; "
            f"{args.items} items; start-up: median of {args.starts} starts; soak {args.soak:g} s; "
            f"login storm {args.storm:g} s",
        ]


def machine() -> str:
    """The CPU, its cores, the memory and the kernel (Linux /proc; less elsewhere)."""
    model = platform.processor() or platform.machine()
    memory = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 2**20:.0f} GiB of memory"
                break
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


def python_version(project: Project) -> str:
    config = project.path / ".venv" / "pyvenv.cfg"
    for line in config.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return value.strip()
    return "?"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    projects = [parse_project(spec) for spec in args.project]
    if projects:
        check_prerequisites(
            sorted({project.database for project in projects}),
            [project.cache for project in projects],
        )
    else:
        check_prerequisites(args.database, args.cache)
    with workspace(args.keep, args.workdir) as workdir:
        suite = Suite(args, workdir)
        try:
            suite.prepare()
            suite.run_phases()
            met = suite.report()
            if args.profile:
                suite.profile()
        finally:
            suite.close()
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
