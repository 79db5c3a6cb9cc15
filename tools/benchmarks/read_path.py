"""Read-path benchmark: the generated service's authenticated `GET /api/v1/items/{id}` next to a
minimal raw-asyncpg app reading the same table, in the same run.

    uv run nox -s bench [-- OPTIONS]        or    uv run python tools/benchmarks/read_path.py

It renders the `database=postgresql auth=jwt` service once per `--cache` answer (default: memory
and none) from the work tree as it is, runs `uv sync` in each, creates a database of its own on
the local PostgreSQL (`bench_<random>`, dropped at the end), runs the service's `migrate`,
registers a user and logs in through the service's API, and inserts `--items` items owned by that
user. Then it serves every service with `python -m bench_service serve --workers 1` in production
mode (JSON access log to a file), and the baseline (tools/benchmarks/raw_asyncpg.py: FastAPI, one
`SELECT … WHERE id = $1` on an asyncpg pool as large as the service's pool can grow) on the same
uvicorn, Python and worker count. wrk (tools/benchmarks/read_path.lua) drives each in turn with
random item ids and the bearer token, at every `--connections` count, for `--rounds` interleaved
rounds (the order rotates each round, so drift on a shared machine hits all alike).

It prints, per target and connection count: median throughput, its ratio to the baseline's
throughput of the same round (median over rounds and the range, which shows the noise), p50/p99
latency, timeouts and errors, and what the database saw per request (transactions, index scans on
users and items, connections opened), then the targets: >= 0.6x the baseline, p99 <= 100 ms and
no timeout at 64 connections, no lock-up at 256 (the service still answers and serves at least
half of its 64-connection throughput). It is a measurement, not a test: the exit code says only
whether it ran, unless `--check` asks it to fail on a missed target.

`--profile` samples each service with py-spy (installed into its virtualenv from PyPI) during one
more run at the first connection count and prints where the time goes; the raw profiles stay in
the work folder (kept with `--keep`). Needs: wrk (`apt-get install wrk`), PostgreSQL at
BENCH_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres), uv.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import json
import os
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
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from http.client import HTTPConnection
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
if str(REPO) not in sys.path:  # run as a script: make the repository's `tools` importable
    sys.path.insert(0, str(REPO))

from tools.matrix import environment  # noqa: E402
from tools.matrix.runner import find_uv, render, snapshot_template  # noqa: E402

PACKAGE = "bench_service"
PROJECT_NAME = "Bench Service"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-1"  # a throwaway user of a throwaway database
BASELINE = "raw asyncpg"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LUA = HERE / "read_path.lua"
SUPPORT = HERE / "raw_asyncpg.py"

TARGET_RATIO = 0.6
TARGET_P99_MS = 100.0
LOCKUP_SHARE = 0.5  # at the highest connection count, at least this share of the 64-conn rate


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def fail(message: str) -> SystemExit:
    return SystemExit(f"read-path benchmark: {message}")


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


@dataclass
class Server:
    """One HTTP server this script started (in a session of its own) and stops again."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    project: Project | None = None  # None: the baseline
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

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise fail(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError):
                if http("GET", self.url + path, timeout=2.0)[0] == 200:
                    return
            time.sleep(0.25)
        raise fail(f"{self.name} did not answer {path} within {timeout:.0f} s:\n{self.tail()}")

    def alive(self, timeout: float = 2.0) -> bool:
        try:
            return http("GET", self.url + "/health/live", timeout=timeout)[0] == 200
        except OSError:
            return False

    def cpu_seconds(self) -> float:
        """User + system CPU time the server's process has used so far (Linux /proc)."""
        if self.process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


# --- The projects ------------------------------------------------------------------------------


@dataclass
class Project:
    """A rendered service (one `cache` answer) with its synced virtualenv. The label is the cache
    answer, optionally tagged (`memory@before`) to tell two renders of one answer apart."""

    label: str
    path: Path

    @property
    def cache(self) -> str:
        return self.label.partition("@")[0]

    @property
    def name(self) -> str:
        return f"service cache={self.label}"

    @property
    def python(self) -> Path:
        return self.path / ".venv" / "bin" / "python"


def check_postgresql_choice() -> None:
    from tests.helpers import copier_config

    choices = copier_config().get("database", {}).get("choices", {})
    values = choices.values() if isinstance(choices, dict) else choices
    if "postgresql" not in values:
        raise fail("copier.yml has no `database: postgresql` choice yet: nothing to benchmark")


def render_projects(
    caches: Sequence[str], workdir: Path, uv: str, env: Mapping[str, str]
) -> list[Project]:
    check_postgresql_choice()
    for stale in (workdir / "template", *(workdir / f"service-{cache}" for cache in caches)):
        shutil.rmtree(stale, ignore_errors=True)  # a reused --workdir
    source = snapshot_template(workdir / "template")
    projects = []
    for cache in caches:
        path = workdir / f"service-{cache}"
        log(f"render database=postgresql auth=jwt cache={cache}")
        answers = {
            "project_name": PROJECT_NAME,
            "project_slug": "bench-service",
            "package_name": PACKAGE,
            "auth": "jwt",
            "database": "postgresql",
            "cache": cache,
        }
        render(source, path, answers, vcs_ref=None)
        projects.append(Project(cache, path))
    for project in projects:
        log(f"uv sync in {project.path.name}")
        run([uv, "sync", "--quiet"], cwd=project.path, env=env)
    return projects


def pool_capacity(project: Project, env: Mapping[str, str]) -> int:
    """How many connections the service's pool can hold at once (pool size + overflow)."""
    code = (
        f"from {PACKAGE}.core.config import Settings\n"
        f"from {PACKAGE}.db.engine import Database\n"
        "pool = Database(Settings()).engine.pool\n"
        "print(pool.size() + max(getattr(pool, '_max_overflow', 0), 0))\n"
    )
    return int(run([project.python, "-c", code], cwd=project.path, env=env).strip())


# --- The database ------------------------------------------------------------------------------


def plain_url(url: str) -> str:
    """A libpq URL (asyncpg's) from a SQLAlchemy one: `postgresql+asyncpg://` -> `postgresql://`."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@dataclass
class Databases:
    """The bench's databases: one seeded original and a copy per target (so PostgreSQL's counters
    of each copy are that target's alone), reached through the support script, which runs in a
    service's virtualenv (it has asyncpg)."""

    python: Path
    admin_url: str
    prefix: str = field(default_factory=lambda: "bench_" + secrets.token_hex(5))
    created: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return with_database(self.admin_url, name)

    def sqlalchemy_url(self, name: str) -> str:
        return re.sub(r"^postgresql://", "postgresql+asyncpg://", self.url(name))

    def support(self, env: Mapping[str, str], *args: str | Path) -> str:
        return run(
            [self.python, SUPPORT, *args], cwd=HERE, env={**env, "BENCH_ADMIN_URL": self.admin_url}
        )

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
        data: dict[str, dict[str, int]] = json.loads(self.support(env, "stats", *names))
        return data


# --- Load --------------------------------------------------------------------------------------


@dataclass
class Result:
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
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int,
    timeout: float,
    ids_file: Path,
    token: str,
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
        str(ids_file),
        token,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    for line in output.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            figures: dict[str, float] = json.loads(line.removeprefix("BENCH_RESULT "))
            return figures
    raise fail(f"wrk printed no result ({output.returncode}):\n{output.stdout}{output.stderr}")


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


# --- Report ------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass
class Row:
    """The runs of one target at one connection count, and their ratios to the baseline."""

    target: str
    connections: int
    runs: list[Result]
    ratios: list[float]  # per round: this target's throughput / the baseline's
    db: dict[str, float]  # per request over all runs, from PostgreSQL's counters

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

    def line(self) -> str:
        baseline = self.target == BASELINE
        ratio = "" if baseline or not self.ratios else f"{self.ratio:5.2f}x"
        spread = (
            "" if baseline or not self.ratios else f"{min(self.ratios):.2f}-{max(self.ratios):.2f}"
        )
        db = self.db
        return (
            f"  {self.target:<22} {self.connections:>5} {self.rate:8.0f} {ratio:>6} {spread:>11} "
            f"{self.p50:7.1f} {self.p99:7.1f} {max(run.max_ms for run in self.runs):7.0f} "
            f"{self.timeouts:8d} {sum(run.errors for run in self.runs):6d}  "
            f"{median([run.cpu_ms for run in self.runs]):6.2f} {db.get('transactions', 0):5.2f} "
            f"{db.get('users_scans', 0):5.2f} {db.get('items_scans', 0):5.2f} "
            f"{db.get('connections_opened', 0):6.0f}"
        )


HEADER = (
    f"  {'target':<22} {'conns':>5} {'req/s':>8} {'ratio':>6} {'(range)':>11} {'p50 ms':>7} "
    f"{'p99 ms':>7} {'max ms':>7} {'timeouts':>8} {'errors':>6}  {'cpu ms':>6} {'xact':>5} "
    f"{'users':>5} {'items':>5} {'opened':>6}"
)
LEGEND = (
    "  cpu ms: CPU time of the server process per request; xact, users, items: transactions and "
    "index scans of\n  the users and items tables per request (PostgreSQL's counters); opened: "
    "connections opened during the runs\n  (a caching target's counters include its cache warming: "
    "every item read once before each run)"
)


Counters = Mapping[tuple[str, int], dict[str, float]]


def rows(
    results: Sequence[Result],
    counters: Counters,
    targets: Sequence[str],
    connections: Sequence[int],
) -> list[Row]:
    found = []
    for count in connections:
        base = {r.round: r.rate for r in results if r.target == BASELINE and r.connections == count}
        for target in targets:
            runs = [r for r in results if r.target == target and r.connections == count]
            ratios = [r.rate / base[r.round] for r in runs if base.get(r.round)]
            if runs:
                found.append(Row(target, count, runs, ratios, counters.get((target, count), {})))
    return found


def verdicts(table: Sequence[Row], low: int, high: int) -> list[tuple[str, str, bool]]:
    """(target, what, met) for each target of issue 4, per service."""
    out: list[tuple[str, str, bool]] = []
    by_key = {(row.target, row.connections): row for row in table}
    for target in dict.fromkeys(row.target for row in table):
        if target == BASELINE:
            continue
        at_low, at_high = by_key.get((target, low)), by_key.get((target, high))
        if at_low is not None:
            out += [
                (
                    target,
                    f"ratio {at_low.ratio:.2f}x >= {TARGET_RATIO}x at {low}",
                    at_low.ratio >= TARGET_RATIO,
                ),
                (
                    target,
                    f"p99 {at_low.p99:.0f} ms <= {TARGET_P99_MS:.0f} ms at {low}",
                    at_low.p99 <= TARGET_P99_MS,
                ),
                (target, f"{at_low.timeouts} timeouts at {low}", at_low.timeouts == 0),
            ]
        if at_high is not None and high != low:
            answered = all(run.alive_after for run in at_high.runs)
            enough = at_low is None or at_high.rate >= LOCKUP_SHARE * at_low.rate
            what = (
                f"no lock-up at {high}: {at_high.rate:.0f} req/s, {at_high.timeouts} timeouts, "
                f"{'answers' if answered else 'does NOT answer'} /health/live afterwards"
            )
            out.append((target, what, answered and enough))
    return out


def report(
    results: Sequence[Result], counters: Counters, targets: Sequence[str], args: argparse.Namespace
) -> bool:
    """Print the table and the targets; True when every target is met."""
    table = rows(results, counters, targets, args.connections)
    print()
    print(
        f"GET /api/v1/items/{{id}}: {args.items} items, random ids, bearer token; wrk "
        f"{args.threads} thread(s), {args.duration:g} s per run, {args.rounds} round(s), "
        f"timeout {args.timeout:g} s; medians over rounds, ratio range over rounds"
    )
    print(HEADER)
    for row in table:
        print(row.line())
    print(LEGEND)
    print()
    checks = verdicts(table, min(args.connections), max(args.connections))
    for target, what, met in checks:
        print(f"  {target:<22} {'ok  ' if met else 'MISS'}  {what}")
    return all(met for _, _, met in checks)


# --- Profile -----------------------------------------------------------------------------------

PROFILE_GROUPS = (
    # (label, regex on a frame): the share of samples whose stack contains such a frame.
    ("auth check (token + user status)", r"authenticated_user_id \(|get_current_user \("),
    ("  user query", r"UserRepository\.(get|is_active) \("),
    ("  token decode", r"decode_token \("),
    ("session dependency (incl. commit)", r"get_session \("),
    ("BEGIN and COMMIT round trips (asyncpg)", r"Transaction\.(start|commit|__commit) \("),
    ("items service", r"ItemService\.get_json \("),
    ("access log line", r"BoundLogger\.info \("),
    ("threadpool hops (run_in_threadpool)", r"run_in_threadpool \("),
    ("SQLAlchemy ORM", r"sqlalchemy/orm/"),
    ("SQLAlchemy engine/pool", r"sqlalchemy/(engine|pool)/"),
    ("asyncpg", r"asyncpg/"),
    ("pydantic", r"pydantic"),
    ("FastAPI dependency solving", r"solve_dependencies \("),
    ("FastAPI routing (match)", r"_IncludedRouter\._match \(|APIRouter\.matches \("),
    ("JSON serialization of the response", r"serialize_response \(|_prepare_response_content \("),
)


def profile_summary(raw: Path, top: int = 20) -> str:
    """Shares of samples by group and the heaviest functions of a py-spy raw (collapsed) file."""
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [shorten(frame) for frame in stack.split(";")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        for label, pattern in PROFILE_GROUPS:
            if any(re.search(pattern, frame) for frame in frames):
                groups[label] += count
    if not total:
        return "  (no samples)"
    out = [f"  {total} samples (GIL holder only: CPU of the event loop and of worker threads)"]
    out += [f"  {100 * groups[label] / total:5.1f}%  {label}" for label, _ in PROFILE_GROUPS]
    out.append(f"  own time, top {top}:")
    out += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(out)


def shorten(frame: str) -> str:
    frame = re.sub(r"\(/\S*?/site-packages/", "(", frame)
    return re.sub(r"\(/\S*?/lib/python3\.\d+/", "(", frame)


def profile_target(
    server: Server, uv: str, env: Mapping[str, str], seconds: float, load: Callable[[], object]
) -> Path:
    """py-spy (GIL holder only, i.e. CPU) on the server while `load()` runs; the raw profile."""
    project = server.project
    assert project is not None and server.process is not None
    install: list[str | Path] = [uv, "pip", "install", "--quiet", "--python", project.python]
    run([*install, "py-spy"], cwd=project.path, env=env)
    raw = server.log_path.with_suffix(".profile.txt")
    sampler = subprocess.Popen(
        [
            str(project.python.parent / "py-spy"),
            "record",
            "--pid",
            str(server.process.pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "200",
            "--gil",
            "--format",
            "raw",
            "--output",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    load()
    sampler.wait(timeout=seconds + 60)
    return raw


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


# --- Main --------------------------------------------------------------------------------------


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


@contextlib.contextmanager
def workspace(keep: bool, given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    path = Path(tempfile.mkdtemp(prefix="bench-read-path-"))
    try:
        yield path
    finally:
        if keep:
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Authenticated item reads of the postgresql/jwt service next to raw asyncpg.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--cache", nargs="+", default=["memory", "none"], help="cache answers")
    parser.add_argument("--connections", nargs="+", type=int, default=[64, 256])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed load first")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every run")
    parser.add_argument("--items", type=int, default=10_000, help="items in the table")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--timeout", type=float, default=2.0, help="wrk's request timeout (s)")
    parser.add_argument("--pool-size", type=int, help="baseline pool [the service's]")
    parser.add_argument("--profile", action="store_true", help="py-spy each service once more")
    parser.add_argument(
        "--warm-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read every item once through a caching service before each of its runs",
    )
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="CACHE[@TAG]=DIR",
        help="use an already rendered and synced project instead of rendering (repeatable); "
        "a tag tells two projects of one cache answer apart, e.g. memory@before=DIR",
    )
    parser.add_argument("--workdir", type=Path, help="work folder [a temporary one]")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def check_prerequisites(admin_url: str) -> None:
    if shutil.which("wrk") is None:
        raise fail(
            "wrk is not installed; it generates the load. Install it from your system's "
            "packages (Debian/Ubuntu: `sudo apt-get install wrk`, macOS: `brew install wrk`)."
        )
    admin = urllib.parse.urlsplit(admin_url)
    address = (admin.hostname or "127.0.0.1", admin.port or 5432)
    try:
        socket.create_connection(address, timeout=3).close()
    except OSError as error:
        raise fail(f"PostgreSQL is not reachable at {address[0]}:{address[1]}: {error}") from None


class Bench:
    """One run: projects, databases, servers, load, report; everything it started, it stops."""

    def __init__(self, args: argparse.Namespace, workdir: Path, admin_url: str) -> None:
        self.args = args
        self.workdir = workdir
        self.admin_url = admin_url
        self.uv = find_uv()
        self.env = environment.step_environment({})
        self.servers: list[Server] = []
        self.databases: Databases | None = None
        self.database_of: dict[str, str] = {}  # server name -> its database
        self.token = ""
        self.ids_file = workdir / "ids.txt"

    def projects(self) -> list[Project]:
        if not self.args.project:
            return render_projects(self.args.cache, self.workdir, self.uv, self.env)
        projects = []
        for spec in self.args.project:
            cache, _, directory = spec.partition("=")
            projects.append(Project(cache, Path(directory).resolve()))
        return projects

    def prepare(self) -> None:
        """Render; create, migrate and seed a database and a copy per target; start the servers;
        log in."""
        projects = self.projects()
        first = projects[0]
        databases = self.databases = Databases(first.python, self.admin_url)
        original = databases.create(self.env, "seed")
        log(f"databases {databases.prefix}_*")
        service_env = {
            **self.env,
            "ENVIRONMENT": "production",
            "ALLOWED_HOSTS": "127.0.0.1",  # production refuses to answer any Host
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ACCESS_TOKEN_EXPIRE_MINUTES": "720",  # outlives the run
        }
        setup_env = {**service_env, "DATABASE_URL": databases.sqlalchemy_url(original)}
        run([first.python, "-m", PACKAGE, "migrate"], cwd=first.path, env=setup_env)
        create_user = ["-m", PACKAGE, "create-admin", "--email", EMAIL, "--password", PASSWORD]
        run([first.python, *create_user], cwd=first.path, env=setup_env)
        databases.support(self.env, "seed", original, EMAIL, str(self.args.items), self.ids_file)
        pool_size = self.args.pool_size or pool_capacity(first, setup_env)

        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        copy = databases.create(self.env, "baseline", template=original)
        self.database_of[BASELINE] = copy
        baseline_env = {**self.env, "BENCH_DATABASE_URL": databases.url(copy)}
        self.servers.append(
            Server(
                BASELINE,
                [str(first.python), str(SUPPORT), "serve", "--port", "{port}"],
                HERE,
                {**baseline_env, "BENCH_POOL_SIZE": str(pool_size)},
                logs / "baseline.log",
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
            suffix = re.sub(r"[^a-z0-9_]", "_", f"cache_{project.label}".lower())
            copy = databases.create(self.env, suffix, template=original)
            self.database_of[project.name] = copy
            self.servers.append(
                Server(
                    project.name,
                    [str(project.python), *serve],
                    project.path,
                    {**service_env, "DATABASE_URL": databases.sqlalchemy_url(copy)},
                    logs / f"service-{suffix}.log",  # by answer: --project dirs may share a name
                    project=project,
                )
            )
        for server in self.servers:
            server.start()
        for server in self.servers:
            server.wait_ready("/health/live")
        self.token = login(self.servers[1].url)
        log(f"{self.args.items} items; baseline pool: {pool_size} connections")

    def load(self, server: Server, connections: int, seconds: float) -> dict[str, float]:
        return wrk(
            server.url,
            connections=connections,
            seconds=seconds,
            threads=self.args.threads,
            timeout=self.args.timeout,
            ids_file=self.ids_file,
            token=self.token,
        )

    def measure(self, server: Server, connections: int, round_index: int) -> Result:
        cpu = server.cpu_seconds()
        figures = self.load(server, connections, self.args.duration)
        cpu = server.cpu_seconds() - cpu
        requests = int(figures["requests"])
        errors = sum(
            figures[key] for key in ("connect_errors", "read_errors", "write_errors", "non_2xx")
        )
        return Result(
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
            cpu_ms=1000 * cpu / max(requests, 1),
            alive_after=server.alive(),
        )

    def counters(self) -> dict[str, dict[str, int]]:
        """Every target database's counters, once PostgreSQL has published them all."""
        assert self.databases is not None
        time.sleep(STATS_SETTLE_SECONDS)
        return self.databases.stats(self.env, list(self.database_of.values()))

    def rounds(self) -> tuple[list[Result], dict[tuple[str, int], dict[str, float]]]:
        """Every connection count in turn: `--rounds` rounds of every target, the order rotating
        each round; PostgreSQL's counters of each target's database around them."""
        for server in self.servers:
            log(f"warm-up {server.name}")
            self.load(server, min(self.args.connections), self.args.warmup)
        results: list[Result] = []
        counters: dict[tuple[str, int], dict[str, float]] = {}
        before = self.counters()
        for connections in self.args.connections:
            for round_index in range(self.args.rounds):
                shift = round_index % len(self.servers)
                for server in self.servers[shift:] + self.servers[:shift]:
                    self.warm_cache(server)
                    result = self.measure(server, connections, round_index)
                    results.append(result)
                    log(
                        f"c={connections:<4} round {round_index + 1}  {server.name:<22} "
                        f"{result.rate:7.0f} req/s  p99 {result.p99_ms:7.1f} ms  "
                        f"timeouts {result.timeouts}  errors {result.errors}  "
                        f"cpu {result.cpu_ms:.2f} ms/req"
                    )
            after = self.counters()
            for server in self.servers:
                name = self.database_of[server.name]
                requests = sum(
                    r.requests
                    for r in results
                    if r.target == server.name and r.connections == connections
                )
                counters[(server.name, connections)] = db_delta(before[name], after[name], requests)
            before = after
        return results, counters

    def warm_cache(self, server: Server) -> None:
        """Before each run of a caching service: every item read once, as it has them after
        serving this load without a pause. (The targets take turns, so a cache's entries would
        otherwise expire while the others run: 60 s of TTL against 10,000 ids read a few hundred
        times a second.)"""
        if server.project is None or server.project.cache == "none" or not self.args.warm_cache:
            return
        warm_cache(server.url, self.ids_file.read_text().split(), self.token)

    def profile(self) -> None:
        connections = min(self.args.connections)
        for server in self.servers:
            if server.project is None:
                continue
            raw = profile_target(
                server,
                self.uv,
                self.env,
                self.args.duration,
                functools.partial(self.load, server, connections, self.args.duration + 2),
            )
            print(f"\nProfile of {server.name} at {connections} connections ({raw}):")
            print(profile_summary(raw))

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if self.databases is not None:
            self.databases.drop_all(self.env)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    admin_url = plain_url(os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    check_prerequisites(admin_url)
    with workspace(args.keep, args.workdir) as workdir:
        bench = Bench(args, workdir, admin_url)
        try:
            bench.prepare()
            results, counters = bench.rounds()
            met = report(results, counters, [server.name for server in bench.servers], args)
            if args.json:
                rows = [asdict(result) | {"rate": result.rate} for result in results]
                args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
            if args.profile:
                bench.profile()
        finally:
            bench.close()
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
