"""Helpers of the update tests: a throwaway template repository that cuts releases, and generated
projects kept in git the way a user keeps them.

Everything happens in temporary folders: the template is a `git clone` of this repository plus a
commit of the working tree's uncommitted changes (tracked or untracked, minus .gitignore'd files),
so the update tests see the same template as every other template test; in CI's fresh checkout
that is simply HEAD. Release tags are made in the clone, never here, and the projects record the
clone's absolute path as `_src_path`. Nothing reaches the network except the generated services'
own `uv sync` and the pre-commit hook's package (PyPI, through the shared uv cache).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

from tools.matrix.environment import new_run_id, step_environment, variant_variables
from tools.matrix.runner import find_uv

REPO = Path(__file__).resolve().parents[1]
PROJECT_DIR = "my-service"
PACKAGE = "my_service"

# Copier's conflict markers in `inline` mode (the default).
CONFLICT_START = "<<<<<<< before updating"
CONFLICT_END = ">>>>>>> after updating"

# Where a generated project keeps things that are not its source (never compared or scanned).
LOCAL_STATE = {".git", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", "__pycache__"}

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Update Tests",
    "GIT_AUTHOR_EMAIL": "update-tests@example.com",
    "GIT_COMMITTER_NAME": "Update Tests",
    "GIT_COMMITTER_EMAIL": "update-tests@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` (no signing, no hooks) and return its output."""
    command = ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    command += ["-c", f"core.hooksPath={os.devnull}", *args]
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return done.stdout


def is_release_tag(tag: str) -> bool:
    """Release tags are PEP 440 versions in canonical form, without a `v`: `0.1.0`, `1.0.0rc1`."""
    try:
        return str(Version(tag)) == tag
    except InvalidVersion:
        return False


def release_tags(repo: Path = REPO) -> list[str]:
    """The release tags a clone has, oldest first: maybe none (tags are not always fetched)."""
    tags = [tag for tag in git(repo, "tag", "--list").split() if is_release_tag(tag)]
    return sorted(tags, key=Version)


# A released version's CHANGELOG heading: `## [0.1.0] - 2026-12-02` (not `- Unreleased`).
RELEASED_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - \d{4}-\d{2}-\d{2}\s*$", re.MULTILINE)


def released_versions(repo: Path = REPO) -> list[str]:
    """The versions CHANGELOG.md records as released, oldest first. Every clone has them, with
    or without tags."""
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    return sorted(RELEASED_HEADING.findall(changelog), key=Version)


def release_commit(version: str, repo: Path = REPO) -> str | None:
    """The commit that released `version`, found without tags: the commit of HEAD's history
    titled `Release <version>` (docs/content/releasing.md). None if the history lacks it."""
    log = git(repo, "log", "--format=%H %s", "HEAD")
    for line in log.splitlines():
        commit, _, subject = line.partition(" ")
        if subject == f"Release {version}" or subject.startswith(f"Release {version}:"):
            return commit
    return None


def is_shallow(repo: Path = REPO) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository").strip() == "true"


@dataclass
class TemplateRepo:
    """A clone of this repository in which tests edit the template and cut releases."""

    path: Path

    @classmethod
    def clone(cls, dst: Path, keep_tags: bool = False) -> TemplateRepo:
        git(dst.parent, "clone", "--quiet", "--no-hardlinks", str(REPO), str(dst))
        repo = cls(dst)
        repo._take_uncommitted_work()
        if not keep_tags:
            # Release numbers in these tests are the tests' own, whatever this repository has.
            for tag in git(dst, "tag", "--list").split():
                git(dst, "tag", "--delete", tag)
        return repo

    def _take_uncommitted_work(self) -> None:
        """Commit the working tree's uncommitted changes on top of the clone's HEAD."""
        listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for relpath in filter(None, listed.split("\0")):
            source, target = REPO / relpath, self.path / relpath
            if source.is_file() and not source.is_symlink():
                if not target.is_file() or target.read_bytes() != source.read_bytes():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
            elif not source.exists() and target.is_file():
                target.unlink()  # deleted in the working tree, not yet committed
        if git(self.path, "status", "--porcelain"):
            git(self.path, "add", "--all")
            git(self.path, "commit", "--quiet", "-m", "Uncommitted work of the working tree")

    def file(self, relpath: str) -> Path:
        return self.path / relpath

    def find(self, pattern: str) -> str:
        """The one file of the template repository matching a glob pattern, as a relative path."""
        found = sorted(self.path.glob(pattern))
        assert len(found) == 1, f"{pattern} matches {len(found)} files: {found}"
        return found[0].relative_to(self.path).as_posix()

    def edit(self, relpath: str, change: Callable[[str], str]) -> None:
        """Rewrite one file of the template repository; the change must change something."""
        path = self.file(relpath)
        before = path.read_text(encoding="utf-8")
        after = change(before)
        assert after != before, f"the edit of {relpath} changed nothing"
        path.write_text(after, encoding="utf-8")

    def write(self, relpath: str, text: str) -> None:
        path = self.file(relpath)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def release(self, version: str) -> str:
        """Commit every pending change (if any) and tag the result as `version`."""
        assert is_release_tag(version), version
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", f"Release {version}")
        git(self.path, "tag", version)
        return version


def answer_python_version() -> dict[str, str]:
    """`python_version` = this interpreter's, when the template offers it (no download needed)."""
    config = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    choices = config.get("python_version", {}).get("choices") or []
    values = choices.values() if isinstance(choices, dict) else choices
    offered = {str(choice) for choice in values}
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return {"python_version": version} if version in offered else {}


def copy_project(
    template: TemplateRepo, dst: Path, vcs_ref: str, data: Mapping[str, Any] | None = None
) -> Path:
    """`copier copy --trust --defaults --vcs-ref REF`, then `git init` and a first commit."""
    from copier import Settings, run_copy

    answers = {**answer_python_version(), **(data or {})}
    run_copy(
        str(template.path),
        dst,
        data=answers,
        vcs_ref=vcs_ref,
        defaults=True,
        unsafe=True,
        quiet=True,
        settings=Settings(),
    )
    git(dst, "init", "--quiet", "--initial-branch=main")
    commit_all(dst, "Generate the service")
    return dst


def update_project(project: Path, **kwargs: Any) -> None:
    """`copier update --trust --defaults` (any other option as keyword arguments)."""
    from copier import Settings, run_update

    options: dict[str, Any] = {
        "overwrite": True,
        "unsafe": True,
        "defaults": True,
        "quiet": True,
        "settings": Settings(),
    }
    run_update(str(project), **{**options, **kwargs})


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--allow-empty", "-m", message)


def read_answers(project: Path) -> dict[str, Any]:
    data = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def project_files(project: Path) -> dict[str, bytes]:
    """Every file of a project that git would see (local state excluded), by relative path."""
    files = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not LOCAL_STATE.intersection(relative.parts):
            files[relative.as_posix()] = path.read_bytes()
    return files


def conflicted_files(project: Path) -> dict[str, list[int]]:
    """Files that hold Copier's inline conflict markers, with the line numbers of the markers."""
    found: dict[str, list[int]] = {}
    for relpath, data in project_files(project).items():
        lines = data.decode("utf-8", errors="replace").splitlines()
        markers = [
            number
            for number, line in enumerate(lines, start=1)
            if line.rstrip() in {CONFLICT_START, CONFLICT_END} or line.startswith("<<<<<<< ")
        ]
        if markers:
            found[relpath] = markers
    return found


def rejected_hunks(project: Path) -> list[str]:
    """`*.rej` files: hunks `git apply` could not place (`--conflict rej` mode only)."""
    return [path for path in project_files(project) if path.endswith(".rej")]


def base_python() -> str:
    """The interpreter behind this test run (not its virtualenv), for the generated services."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidate = Path(sys.base_prefix) / "bin" / name
    return str(candidate) if candidate.is_file() else sys.executable


def service_environment() -> dict[str, str]:
    """The environment of a generated service's own commands (the matrix's, plus our Python)."""
    env = step_environment(variant_variables((), new_run_id()))
    env["UV_PYTHON"] = base_python()
    return env


def run_uv(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_uv(), *args],
        cwd=project,
        env=service_environment(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def assert_service_tests_pass(project: Path) -> None:
    """`uv sync` and the generated service's own test suite, as its README says."""
    for args in (
        ("sync", "--quiet"),
        ("run", "--no-sync", "pytest", "-x", "-q", "-p", "no:cacheprovider"),
    ):
        done = run_uv(project, *args)
        output = (done.stdout + done.stderr)[-6000:]
        assert done.returncode == 0, f"`uv {' '.join(args)}` failed in {project}:\n{output}"
