"""The results of a matrix run: a table on the terminal, and the same as JSON and Markdown."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.matrix.runner import STEP_NAMES, VariantResult

MARK = {"passed": "ok", "failed": "FAIL", "not run": "-"}


@dataclass(frozen=True)
class Summary:
    passed: int
    failed: int
    skipped: int
    wall_seconds: float
    medians: dict[str, float]
    proven: int = 0  # of the passed: taken from the ledger, not run

    @property
    def line(self) -> str:
        """The closing line: `matrix: N passed, M failed, K skipped`."""
        earlier = f" ({self.proven} proven earlier)" if self.proven else ""
        return (
            f"matrix: {self.passed} passed{earlier}, {self.failed} failed, {self.skipped} skipped"
        )


def summarize(results: Sequence[VariantResult], wall_seconds: float) -> Summary:
    medians = {}
    for name in (*STEP_NAMES, "total"):
        if name == "total":
            seconds = [
                result.seconds
                for result in results
                if result.status != "skipped" and result.proof is None
            ]
        else:
            seconds = [
                step.seconds
                for result in results
                for step in result.steps
                if step.name == name and step.status != "not run"
            ]
        if seconds:
            medians[name] = statistics.median(seconds)
    return Summary(
        passed=sum(result.status == "passed" for result in results),
        failed=sum(result.status == "failed" for result in results),
        skipped=sum(result.status == "skipped" for result in results),
        wall_seconds=wall_seconds,
        medians=medians,
        proven=sum(result.proof is not None for result in results),
    )


def _rows(results: Sequence[VariantResult]) -> list[list[str]]:
    rows = []
    for result in results:
        cells = [result.variant.label]
        for name in STEP_NAMES:
            step = result.step(name)
            if step is None or step.status == "not run":
                cells.append("-")
            else:
                cells.append(f"{MARK[step.status]} {step.seconds:.1f}s")
        cells.append(f"{result.seconds:.1f}s")
        cells.append(result.status + (f": {result.reason}" if result.reason else ""))
        rows.append(cells)
    return rows


HEADER = ["variant", *STEP_NAMES, "total", "result"]


def table(results: Sequence[VariantResult], summary: Summary) -> str:
    """A plain-text table, one row per variant, then the step medians and the wall time."""
    rows = [HEADER, *_rows(results)]
    widths = [max(len(row[index]) for row in rows) for index in range(len(HEADER) - 1)]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths) + "  ------")
    lines.append("")
    lines.append(_medians_line(summary))
    return "\n".join(lines)


def _medians_line(summary: Summary) -> str:
    medians = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in summary.medians.items())
    return f"wall {summary.wall_seconds:.1f}s; per-step medians: {medians or 'none'}"


def markdown(results: Sequence[VariantResult], summary: Summary, title: str) -> str:
    lines = [f"# {title}", "", summary.line, "", _medians_line(summary), ""]
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|" + "---|" * len(HEADER))
    for row in _rows(results):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    failures = [result for result in results if result.status == "failed"]
    if failures:
        lines += ["", "## Failures"]
        for result in failures:
            lines += ["", f"### {result.variant.label}", "", "```", result.failure_report(), "```"]
    return "\n".join(lines) + "\n"


def to_json(
    results: Sequence[VariantResult], summary: Summary, meta: dict[str, Any]
) -> dict[str, Any]:
    return {
        **meta,
        "summary": {
            "passed": summary.passed,
            "failed": summary.failed,
            "skipped": summary.skipped,
            "proven_earlier": summary.proven,
            "wall_seconds": round(summary.wall_seconds, 2),
            "step_medians": {name: round(value, 2) for name, value in summary.medians.items()},
        },
        "variants": [result.to_json() for result in results],
    }


def write(
    results: Sequence[VariantResult],
    summary: Summary,
    directory: Path,
    name: str,
    meta: dict[str, Any],
) -> tuple[Path, Path]:
    """Write `<name>.json` and `<name>.md` into `directory`; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{name}.json"
    md_path = directory / f"{name}.md"
    json_path.write_text(
        json.dumps(to_json(results, summary, meta), indent=2, default=str) + "\n", encoding="utf-8"
    )
    md_path.write_text(
        markdown(results, summary, title=f"Variant matrix: {name}"), encoding="utf-8"
    )
    return json_path, md_path
