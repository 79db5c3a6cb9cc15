"""Fixtures of the template tests.

Each variant is rendered once per test run, not once per test: renders go to a folder shared by the
pytest-xdist workers, and a file lock makes the first worker that needs a variant render it while
the others wait and reuse it. Tests must treat these shared renders as read-only (copy a project
before changing it, or render a private one with `render_fresh`).
"""

from __future__ import annotations

import hashlib
import json
import os
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from filelock import FileLock

from tests.helpers import PROJECT_DIR, default_variant, render, snapshot_template


class RenderError(Exception):
    """Copier failed to render a variant (the message holds Copier's error)."""


class Renders:
    """Renders shared by the xdist workers of one test run, keyed by answers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def template(self) -> Path:
        """A snapshot of the work tree's template, taken once per run."""
        src = self.root / "template-src"
        with FileLock(str(self.root / "template-src.lock")):
            if not (self.root / "template-src.done").exists():
                snapshot_template(src)
                (self.root / "template-src.done").touch()
        return src

    def get(self, answers: Mapping[str, str]) -> Path:
        """The project rendered with these answers (the rest defaults), rendering it if needed."""
        key = hashlib.sha256(json.dumps(dict(answers), sort_keys=True).encode()).hexdigest()[:16]
        project = self.root / "renders" / key / PROJECT_DIR
        done, failed = self.root / "renders" / f"{key}.done", self.root / "renders" / f"{key}.error"
        project.parent.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root / "renders" / f"{key}.lock")):
            if not done.exists() and not failed.exists():
                try:
                    render(self.template, project, answers)
                except Exception:
                    failed.write_text(traceback.format_exc(), encoding="utf-8")
                else:
                    done.touch()
        if failed.exists():
            raise RenderError(f"rendering {dict(answers)} failed:\n{failed.read_text('utf-8')}")
        return project


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Renders:
    base = tmp_path_factory.getbasetemp()
    # Under xdist every worker has its own base temp inside one shared folder of the run.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return Renders(shared / "template-renders")


@pytest.fixture(scope="session")
def template_src(renders: Renders) -> Path:
    """The template snapshot (a plain folder, no git) the tests render from."""
    return renders.template


@pytest.fixture
def render_fresh(template_src: Path, tmp_path: Path) -> Callable[..., Path]:
    """Render a private project (for tests that change it or need two renders)."""
    counter = 0

    def _render(answers: Mapping[str, str] | None = None, name: str = PROJECT_DIR) -> Path:
        nonlocal counter
        counter += 1
        return render(template_src, tmp_path / f"render{counter}" / name, answers or {})

    return _render


@pytest.fixture
def default_project(renders: Renders) -> Path:
    """The default variant, as a shared read-only render."""
    return renders.get(default_variant())
