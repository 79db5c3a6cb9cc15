"""`python -m tools.matrix`: list or run the variant matrix (what `nox -s matrix` calls).

python -m tools.matrix                      # the full matrix
python -m tools.matrix --subset ci          # the covering subset (or: ci, default, full)
python -m tools.matrix auth=jwt cache=none  # selection by answers
python -m tools.matrix --shard 2/4          # the 2nd of 4 shards of the selection
python -m tools.matrix --list [--refused]   # print the variants (and what Copier refuses)
python -m tools.matrix --ledger tools/matrix/ledger.json   # skip what an earlier run proved
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tools.matrix import environment, report
from tools.matrix.enumeration import Enumeration, Variant, enumerate_variants
from tools.matrix.proofs import Ledger, template_commit
from tools.matrix.runner import (
    REPO_ROOT,
    RunOptions,
    VariantResult,
    default_cache_dir,
    default_workdir,
    run_matrix,
)
from tools.matrix.subsets import SUBSETS, Selection, parse_shard, select, shard


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.matrix",
        description="Render every selected variant of the template and run its own checks.",
    )
    parser.add_argument(
        "selection",
        nargs="*",
        metavar="SUBSET|AXIS=VALUE",
        help=f"a subset ({', '.join(SUBSETS)}) and/or answers such as auth=jwt (default: full)",
    )
    parser.add_argument("--subset", choices=SUBSETS, help="same as giving the subset name")
    parser.add_argument("--shard", metavar="I/N", help="run only shard I of N (1-based)")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=int(os.environ.get(environment.JOBS) or 0) or os.cpu_count() or 2,
        help="variants run in parallel (default: CPU count)",
    )
    parser.add_argument("--list", action="store_true", help="print the variants and exit")
    parser.add_argument(
        "--refused", action="store_true", help="with --list: also the combinations Copier refuses"
    )
    parser.add_argument("--json", action="store_true", help="with --list: print JSON")
    parser.add_argument("--template", type=Path, default=REPO_ROOT, help="template repository")
    parser.add_argument(
        "--vcs-ref",
        default=None,
        help='Copier vcs_ref (default: "HEAD" = the working tree, uncommitted changes included)',
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=default_workdir(),
        help="where variants are rendered (default: results/work)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=default_cache_dir(),
        help="warm caches shared by variants and runs (default: ~/.cache/copier-fastapi-matrix)",
    )
    parser.add_argument(
        "--results", type=Path, default=REPO_ROOT / "results", help="where results are written"
    )
    parser.add_argument(
        "--require-services",
        action="store_true",
        default=environment.require_services(),
        help="fail (not skip) a variant whose server is unreachable (env REQUIRE_SERVICES=1)",
    )
    parser.add_argument(
        "--ledger",
        type=Path,
        help="a JSON file of earlier passes: a variant rendered to the same files as a recorded "
        "pass is not checked again; the variants that pass are recorded in it",
    )
    parser.add_argument("--step-timeout", type=float, default=1200.0, help="seconds per step")
    parser.add_argument("--tail", type=int, default=40, help="log lines shown per failed step")
    parser.add_argument(
        "--mypy-cache",
        choices=("shared", "variant"),
        default="shared",
        help="start each variant's mypy from a warm seed cache (default) or cold",
    )
    return parser


def _print_list(
    enumeration: Enumeration, variants: Sequence[Variant], args: argparse.Namespace
) -> None:
    if args.json:
        payload: dict[str, object] = {
            "axes": {
                axis.name: {
                    "values": list(axis.values),
                    "default": axis.default,
                    "primary": axis.primary,
                }
                for axis in enumeration.axes
            },
            "variants": [variant.to_json() for variant in variants],
        }
        if args.refused:
            payload["refused"] = [
                {"answers": dict(refusal.answers), "reason": refusal.reason}
                for refusal in enumeration.refused
            ]
        print(json.dumps(payload, indent=2, default=str))
        return
    for variant in variants:
        services = f"  [needs {', '.join(variant.services)}]" if variant.services else ""
        print(f"{variant.label}{services}")
    print(f"{len(variants)} of {len(enumeration.variants)} valid variants")
    if args.refused:
        print(f"\nrefused by copier.yml's validators ({len(enumeration.refused)}):")
        for refusal in enumeration.refused:
            print(f"  {refusal.label}: {refusal.reason}")


def record_result(ledger: Ledger, result: VariantResult, commit: str) -> bool:
    """Record a variant that ran and passed (True); forget a failed one's earlier pass. The
    ledger is saved at once, so a run stopped halfway keeps what it proved."""
    if result.proof is not None or not result.digest:
        return False
    if result.status == "passed":
        ledger.record(result.variant.label, result.digest, commit, result.seconds)
    elif result.status == "failed":
        ledger.forget(result.variant.label)
    else:
        return False
    ledger.save()
    return result.status == "passed"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # `kill PID` stops a run as Ctrl-C does, its steps and their workers with it: a run started
    # in the background from a script ignores SIGINT.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        selection = Selection.parse([*args.selection, *([args.subset] if args.subset else [])])
        enumeration = enumerate_variants(args.template, args.vcs_ref)
        variants = select(enumeration, selection)
        shard_name = ""
        if args.shard:
            index, count = parse_shard(args.shard)
            variants = shard(variants, index, count)
            shard_name = f"-shard-{index}of{count}"
    except ValueError as error:
        print(f"matrix: {error}", file=sys.stderr)
        return 2
    if args.list:
        _print_list(enumeration, variants, args)
        return 0

    total = len(variants)
    numbers = {variant: number for number, variant in enumerate(variants, start=1)}
    lock = threading.Lock()
    started = time.monotonic()
    ledger = Ledger(args.ledger) if args.ledger else None
    commit = template_commit(args.template.resolve())
    recorded = 0

    def say(text: str) -> None:
        with lock:
            print(f"[{time.monotonic() - started:7.1f}s] {text}", flush=True)

    def progress(variant: Variant, step: str) -> None:
        say(f"{numbers[variant]:>{len(str(total))}}/{total} {variant.slug}: {step}")

    def done(result: VariantResult) -> None:
        nonlocal recorded
        if ledger is not None:
            with lock:
                recorded += record_result(ledger, result, commit)
        extra = f" ({result.reason})" if result.reason else ""
        say(
            f"{numbers[result.variant]:>{len(str(total))}}/{total} {result.variant.slug}: "
            f"{result.status.upper()} in {result.seconds:.1f}s{extra}"
        )

    selection_text = " ".join(args.selection) or (args.subset or "full")
    say(
        f"matrix: {total} variant(s) [{selection_text}{' ' + args.shard if args.shard else ''}] "
        f"of {len(enumeration.variants)} valid, {args.jobs} in parallel, work in {args.workdir}"
    )
    options = RunOptions(
        template_root=args.template.resolve(),
        workdir=args.workdir.resolve(),
        cache_dir=args.cache_dir.resolve(),
        vcs_ref=args.vcs_ref,
        require_services=args.require_services,
        step_timeout=args.step_timeout,
        tail_lines=args.tail,
        mypy_cache=args.mypy_cache,
        ledger=ledger,
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        results = run_matrix(variants, options, jobs=args.jobs, progress=progress, done=done)
    except KeyboardInterrupt:
        print("matrix: interrupted; running steps stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    wall = time.monotonic() - started
    summary = report.summarize(results, wall)

    print()
    print(report.table(results, summary))
    for result in results:
        if result.status == "failed":
            print()
            print(result.failure_report())
    name = "matrix" + shard_name
    meta = {
        "selection": selection_text,
        "shard": args.shard,
        "jobs": args.jobs,
        "valid_variants": len(enumeration.variants),
        "template": str(options.template_root),
        "vcs_ref": options.resolved_vcs_ref(),
    }
    json_path, md_path = report.write(results, summary, args.results, name, meta)
    print()
    print(f"results: {json_path} {md_path}")
    if ledger is not None:
        print(f"ledger: {recorded} pass(es) recorded in {ledger.path}")
    print(summary.line)
    return 1 if summary.failed else 0
