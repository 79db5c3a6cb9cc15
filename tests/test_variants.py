"""Each variant of a subset, proven by its own checks: one test per variant.

The same runner as `nox -s matrix` (tools/matrix/runner.py): render with Copier, `uv sync`, `ruff
check`, `ruff format --check`, `mypy`, the variant's own pytest. A failure shows the failing steps'
last lines; a variant whose server is unreachable is skipped, or fails with REQUIRE_SERVICES=1.

Which variants: MATRIX_SUBSET (default `ci`), e.g. `full`, `default`, `auth=jwt`, `ci auth=none`.
Under pytest-xdist each worker runs whole variants; every variant run has its own folder, run id
and database name, and all share uv's cache and the mypy seed cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.matrix import environment
from tools.matrix.enumeration import Variant, enumerate_variants
from tools.matrix.runner import RunOptions, default_workdir, run_variant
from tools.matrix.subsets import Selection, select

REPO = Path(__file__).resolve().parents[1]


def _variants() -> list[Variant]:
    selection = Selection.from_string(os.environ.get(environment.SUBSET, "ci"))
    return select(enumerate_variants(REPO), selection)


VARIANTS = _variants()


@pytest.mark.variant
@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.slug for variant in VARIANTS])
def test_variant(variant: Variant) -> None:
    options = RunOptions(
        template_root=REPO,
        workdir=default_workdir() / "pytest",
        require_services=environment.require_services(),
    )
    result = run_variant(variant, options)
    if result.status == "skipped":
        pytest.skip(f"{variant.label}: {result.reason}")
    if result.status != "passed":
        pytest.fail(result.failure_report(), pytrace=False)
