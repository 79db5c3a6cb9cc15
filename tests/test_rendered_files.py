"""Every rendered file of every variant reads as if written by hand: no Jinja left, tidy whitespace,
ruff format and ruff check clean under the generated project's own configuration."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path, PurePath

import pytest

from tests.conftest import Renders
from tests.helpers import (
    PACKAGE,
    Answers,
    imported_modules,
    read_pyproject,
    read_text,
    rendered_files,
    ruff,
    variant_id,
    variants,
)

VARIANTS = variants()

JINJA_DELIMITER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
# GitHub Actions expressions (`${{ matrix.python }}`) are the one legit `{{ }}` in a rendered file.
ACTIONS_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def leftover_jinja(path: PurePath, text: str) -> list[str]:
    """Lines of a rendered file that still hold a Jinja delimiter.

    Legit look-alikes, and only these, are allowed:
    - `${{ … }}` GitHub Actions expressions in YAML files under .github/;
    - `}}` with no `{{` before it on the line: the closing of nested literals (`{"a": {"b": 1}}`);
    - `${#` in shell code (the length of a variable).
    """
    actions = path.parts[0] == ".github" and path.suffix in {".yml", ".yaml"}
    problems = []
    for lineno, line in enumerate(text.splitlines(), 1):
        scan = ACTIONS_EXPRESSION.sub("", line) if actions else line
        for match in JINJA_DELIMITER.finditer(scan):
            before = scan[: match.start()]
            if match.group() == "}}" and "{{" not in before:
                continue
            if match.group() == "{#" and before.endswith("$"):
                continue
            problems.append(f"{path}:{lineno}: {line.strip()}")
            break
    return problems


def whitespace_problems(path: PurePath, text: str) -> list[str]:
    """Traces of Jinja whitespace handling: blank-line runs, stray edges, trailing spaces."""
    if not text:
        return []  # an empty file (e.g. a marker __init__.py) is fine
    problems = []
    if "\n\n\n\n" in text:
        lineno = text[: text.index("\n\n\n\n")].count("\n") + 2
        problems.append(f"{path}:{lineno}: a run of 3 or more blank lines")
    if text.startswith("\n"):
        problems.append(f"{path}:1: starts with a blank line")
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append(f"{path}: must end with exactly one newline")
    for lineno, line in enumerate(text.splitlines(), 1):
        if line != line.rstrip():
            problems.append(f"{path}:{lineno}: trailing whitespace")
            break
    return problems


def test_leftover_jinja_detector() -> None:
    """The detector itself: catches leftovers, spares the legit look-alikes."""
    py, workflow, sh = (
        PurePath("src/app/x.py"),
        PurePath(".github/workflows/ci.yml"),
        PurePath("a.sh"),
    )
    for leftover in (
        "name = '{{ project_name }}'",
        "{% if has_db %}",
        "{%- endif %}",
        "{# note #}",
    ):
        assert leftover_jinja(py, leftover), leftover
    assert leftover_jinja(workflow, "run: echo {{ package_name }}")
    assert leftover_jinja(PurePath("ci.yml"), "python: ${{ matrix.python }}")
    assert not leftover_jinja(workflow, "python-version: ${{ matrix.python }}")
    assert not leftover_jinja(py, 'body = {"error": {"code": "not_found"}}')
    assert not leftover_jinja(sh, 'echo "${#ARGS[@]}"')


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_no_leftover_jinja(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    problems = []
    for path in rendered_files(project):
        if JINJA_DELIMITER.search(str(path)):
            problems.append(f"{path}: unrendered file name")
        text = read_text(project / path)
        if text is not None:
            problems += leftover_jinja(path, text)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_no_template_files_left(renders: Renders, answers: Answers) -> None:
    """Nothing of the template machinery reaches the project: no .jinja suffix, no copier files."""
    project = renders.get(answers)
    leftovers = [
        str(path)
        for path in rendered_files(project)
        if path.suffix == ".jinja" or path.name in {"copier.yml", "copier.yaml"}
    ]
    assert not leftovers


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_whitespace(renders: Renders, answers: Answers) -> None:
    project = renders.get(answers)
    problems = []
    for path in rendered_files(project):
        text = read_text(project / path)
        if text is not None:
            problems += whitespace_problems(path, text)
    assert not problems, "\n".join(problems)


def run_ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # --no-cache: the renders are shared between tests and must stay as rendered.
    return subprocess.run(
        [*ruff(), *args, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_ruff_format_clean(renders: Renders, answers: Answers) -> None:
    result = run_ruff(renders.get(answers), "format", "--diff")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_ruff_check_clean(renders: Renders, answers: Answers) -> None:
    result = run_ruff(renders.get(answers), "check", "--output-format", "concise")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_generated_project_configures_its_linters(default_project: Path) -> None:
    """`ruff check` above is only as strict as the generated configuration (issue 2's rule set)."""
    tool = read_pyproject(default_project)["tool"]
    selected = set(tool["ruff"]["lint"]["select"])
    assert {"E", "F", "I", "UP", "B", "SIM", "S", "ASYNC", "RUF"} <= selected
    assert tool["mypy"]["strict"] is True
    assert "pydantic.mypy" in tool["mypy"]["plugins"]


def import_graph(project: Path) -> dict[str, dict[str, str]]:
    """The imports between the package's top-level parts (a subpackage, or a module beside them):
    {part: {imported part: the first file that imports it}}."""
    package = project / "src" / PACKAGE
    parts = {path.stem for path in package.iterdir() if path.suffix == ".py" or path.is_dir()}
    parts -= {"__init__", "__pycache__"}
    graph: dict[str, dict[str, str]] = {part: {} for part in parts}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(project)
        part = relative.parts[2].removesuffix(".py")
        if part not in graph:
            continue
        for module in sorted(imported_modules(relative, path.read_text(encoding="utf-8"))):
            names = module.split(".")
            if names[0] == PACKAGE and len(names) > 1 and names[1] in parts and names[1] != part:
                graph[part].setdefault(names[1], str(relative))
    return graph


def import_cycle(graph: dict[str, dict[str, str]]) -> list[str]:
    """One circle of imports between parts (each part then the one it imports), or []."""
    done: set[str] = set()

    def visit(part: str, path: list[str]) -> list[str]:
        if part in path:
            return [*path[path.index(part) :], part]
        if part in done:
            return []
        for imported in sorted(graph[part]):
            if cycle := visit(imported, [*path, part]):
                return cycle
        done.add(part)
        return []

    for part in sorted(graph):
        if cycle := visit(part, []):
            return cycle
    return []


def test_import_cycle_detector() -> None:
    assert import_cycle({"a": {"b": "a.py"}, "b": {"c": "b.py"}, "c": {}}) == []
    graph = {"a": {"b": "a.py"}, "b": {"c": "b/x.py"}, "c": {"b": "c/y.py"}}
    assert import_cycle(graph) == ["b", "c", "b"]


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_imports_run_one_way(renders: Renders, answers: Answers) -> None:
    # Each part stands above what it imports (docs/generated-project.md): no part imports,
    # even through others, a part that imports it, by any import (TYPE_CHECKING and those inside
    # functions included).
    graph = import_graph(renders.get(answers))
    cycle = import_cycle(graph)
    steps = [f"{a} -> {b} ({graph[a][b]})" for a, b in itertools.pairwise(cycle)]
    assert not cycle, "parts that import each other: " + "; ".join(steps)
