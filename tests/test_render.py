"""The template renders: with `--defaults` through the CLI, and with every valid combination."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Renders
from tests.helpers import (
    PACKAGE,
    REPO,
    Answers,
    choice_values,
    copier_copy,
    default_variant,
    questions,
    read_answers,
    read_pyproject,
    variant_id,
    variants,
)

VARIANTS = variants()

# Files every variant has: entry points, settings, delivery (docs/content/generated-project.md).
COMMON_FILES = (
    ".copier-answers.yml",
    ".dockerignore",
    ".env",
    ".env.example",
    ".gitignore",
    ".github/workflows/ci.yml",
    ".pre-commit-config.yaml",
    ".python-version",
    "Dockerfile",
    "README.md",
    "compose.yaml",
    "pyproject.toml",
    f"src/{PACKAGE}/__init__.py",
    f"src/{PACKAGE}/__main__.py",
    f"src/{PACKAGE}/main.py",
    f"src/{PACKAGE}/core/settings.py",
    f"src/{PACKAGE}/settings.py",
    f"src/{PACKAGE}/core/errors.py",
    f"src/{PACKAGE}/core/logging.py",
    f"src/{PACKAGE}/health/router.py",
    f"src/{PACKAGE}/items/router.py",
    "tests/conftest.py",
)


def test_cli_defaults_render_the_default_service(tmp_path: Path) -> None:
    """What a user types: `copier copy --trust --defaults --vcs-ref HEAD <template> billing-api`."""
    dest = tmp_path / "billing-api"
    result = copier_copy("--vcs-ref", "HEAD", str(REPO), str(dest))
    assert result.returncode == 0, result.stderr[-3000:]
    answers = read_answers(dest)
    # `--defaults` names the service after the destination folder.
    assert answers["project_name"] == "Billing Api"
    assert answers["project_slug"] == "billing-api"
    assert answers["package_name"] == "billing_api"
    assert {axis: answers[axis] for axis in default_variant()} == default_variant()
    assert answers["python_version"] == questions()["python_version"]["default"]
    assert (dest / "src" / "billing_api" / "main.py").is_file()
    assert read_pyproject(dest)["project"]["name"] == "billing-api"
    # The message after copy tells the next commands to type.
    output = result.stdout + result.stderr
    for command in ("uv sync", "uv run pytest", "python -m billing_api serve"):
        assert command in output


def test_every_axis_value_is_rendered_by_some_variant() -> None:
    """A choice that no valid combination uses would be an option nobody can pick."""
    for axis in default_variant():
        offered = set(choice_values(questions()[axis]))
        used = {answers[axis] for answers in VARIANTS if axis in answers}
        assert used == offered, f"{axis}: {sorted(offered - used)} never renders"


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_variant_renders(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    missing = [name for name in COMMON_FILES if not (project / name).is_file()]
    assert not missing, f"missing files: {missing}"
    recorded = read_answers(project)
    assert {axis: recorded[axis] for axis in answers} == answers
    assert recorded["package_name"] == PACKAGE
    assert "_src_path" in recorded
    # python_version reaches the interpreter pin, requires-python and the ruff target.
    python = recorded["python_version"]
    assert (project / ".python-version").read_text(encoding="utf-8").strip() == python
    pyproject = read_pyproject(project)
    assert pyproject["project"]["requires-python"].startswith(f">={python}")
    target = pyproject.get("tool", {}).get("ruff", {}).get("target-version")
    assert target in (None, "py" + python.replace(".", ""))
