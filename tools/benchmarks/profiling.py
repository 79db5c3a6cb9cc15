"""`--profile` of the benchmark suite (read_path.py): py-spy samples of a served target, and where
its CPU went (shares by group of frames, the functions with the most own time)."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

PROFILE_GROUPS = (
    # (label, regex on a frame): the share of samples whose stack contains such a frame.
    (
        "auth check (token + user status)",
        r"authenticated_user_id \(|get_current_user \(|caller_id \(",
    ),
    ("  user query", r"UserRepository\.(get|is_active) \("),
    ("  token decode", r"decode_token \("),
    ("session dependency (incl. commit)", r"get_session \("),
    ("direct reads (db/direct_reads.py)", r"DirectReads\.first \("),
    ("BEGIN and COMMIT round trips (asyncpg)", r"Transaction\.(start|commit|__commit) \("),
    ("item reader", r"ItemReader\.get \("),
    ("access log line", r"BoundLogger\.info \("),
    ("threadpool hops (run_in_threadpool)", r"run_in_threadpool \("),
    ("SQLAlchemy ORM", r"sqlalchemy/orm/"),
    ("SQLAlchemy engine/pool", r"sqlalchemy/(engine|pool)/"),
    ("the driver (asyncpg, asyncmy)", r"asyncpg/|asyncmy/"),
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
    pid: int,
    python: Path,
    raw: Path,
    seconds: float,
    load: Callable[[], object],
    install: Callable[[Sequence[str | Path]], object],
) -> Path:
    """py-spy (GIL holder only, i.e. CPU) on process `pid` while `load()` runs; the raw profile.
    py-spy is installed next to `python` by `install(command)`."""
    uv_pip: list[str | Path] = ["pip", "install", "--quiet", "--python", python, "py-spy"]
    install(uv_pip)
    sampler = subprocess.Popen(
        [
            str(python.parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
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
