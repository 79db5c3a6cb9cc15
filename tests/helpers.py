"""Shared helpers of the template tests: the variant list, rendering, reading rendered projects."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path, PurePath
from typing import Any

import yaml

from tools.matrix.enumeration import (
    PROJECT_DIR_NAME,
    Enumeration,
    Variant,
    enumerate_variants,
)
from tools.matrix.runner import render as matrix_render

# Re-exported: the tests (and quick experiments) take the snapshot from here.
from tools.matrix.runner import snapshot_template as snapshot_template

REPO = Path(__file__).resolve().parents[1]
COPIER_YML = REPO / "copier.yml"

# Every variant renders into a folder of this name; `--defaults` derives the names from it.
PROJECT_DIR = PROJECT_DIR_NAME
PACKAGE = PROJECT_DIR.replace("-", "_")

Answers = dict[str, Any]


@cache
def copier_config() -> dict[str, Any]:
    data = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def questions() -> dict[str, dict[str, Any]]:
    """The questions of copier.yml (every key that is not a `_setting`), in order."""
    return {
        name: spec
        for name, spec in copier_config().items()
        if not name.startswith("_") and isinstance(spec, dict)
    }


def choice_values(spec: Mapping[str, Any]) -> list[str]:
    """The answer values a question offers (copier accepts a list or a label -> value mapping,
    whose value may be `{value: ..., validator: ...}`)."""
    choices = spec.get("choices") or []
    values = choices.values() if isinstance(choices, dict) else choices
    return [str(value["value"] if isinstance(value, dict) else value) for value in values]


def choice_validators(spec: Mapping[str, Any]) -> dict[str, str]:
    """The per-choice validators of a question, by choice value."""
    choices = spec.get("choices") or {}
    values = choices.values() if isinstance(choices, dict) else choices
    return {
        str(value["value"]): str(value["validator"])
        for value in values
        if isinstance(value, dict) and "validator" in value
    }


@cache
def enumeration() -> Enumeration:
    return enumerate_variants(REPO)


def variants() -> tuple[Answers, ...]:
    """Every valid combination of the primary axes (the matrix machinery's enumeration, computed
    from copier.yml's choices and validators by Copier itself), the default one first."""
    return tuple(variant.data for variant in enumeration().variants)


def default_variant() -> Answers:
    """The primary axes' default answers."""
    default = enumeration().default
    assert default is not None, "the default answers are not a valid combination"
    return default.data


def variant_id(answers: Mapping[str, Any]) -> str:
    """Test id of a variant, the matrix's slug: `auth-jwt__database-sqlite__…` (`-k auth-none`)."""
    return Variant(answers=tuple(answers.items())).slug


def render(src: Path, dst: Path, answers: Mapping[str, Any]) -> Path:
    """Render the template at `src` into `dst` with `answers`, the rest defaults (`--defaults`)."""
    matrix_render(src, dst, dict(answers), vcs_ref=None)
    return dst


def rendered_files(project: Path) -> Iterator[Path]:
    """Every file of a rendered project, as paths relative to it."""
    for path in sorted(project.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(project).parts:
            yield path.relative_to(project)


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_answers(project: Path) -> dict[str, Any]:
    data = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def read_pyproject(project: Path) -> dict[str, Any]:
    return tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def distribution_names(requirements: list[Any]) -> set[str]:
    """Normalized distribution names of PEP 508 requirements (include-group tables skipped)."""
    names = set()
    for requirement in requirements:
        if isinstance(requirement, str) and (match := _REQUIREMENT_NAME.match(requirement)):
            names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def all_dependencies(project: Path) -> set[str]:
    """Every distribution the rendered project depends on: runtime, extras and dependency groups."""
    pyproject = read_pyproject(project)
    project_table = pyproject.get("project", {})
    requirements: list[Any] = list(project_table.get("dependencies", []))
    for extra in project_table.get("optional-dependencies", {}).values():
        requirements += extra
    for group in pyproject.get("dependency-groups", {}).values():
        requirements += group
    return distribution_names(requirements)


def copier_copy(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `copier copy --trust --defaults ARGS` through the CLI, as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def ruff() -> list[str]:
    """Command prefix running the ruff of the repository's environment."""
    return [sys.executable, "-m", "ruff"]


# An import statement as ruff format writes it (a parenthesized name list may span lines). A regex,
# not ast: the test runner's Python may be older than the variant's (PEP 695 syntax in 3.12+ code).
IMPORT_STATEMENT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<module>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|.*)"
    r"|import[ \t]+(?P<modules>.*))$",
    re.MULTILINE,
)


def _names(text: str) -> list[str]:
    """`a as b, c  # note` -> [a, c]."""
    text = re.sub(r"#.*", "", text).strip("() \n")
    return [item.split()[0] for item in text.replace("\n", " ").split(",") if item.strip()]


def imported_modules(path: PurePath, source: str) -> set[str]:
    """Absolute names of every module a Python file imports (relative imports resolved)."""
    parts = list(path.with_suffix("").parts)
    if parts[0] == "src":
        parts = parts[1:]
    package = parts[:-1]  # the package the file belongs to
    names: set[str] = set()
    for match in IMPORT_STATEMENT.finditer(source):
        if match["modules"] is not None:
            names.update(_names(match["modules"]))
            continue
        module = match["module"]
        level = len(module) - len(module.lstrip("."))
        if level:
            base = package[: len(package) - level + 1]
            module = ".".join([*base, *([module[level:]] if module[level:] else [])])
        names.add(module)
        # `from pkg import cache` may import a submodule.
        names.update(f"{module}.{name}" for name in _names(match["names"]))
    return names
