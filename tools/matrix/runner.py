"""How one variant is proven: render it, then run its own checks, as a user would.

The steps are the README's commands of a generated service: render (`copier copy --defaults
--vcs-ref HEAD` through Copier's Python API), `uv sync`, `uv run ruff check`, `uv run ruff format
--check`, `uv run mypy`, `uv run pytest`. `nox -s matrix` (tools/matrix/cli.py) and pytest's
tests/test_variants.py both call `run_variant` below: one code path.

Rendering from the working tree: Copier renders a local git template at `vcs_ref="HEAD"` from a
clone of the last commit plus a commit of every uncommitted change (tracked or untracked, minus
.gitignore'd files), so work in progress is tested without committing. With `vcs_ref=None`
Copier would render the highest PEP 440 tag instead, once the repository has one; the matrix
therefore always passes "HEAD" for a git working tree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.matrix import environment
from tools.matrix.enumeration import PROJECT_DIR_NAME, Variant
from tools.matrix.proofs import Ledger, Proof, render_digest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Never copied into a template snapshot (`snapshot_template`).
SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".nox",
    "__pycache__",
    "*.py[co]",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "results",
    "site",
    ".bench",
)

Status = Literal["passed", "failed", "skipped"]
StepStatus = Literal["passed", "failed", "not run"]


@dataclass(frozen=True)
class Step:
    name: str
    # Arguments after `uv` (None: the render step, which runs Copier).
    uv_args: tuple[str, ...] | None
    # A failed gate stops the variant; a failed check lets the other checks still run.
    gate: bool = False


STEPS = (
    Step("render", None, gate=True),
    Step("sync", ("sync",), gate=True),
    Step("ruff-check", ("run", "--no-sync", "ruff", "check")),
    Step("ruff-format", ("run", "--no-sync", "ruff", "format", "--check")),
    Step("mypy", ("run", "--no-sync", "mypy")),
    Step("pytest", ("run", "--no-sync", "pytest")),
)
STEP_NAMES = tuple(step.name for step in STEPS)


@dataclass
class StepResult:
    name: str
    status: StepStatus
    seconds: float = 0.0
    returncode: int | None = None
    log: Path | None = None
    tail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "returncode": self.returncode,
            "log": str(self.log) if self.log else None,
        }


@dataclass
class VariantResult:
    variant: Variant
    status: Status
    reason: str = ""
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    run_id: str = ""
    directory: Path | None = None
    digest: str = ""  # of the rendered files, with a ledger (proofs.py)
    proof: Proof | None = None  # the earlier pass taken instead of running the checks

    @property
    def failed_steps(self) -> list[StepResult]:
        return [step for step in self.steps if step.status == "failed"]

    def step(self, name: str) -> StepResult | None:
        for step in self.steps:
            if step.name == name:
                return step
        return None

    def failure_report(self) -> str:
        """What failed and the last lines each failed step printed."""
        lines = [
            f"{self.variant.label}: {self.status}" + (f" ({self.reason})" if self.reason else "")
        ]
        for step in self.failed_steps:
            lines.append(f"--- {step.name} failed (exit {step.returncode}); log: {step.log}")
            lines.append(step.tail.rstrip())
        if self.directory and (self.directory / PROJECT_DIR_NAME).exists():
            lines.append(f"--- rendered project kept in {self.directory / PROJECT_DIR_NAME}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant.to_json(),
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 2),
            "run_id": self.run_id,
            "directory": str(self.directory) if self.directory else None,
            "digest": self.digest or None,
            "proven": vars(self.proof) if self.proof else None,
            "steps": [step.to_json() for step in self.steps],
        }


@dataclass(frozen=True)
class RunOptions:
    template_root: Path = REPO_ROOT
    # Variant N is rendered into workdir/<slug>/my-service, with its logs in workdir/<slug>/logs.
    workdir: Path = field(default_factory=lambda: default_workdir())
    # Caches shared by all variants (mypy's, per Python version); uv uses its own shared cache.
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    vcs_ref: str | None = None  # None: "HEAD" for a git working tree (see module docstring)
    require_services: bool = False
    step_timeout: float = 1200.0
    tail_lines: int = 40
    # "shared": each variant's mypy starts from a warm seed cache per Python version (MypySeed);
    # "variant": each starts cold.
    mypy_cache: Literal["shared", "variant"] = "shared"
    uv: str = ""
    # Passes of earlier runs: a variant rendered to the same files as a recorded pass is not
    # checked again (proofs.py).
    ledger: Ledger | None = None

    def resolved_vcs_ref(self) -> str | None:
        if self.vcs_ref is not None:
            return self.vcs_ref
        return "HEAD" if (self.template_root / ".git").exists() else None


def default_workdir() -> Path:
    """MATRIX_WORKDIR, or results/work: where variants are rendered."""
    return Path(os.environ.get(environment.WORKDIR) or REPO_ROOT / "results" / "work").resolve()


def default_cache_dir() -> Path:
    """MATRIX_CACHE_DIR, or the user's cache folder: kept across runs and fresh clones (CI)."""
    if configured := os.environ.get(environment.CACHE_DIR):
        return Path(configured).resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return (Path(xdg) / "copier-fastapi-matrix").resolve()


def find_uv() -> str:
    """The real uv binary.

    `uv run` exports it as UV. A `uv` found on PATH may be a pyenv shim, which picks its Python by
    the `.python-version` of the current folder, and a rendered service has one of its own: resolve
    the shim once, from here, instead.
    """
    candidate = os.environ.get("UV", "")
    if candidate and Path(candidate).is_file():
        return candidate
    try:
        from uv import find_uv_bin  # the `uv` wheel, when installed in this environment

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if not found:
        raise RuntimeError("uv not found: install it (`pip install uv`) or set UV=/path/to/uv")
    if "shims" in Path(found).parts and shutil.which("pyenv"):
        resolved = subprocess.run(
            ["pyenv", "which", "uv"], capture_output=True, text=True, cwd=REPO_ROOT, check=False
        ).stdout.strip()
        if resolved:
            return resolved
    return found


def tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# Commands run in sessions of their own (so a timeout can kill uv, pytest and their children at
# once), which also keeps Ctrl-C from reaching them: the matrix stops them itself (`stop_all`).
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()
_STOPPING = threading.Event()


def stop_all() -> None:
    """Kill every running step's process group; steps not started yet will not start."""
    _STOPPING.set()
    with _RUNNING_LOCK:
        for process in _RUNNING:
            _kill(process)


def _descendants(pid: int) -> list[int]:
    """Every process started under `pid`, from /proc (none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The parent's pid is the second field after the command name, which is in
            # parentheses and may itself hold spaces or parentheses.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(stat.parent.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), ()):
            found.append(child)
            pending.append(child)
    return found


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a step's process group and whatever it started in sessions of its own.

    A variant's tests start their workers in new sessions (to stop them as a container would), out
    of reach of the step's process group: killed with pytest, their fixtures never run, and the
    workers would live on, taking jobs from the brokers. They are found before anything is killed:
    once their parent is gone they belong to init.
    """
    strays = _descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in strays:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _run(
    command: Sequence[str], cwd: Path, env: dict[str, str], log: Path, timeout: float
) -> tuple[int, float]:
    """Run `command`, its output into `log`; on timeout kill its whole process group."""
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ cd {cwd} && {' '.join(command)}\n")
        out.flush()
        if _STOPPING.is_set():
            out.write("[matrix] not started: the run was interrupted\n")
            return -2, 0.0
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        with _RUNNING_LOCK:
            _RUNNING.add(process)
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            process.wait()
            out.write(f"\n[matrix] timed out after {timeout:.0f} s\n")
            returncode = -9
        except BaseException:  # Ctrl-C in this thread (pytest): take the step down with us
            _kill(process)
            process.wait()
            raise
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
    return returncode, time.monotonic() - started


def render(src: Path, dst: Path, data: dict[str, Any], vcs_ref: str | None) -> None:
    """Render one variant with Copier's Python API, as `copier copy --trust --defaults` does."""
    import warnings

    import copier
    from copier.errors import DirtyLocalWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DirtyLocalWarning)
        copier.run_copy(
            str(src),
            dst,
            data=data,
            defaults=True,
            unsafe=True,
            vcs_ref=vcs_ref,
            quiet=True,
            settings=copier.Settings(),  # not the user's settings file: same answers everywhere
        )


def snapshot_template(dst: Path, src: Path = REPO_ROOT) -> Path:
    """Copy the template as it is in the work tree (committed or not) to a plain folder.

    Rendering from a folder that is not a git repository skips Copier's clone of the template,
    so every render is cheaper and sees uncommitted work too.
    """
    shutil.copytree(src, dst, ignore=SNAPSHOT_IGNORE)
    return dst


class MypySeed:
    """A warm mypy cache that every variant starts from (one per Python version).

    Most of mypy's time on a cold run goes to the libraries (FastAPI, Pydantic, SQLAlchemy,
    typeshed), the same in every variant. mypy validates each cached module by the hash of its
    source, not its path, so a cache written in one variant's folder is valid in another's, and
    modules that differ (the service's own) are re-checked as after any edit: the result is the
    one a cold run gives. Each variant runs mypy on a private copy of the seed, so parallel runs
    never write to one cache, and offers its cache back: it replaces the seed when it holds more
    (a variant with more options checks more libraries). A file lock serialises copy and publish
    across threads and pytest-xdist processes.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        with (self.directory.parent / f"{self.directory.name}.lock").open("a") as lock:
            fcntl.flock(lock, mode)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def copy_to(self, cache: Path) -> None:
        if cache.exists():
            shutil.rmtree(cache)
        with self._locked(fcntl.LOCK_SH):
            if self.directory.is_dir():
                shutil.copytree(self.directory, cache)

    def offer(self, cache: Path) -> None:
        if not cache.is_dir():
            return
        size = _size(cache)
        with self._locked(fcntl.LOCK_EX):
            if self.directory.is_dir() and _size(self.directory) >= size:
                return
            staging = self.directory.with_name(f"{self.directory.name}.new")
            if staging.exists():
                shutil.rmtree(staging)
            shutil.copytree(cache, staging)
            if self.directory.exists():
                shutil.rmtree(self.directory)
            staging.rename(self.directory)


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


# Copier runs its tasks after a chdir (process-wide) and warnings filters are process-wide too:
# renders in one process take turns. They are short; the checks that follow run in parallel.
_RENDER_LOCK = threading.Lock()


def _render_step(
    variant: Variant, options: RunOptions, project: Path, log: Path
) -> tuple[int, float]:
    """Render in this process (no interpreter start and Copier import per variant)."""
    ref = options.resolved_vcs_ref()
    with _RENDER_LOCK, log.open("w", encoding="utf-8") as out:
        started = time.monotonic()
        out.write(
            f"$ copier copy --trust --defaults --vcs-ref {ref} {options.template_root} {project}"
            f" --data {json.dumps(variant.data)}\n"
        )
        out.flush()
        returncode = 0
        with contextlib.redirect_stderr(out):
            try:
                render(options.template_root, project, variant.data, ref)
            except Exception:
                traceback.print_exc(file=out)
                returncode = 1
        return returncode, time.monotonic() - started


def _mypy_step(
    command: list[str],
    variant: Variant,
    options: RunOptions,
    project: Path,
    env: dict[str, str],
    log: Path,
) -> tuple[int, float]:
    """mypy on a private cache, seeded from the shared one (seeding and offering included in the
    time)."""
    started = time.monotonic()
    cache = project / ".mypy_cache"
    seed = MypySeed(options.cache_dir / "mypy" / _python_version(project, variant))
    if options.mypy_cache == "shared":
        seed.copy_to(cache)
    returncode, _ = _run(
        command, project, {**env, "MYPY_CACHE_DIR": str(cache)}, log, options.step_timeout
    )
    if options.mypy_cache == "shared":
        seed.offer(cache)
    return returncode, time.monotonic() - started


def _python_version(project: Path, variant: Variant) -> str:
    try:
        return (project / ".python-version").read_text(encoding="utf-8").strip()
    except OSError:
        return str(variant.context.get("python_version", "default"))


Progress = Callable[[Variant, str], None]


def run_variant(
    variant: Variant, options: RunOptions, progress: Progress | None = None
) -> VariantResult:
    """Render `variant` and run its checks; never raises for a failing variant."""
    started = time.monotonic()
    run_id = environment.new_run_id()
    directory = options.workdir / variant.slug
    result = VariantResult(variant=variant, status="passed", run_id=run_id, directory=directory)

    down = environment.unreachable(variant.services)
    if down:
        result.status = "failed" if options.require_services else "skipped"
        result.reason = "service unreachable: " + ", ".join(down)
        if options.require_services:
            result.reason += f" ({environment.REQUIRE_SERVICES}=1)"
        result.steps = [StepResult(step.name, "not run") for step in STEPS]
        result.seconds = time.monotonic() - started
        return result

    if directory.exists():
        shutil.rmtree(directory)
    logs = directory / "logs"
    logs.mkdir(parents=True)
    project = directory / PROJECT_DIR_NAME
    variables = environment.variant_variables(variant.services, run_id)
    env = environment.step_environment(variables)
    uv = options.uv or find_uv()

    stopped = False
    for step in STEPS:
        if stopped:
            result.steps.append(StepResult(step.name, "not run"))
            continue
        if progress:
            progress(variant, step.name)
        log = logs / f"{STEPS.index(step) + 1}-{step.name}.log"
        if step.uv_args is None:
            returncode, seconds = _render_step(variant, options, project, log)
        else:
            command = [uv, *step.uv_args]
            if step.name == "mypy":
                returncode, seconds = _mypy_step(command, variant, options, project, env, log)
            else:
                returncode, seconds = _run(command, project, env, log, options.step_timeout)
        status: StepStatus = "passed" if returncode == 0 else "failed"
        result.steps.append(
            StepResult(
                step.name,
                status,
                seconds=seconds,
                returncode=returncode,
                log=log,
                tail=tail(log, options.tail_lines) if status == "failed" else "",
            )
        )
        if status == "failed":
            result.status = "failed"
            stopped = step.gate
        elif step.uv_args is None and options.ledger is not None:
            result.digest = render_digest(project)
            result.proof = options.ledger.proof(variant.label, result.digest)
            if result.proof:
                result.reason = result.proof.text
                stopped = True
    if result.failed_steps:
        result.reason = ", ".join(step.name for step in result.failed_steps) + " failed"
    result.seconds = time.monotonic() - started
    (directory / "result.json").write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
    return result


def run_matrix(
    variants: Sequence[Variant],
    options: RunOptions,
    jobs: int = 2,
    progress: Progress | None = None,
    done: Callable[[VariantResult], None] | None = None,
) -> list[VariantResult]:
    """Run `variants` on `jobs` parallel workers; results in the order of `variants`."""
    if not options.uv:
        options = dataclasses.replace(options, uv=find_uv())

    def one(variant: Variant) -> VariantResult:
        result = run_variant(variant, options, progress=progress)
        if done:
            done(result)
        return result

    pool = ThreadPoolExecutor(max_workers=max(jobs, 1), thread_name_prefix="variant")
    try:
        return list(pool.map(one, variants))
    except BaseException:  # Ctrl-C reaches the main thread only
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True)
