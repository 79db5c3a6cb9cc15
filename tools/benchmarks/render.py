"""Render-time benchmark: `copier copy` of the default variant against Copier's own floor.

    python tools/benchmarks/render.py [--repeats 7] [--src PATH] [--profile] [--max-ratio 1.3]

The floor is a throwaway template generated here with as many files as template/, of the same
sizes, and no logic at all (no questions, extensions, Jinja or tasks). Both are git repositories
rendered by the same command, `copier copy --trust --defaults --vcs-ref HEAD SRC DST`, as
subprocesses, interleaved so that machine noise hits both alike. What the ratio shows is the cost
of the template's own logic; what both share is Copier's start-up, clone and file copying. Next to
the wall time it prints the CPU time of copier and its children (git, the task): on a machine that
other work keeps busy, the wall time mostly measures the waiting, the CPU time still the work.

By default the template measured is the work tree as it is (committed or not), copied to a
temporary git repository so that uncommitted work does not add Copier's dirty-tree handling to
the time; `--src` measures a given repository as it stands instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET_RATIO = 1.3
COPY_ARGS = ("copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD")
FILLER = "# filler line of a logic-free template, about as long as real code lines.\n"


def run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{result.stdout}{result.stderr}")
    return result.stdout


def commit_all(repo: Path) -> None:
    run("git", "init", "--quiet", cwd=repo)
    run("git", "add", "--all", cwd=repo)
    run(
        "git",
        "-c",
        "user.name=bench",
        "-c",
        "user.email=bench@example.com",
        "commit",
        "--quiet",
        "--no-verify",
        "--no-gpg-sign",
        "-m",
        "bench",
        cwd=repo,
    )


def snapshot(repo: Path, dst: Path) -> Path:
    """The work tree's files (tracked or not, minus ignored ones) as a fresh one-commit repo."""
    files = run("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=repo)
    for name in filter(None, files.split("\0")):
        if (repo / name).is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, dst / name)
    commit_all(dst)
    return dst


def template_files(src: Path) -> list[tuple[Path, int]]:
    """Relative path and size of every file in the template's subdirectory."""
    root = src / "template"
    return [
        (path.relative_to(root), path.stat().st_size)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]


def plain_name(path: Path) -> Path:
    """A template path without Jinja: `src/{{package_name}}/{% if x %}a.py{% endif %}.jinja` ->
    `src/pkg/a.py`."""
    parts = []
    for part in path.parts:
        part = re.sub(r"\{%.*?%\}", "", re.sub(r"\{\{.*?\}\}", "pkg", part))
        parts.append(part.removesuffix(".jinja") or "file")
    return Path(*parts)


def make_floor(files: Sequence[tuple[Path, int]], dst: Path) -> Path:
    """A logic-free template with the same number of files, of the same sizes."""
    dst.mkdir(parents=True)
    (dst / "copier.yml").write_text("_subdirectory: template\n", encoding="utf-8")
    for index, (path, size) in enumerate(files):
        target = dst / "template" / plain_name(path)
        if target.exists():
            target = target.with_name(f"{index}-{target.name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (FILLER * (size // len(FILLER) + 1))[:size]
        target.write_text(text, encoding="utf-8")
    commit_all(dst)
    return dst


def copier_command() -> list[str]:
    return [sys.executable, "-m", "copier"]


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds on the clock: what a user waits
    cpu: float  # CPU seconds of copier and its children (git, tasks): steadier on a busy machine


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_copy(src: Path, dst: Path) -> Timing:
    cpu_start, start = _children_cpu(), time.perf_counter()
    result = subprocess.run(
        [*copier_command(), *COPY_ARGS, str(src), str(dst)],
        capture_output=True,
        text=True,
        check=False,
    )
    timing = Timing(wall=time.perf_counter() - start, cpu=_children_cpu() - cpu_start)
    if result.returncode:
        sys.exit(f"copier copy {src} failed:\n{result.stdout}{result.stderr}")
    return timing


def profile(src: Path, dst: Path) -> pstats.Stats:
    """cProfile of one in-process `copier copy` of `src`, with the arguments the CLI gets."""
    from copier import run_copy

    profiler = cProfile.Profile()
    profiler.enable()
    run_copy(str(src), str(dst), vcs_ref="HEAD", defaults=True, unsafe=True, quiet=True)
    profiler.disable()
    return pstats.Stats(profiler)


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    for marker in ("site-packages/", "lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{filename}:{line}({name})"


# Copier's phases, by (file suffix, function name): their cumulative time tells where a render goes.
PHASES = {
    "clone the template (git)": ("copier/_vcs.py", "clone"),
    "ask (questions, validators)": ("copier/_main.py", "_ask"),
    "render files": ("copier/_main.py", "_render_template"),
    "run tasks": ("copier/_main.py", "_execute_tasks"),
    "remove the clone": ("copier/_template.py", "_cleanup"),
}


def _phase_time(stats: pstats.Stats, where: tuple[str, str]) -> float:
    suffix, name = where
    return sum(
        cumulative
        for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
        if filename.endswith(suffix) and function == name
    )


def profile_report(ours: pstats.Stats, floor: pstats.Stats, lines: int = 15) -> str:
    """Where the template spends time that the floor does not: own time per function, ours minus
    the floor's, plus the total of the template's extensions/ code."""
    mine: dict[tuple[str, int, str], tuple[int, float]] = {
        func: (calls, own)
        for func, (_, calls, own, _, _) in ours.stats.items()  # type: ignore[attr-defined]
    }
    base: dict[tuple[str, int, str], tuple[int, float]] = {
        func: (calls, own)
        for func, (_, calls, own, _, _) in floor.stats.items()  # type: ignore[attr-defined]
    }
    total = ours.total_tt  # type: ignore[attr-defined]
    floor_total = floor.total_tt  # type: ignore[attr-defined]
    out = [
        f"In-process profile: {total:.3f} s for the template, {floor_total:.3f} s for the floor.",
        f"  {'phase':<30} {'template':>9} {'floor':>9}",
        *(
            f"  {phase:<30} {_phase_time(ours, where):9.3f} {_phase_time(floor, where):9.3f}"
            for phase, where in PHASES.items()
        ),
        f"Own time the template adds, by function (top {lines}):",
        f"  {'extra s':>8} {'calls':>7} {'floor':>7}  function",
    ]
    deltas = sorted(
        ((own - base.get(func, (0, 0.0))[1], func) for func, (_, own) in mine.items()),
        reverse=True,
    )
    for delta, func in deltas[:lines]:
        out.append(
            f"  {delta:8.3f} {mine[func][0]:7d} {base.get(func, (0, 0.0))[0]:7d}  {_where(func)}"
        )
    extension_time = sum(own for func, (_, own) in mine.items() if "extensions/" in func[0])
    out.append(
        f"Own time in the template's extensions/ (incl. the context hook): {extension_time:.3f} s"
    )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--src", type=Path, help="template repository to measure as it stands")
    parser.add_argument("--profile", action="store_true", help="also profile one render")
    parser.add_argument(
        "--max-ratio", type=float, help="exit 1 when the ratio to the floor is above this"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp_name:
        tmp = Path(tmp_name)
        template = args.src.resolve() if args.src else snapshot(REPO, tmp / "copier-fastapi")
        files = template_files(template)
        floor = make_floor(files, tmp / "floor")

        # One untimed run of each warms the file cache and checks that both render.
        time_copy(template, tmp / "warm" / "my-service")
        time_copy(floor, tmp / "warm" / "floor")
        rendered = sum(1 for path in (tmp / "warm" / "my-service").rglob("*") if path.is_file())

        ours: list[Timing] = []
        theirs: list[Timing] = []
        for run_index in range(args.repeats):
            # Alternate which goes first so that drift hits both alike.
            pair = [(template, ours), (floor, theirs)]
            for src, timings in pair if run_index % 2 == 0 else pair[::-1]:
                timings.append(time_copy(src, tmp / f"run{run_index}" / src.name / "my-service"))

        median = statistics.median(timing.wall for timing in ours)
        floor_median = statistics.median(timing.wall for timing in theirs)
        cpu = statistics.median(timing.cpu for timing in ours)
        floor_cpu = statistics.median(timing.cpu for timing in theirs)
        ratio, cpu_ratio = median / floor_median, cpu / floor_cpu
        print(
            f"copier copy --trust --defaults --vcs-ref HEAD, median of {args.repeats} runs"
            f" ({len(files)} template files, {rendered} rendered)"
        )
        print(f"  {'':34} {'wall s':>8} {'(min)':>8} {'cpu s':>8}")
        for name, timings, wall, cpu_time in (
            ("copier-fastapi, default variant", ours, median, cpu),
            (f"Copier floor ({len(files)} plain files)", theirs, floor_median, floor_cpu),
        ):
            fastest = min(timing.wall for timing in timings)
            print(f"  {name:34} {wall:8.3f} {fastest:8.3f} {cpu_time:8.3f}")
        print(f"  {'ratio':34} {ratio:7.2f}x {'':8} {cpu_ratio:7.2f}x")
        verdict = "ok" if ratio <= TARGET_RATIO else "above target"
        print(f"  target: wall ratio <= {TARGET_RATIO}: {verdict}")

        if args.profile:
            ours_stats = profile(template, tmp / "profile" / "my-service")
            floor_stats = profile(floor, tmp / "profile" / "floor")
            print()
            print(profile_report(ours_stats, floor_stats))

    if args.max_ratio is not None and ratio > args.max_ratio:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
