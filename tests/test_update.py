"""The update path: a service generated from one release follows the template to the next one with
`copier update`, and keeps every edit its team made.

Each test clones this repository into a temporary folder (its committed HEAD, as CI checks it out),
cuts releases there with temporary tags, generates a service at an older one, commits it like a
user would, and updates it. Scenarios (issue "The update path"):

1. user edits survive an update that brings a template change, and the service's tests still pass;
2. a real conflict ends with inline markers, and the service's pre-commit hook refuses them;
3. changing an answer through update adds/removes exactly that option's files and dependencies;
4. `copier check-update` reports the newer release;
5. a service generated at the real 0.1.0 follows 0.2.0's new layout: the Alembic revisions move
   with it, a removed module that held an edit is kept and listed (`_migrations`,
   extensions/migrations/relocate.py);

plus every release of this repository (CHANGELOG.md's dated sections, found by tag or by their
`Release X.Y.Z` commit in a clone without tags) still renders with today's Copier and extensions,
and `_migrations` carry a renamed question's answer across a release.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from extensions.migrations.relocate import Layout, add_header, move_folder
from extensions.migrations.rename_answers import migrate_file, parse_renames
from extensions.migrations.upgrade_notes import upgrade_notes
from tests.update_helpers import (
    CONFLICT_END,
    CONFLICT_START,
    PACKAGE,
    PROJECT_DIR,
    REPO,
    TemplateRepo,
    assert_service_tests_pass,
    commit_all,
    conflicted_files,
    copy_project,
    git,
    is_release_tag,
    is_shallow,
    project_files,
    read_answers,
    rejected_hunks,
    release_commit,
    release_tags,
    released_versions,
    run_uv,
    update_project,
)

OLD, NEW = "0.1.0", "0.2.0"


@pytest.fixture
def template(tmp_path: Path) -> TemplateRepo:
    """A clone of this repository whose HEAD is released as 0.1.0."""
    repo = TemplateRepo.clone(tmp_path / "template")
    repo.release(OLD)
    return repo


def generate(template: TemplateRepo, tmp_path: Path, ref: str = OLD, **data: str) -> Path:
    return copy_project(template, tmp_path / "projects" / PROJECT_DIR, ref, data)


def prepend_line(text: str, line: str, after: int) -> str:
    """`text` with `line` inserted after its first `after` lines."""
    lines = text.splitlines(keepends=True)
    return "".join([*lines[:after], line + "\n", *lines[after:]])


# --- 1. user edits survive an update ------------------------------------------------------------

USER_MODULE = '''"""Greetings: a module the service's team added after generating it."""


def greet(name: str) -> str:
    return f"Hello, {name}!"
'''
USER_TEST = f"""from {PACKAGE}.greetings import greet


def test_greet() -> None:
    assert greet("Ada") == "Hello, Ada!"
"""
USER_MAIN_EDIT = '\n# Team note: kept across template updates.\nTEAM = "billing"\n'
USER_README_PARAGRAPH = "Owned by the billing team; on call: #billing-oncall."

TEMPLATE_SECTION = "\n## Support\n\nAsk in #platform; security reports go to SECURITY.md.\n"
TEMPLATE_SECURITY = "# Security\n\nReport vulnerabilities privately to the platform team.\n"
TEMPLATE_INIT_LINE = '__template_feature__ = "0.2.0"\n'
UPGRADE_NOTE = "Run `uv lock` after this update: the release adds a dependency."


def release_template_change(template: TemplateRepo) -> None:
    """0.2.0: changes to files the user did not touch, to one they did, and a new file."""
    template.edit("template/.gitignore", lambda text: text + "\n# Scratch space\n.scratch/\n")
    template.edit(
        "template/README.md.jinja", lambda text: text.rstrip("\n") + "\n" + TEMPLATE_SECTION
    )
    template.edit(template.find("template/src/*/__init__.py*"), lambda t: t + TEMPLATE_INIT_LINE)
    # The initial migration changes too: the service's copy must not follow (it is history).
    template.edit(
        template.find("template/src/*/*migrations*/versions/0001_*"),
        lambda t: t + "# changed in 0.2.0\n",
    )
    template.write("template/SECURITY.md", TEMPLATE_SECURITY)
    template.edit(
        "CHANGELOG.md",
        lambda text: text.replace(
            "\n## [",
            f"\n## [{NEW}] - 2026-12-01\n\n### Upgrade notes\n\n- {UPGRADE_NOTE}\n\n## [",
            1,
        ),
    )
    template.release(NEW)


def test_update_keeps_every_user_edit(
    template: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = generate(template, tmp_path)
    package = project / "src" / PACKAGE
    env_before = (project / ".env").read_bytes()
    migration = next(package.glob("**/migrations/versions/0001_*.py"))
    migration_before = migration.read_bytes()

    # The team changes a generated module, adds its own module and test, edits the README and
    # deletes a generated file it does not use.
    main = package / "main.py"
    main.write_text(main.read_text(encoding="utf-8") + USER_MAIN_EDIT, encoding="utf-8")
    (package / "greetings.py").write_text(USER_MODULE, encoding="utf-8")
    (project / "tests" / "test_greetings.py").write_text(USER_TEST, encoding="utf-8")
    readme = project / "README.md"
    readme.write_text(
        prepend_line(readme.read_text(encoding="utf-8"), f"\n{USER_README_PARAGRAPH}", after=1),
        encoding="utf-8",
    )
    (project / "compose.yaml").unlink()
    commit_all(project, "Our changes")
    edited = {
        path: data
        for path, data in project_files(project).items()
        if path in {"tests/test_greetings.py", f"src/{PACKAGE}/greetings.py"}
    }

    release_template_change(template)
    capfd.readouterr()
    update_project(project)  # no --vcs-ref: the newest release, as a user runs it
    printed = "".join(capfd.readouterr())

    # The answers file records the new release.
    answers = read_answers(project)
    assert answers["_commit"] == NEW
    # Every user edit is still there.
    assert main.read_text(encoding="utf-8").endswith(USER_MAIN_EDIT)
    for path, data in edited.items():
        assert (project / path).read_bytes() == data, path
    readme_text = readme.read_text(encoding="utf-8")
    assert USER_README_PARAGRAPH in readme_text
    assert not (project / "compose.yaml").exists(), "a file the user deleted came back"
    # The template change is applied, in the files the user edited too.
    assert readme_text.endswith(TEMPLATE_SECTION)
    assert ".scratch/" in (project / ".gitignore").read_text(encoding="utf-8")
    assert (project / "SECURITY.md").read_text(encoding="utf-8") == TEMPLATE_SECURITY
    assert (package / "__init__.py").read_text(encoding="utf-8").endswith(TEMPLATE_INIT_LINE)
    # Files the user owns are left alone: .env (never a template file) and applied migrations.
    assert (project / ".env").read_bytes() == env_before
    assert migration.read_bytes() == migration_before
    # Nothing conflicted, so no markers and no rejected hunks anywhere.
    assert conflicted_files(project) == {}
    assert rejected_hunks(project) == []
    # The `_migrations` entry printed the release's upgrade notes.
    assert UPGRADE_NOTE in printed
    # The result is a working service.
    assert_service_tests_pass(project)


# --- 2. a real conflict ------------------------------------------------------------------------


def test_conflicting_edit_leaves_inline_markers_that_pre_commit_refuses(
    template: TemplateRepo, tmp_path: Path
) -> None:
    project = generate(template, tmp_path)
    readme = project / "README.md"
    readme.write_text(
        re.sub(
            r"^# .*$",
            "# Billing API (team edition)",
            readme.read_text("utf-8"),
            count=1,
            flags=re.M,
        ),
        encoding="utf-8",
    )
    commit_all(project, "Our title")
    # The template changes the same line.
    template.edit(
        "template/README.md.jinja",
        lambda text: re.sub(r"^# .*$", "# {{ project_name }} service", text, count=1, flags=re.M),
    )
    template.release(NEW)

    update_project(project)

    assert read_answers(project)["_commit"] == NEW
    conflicts = conflicted_files(project)
    assert list(conflicts) == ["README.md"], conflicts
    text = readme.read_text(encoding="utf-8")
    assert CONFLICT_START in text and CONFLICT_END in text
    assert "# Billing API (team edition)" in text and "# My Service service" in text
    # Git knows too: the file is unmerged until the user resolves it.
    assert "UU README.md" in git(project, "status", "--porcelain") or "AA README.md" in git(
        project, "status", "--porcelain"
    )

    # The service's pre-commit config refuses committing the markers, even outside a git merge
    # (copier update leaves none): check-merge-conflict with --assume-in-merge.
    hook_args, version = merge_conflict_hook(project)
    assert "--assume-in-merge" in hook_args
    git(project, "add", "README.md")  # the user marks it resolved without removing the markers
    refused = run_hook(project, version, hook_args, "README.md")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Merge conflict string" in refused.stdout + refused.stderr
    # Once resolved, the same hook lets the commit through.
    resolved = re.sub(
        rf"{re.escape(CONFLICT_START)}\n.*?=======\n(.*?){re.escape(CONFLICT_END)}\n",
        r"\1",
        text,
        flags=re.S,
    )
    readme.write_text(resolved, encoding="utf-8")
    accepted = run_hook(project, version, hook_args, "README.md")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def merge_conflict_hook(project: Path) -> tuple[list[str], str]:
    """The project's check-merge-conflict hook arguments, and the hooks' pinned version."""
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    for repo in config["repos"]:
        if repo["repo"].rstrip("/").endswith("pre-commit/pre-commit-hooks"):
            for hook in repo["hooks"]:
                if hook["id"] == "check-merge-conflict":
                    args = [str(arg) for arg in hook.get("args", [])]
                    return args, str(repo["rev"]).removeprefix("v")
    raise AssertionError("the service's pre-commit config has no check-merge-conflict hook")


def run_hook(
    project: Path, version: str, args: list[str], *files: str
) -> subprocess.CompletedProcess[str]:
    """Run the hook's own entry point at the pinned release (pre-commit would clone the hook
    repository from GitHub; its PyPI package is the same code and needs no network past PyPI)."""
    return run_uv(
        project,
        "tool",
        "run",
        "--from",
        f"pre-commit-hooks=={version}",
        "check-merge-conflict",
        *args,
        *files,
    )


# --- 3. changing an answer through update --------------------------------------------------------

ANSWER_CHANGES = [
    # auth=none keeps the service's own suite short (no password hashing); the answers under
    # test are the same as from the defaults.
    pytest.param(
        {"auth": "none", "database": "sqlite", "cache": "memory"},
        {"cache": "none"},
        {f"src/{PACKAGE}/cache/"},
        set(),
        id="cache=memory->none",
    ),
    pytest.param(
        {"auth": "none", "database": "sqlite", "cache": "none"},
        {"database": "none"},
        {f"src/{PACKAGE}/db/", f"src/{PACKAGE}/items/repository.py"},
        {"aiosqlite", "alembic", "sqlalchemy"},
        id="database=sqlite->none",
    ),
]


@pytest.mark.parametrize(("start", "change", "gone_paths", "gone_dependencies"), ANSWER_CHANGES)
def test_changing_an_answer_adds_and_removes_exactly_its_files(
    template: TemplateRepo,
    tmp_path: Path,
    start: dict[str, str],
    change: dict[str, str],
    gone_paths: set[str],
    gone_dependencies: set[str],
) -> None:
    project = generate(template, tmp_path, **start)
    before = project_files(project)

    update_project(project, data=change)  # copier update --defaults --data cache=none

    after = project_files(project)
    # Exactly what a fresh copy with the new answers has: same files, same contents.
    fresh = copy_project(template, tmp_path / "fresh" / PROJECT_DIR, OLD, {**start, **change})
    expected = project_files(fresh)
    for files in (after, expected):
        files.pop(".env")  # a random secret per copy
    assert sorted(after) == sorted(expected)
    assert [path for path in after if after[path] != expected[path]] == []
    # The option's own files and dependencies went, nothing else did.
    removed = set(before) - set(after) - {".env"}
    assert removed, "the answer change removed no file"
    for gone in gone_paths:
        assert any(path.startswith(gone) for path in removed), f"{gone} was not removed"
        assert not any(path.startswith(gone) for path in after), f"{gone} is still there"
    assert dependencies(before) - dependencies(after) == gone_dependencies
    answers = read_answers(project)
    assert {key: answers[key] for key in change} == change
    assert answers["_commit"] == OLD
    assert conflicted_files(project) == {}

    assert_service_tests_pass(project)


def test_an_answer_change_keeps_an_edited_file_it_drops(
    template: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """`--data cache=none` drops cache/; the module the user edited stays, with a note, listed."""
    project = generate(template, tmp_path)
    memory = project / "src" / PACKAGE / "cache" / "memory.py"
    append(memory, "\n# tuned for our traffic\n")
    commit_all(project, "tune the cache")
    capfd.readouterr()

    update_project(project, data={"cache": "none"})

    output = capfd.readouterr().out
    kept = memory.read_text(encoding="utf-8")
    assert kept.startswith("# ") and "kept for the edits you made" in kept
    assert kept.endswith("# tuned for our traffic\n")
    assert f"src/{PACKAGE}/cache/memory.py" in output
    assert not (project / "src" / PACKAGE / "cache" / "base.py").exists()  # unedited: removed


def dependencies(files: dict[str, bytes]) -> set[str]:
    """Distribution names of the project's runtime dependencies."""
    pyproject = tomllib.loads(files["pyproject.toml"].decode("utf-8"))
    names = set()
    for requirement in pyproject["project"]["dependencies"]:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert match, requirement
        names.add(re.sub(r"[-_.]+", "-", match.group(0)).lower())
    return names


# --- 4. copier check-update ---------------------------------------------------------------------


@dataclass
class Cli:
    returncode: int
    stdout: str
    stderr: str


def check_update(project: Path, *options: str) -> Cli:
    """`copier check-update [OPTIONS] PROJECT`: Copier's own command line, run in this process
    (a fresh interpreter would spend seconds compiling Copier when bytecode is not cached)."""
    from copier._cli import CopierApp

    capture = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(capture[0]), contextlib.redirect_stderr(capture[1]):
        _, returncode = CopierApp.run(
            ["copier", "check-update", *options, str(project)], exit=False
        )
    return Cli(int(returncode), capture[0].getvalue(), capture[1].getvalue())


def test_check_update_reports_the_newer_release(template: TemplateRepo, tmp_path: Path) -> None:
    project = generate(template, tmp_path)
    template.release(NEW)

    report = check_update(project)
    assert report.returncode == 0, report.stderr
    assert f"Current version is {OLD}, latest version is {NEW}" in report.stdout
    # What the generated workflow reads, and `--quiet`'s exit code: 2 means "update available".
    report = check_update(project, "--output-format", "json")
    assert json.loads(report.stdout) == {
        "update_available": True,
        "current_version": OLD,
        "latest_version": NEW,
    }
    assert check_update(project, "--quiet").returncode == 2

    update_project(project)
    report = check_update(project)
    assert (report.returncode, report.stdout.strip()) == (0, "Project is up-to-date!")


def test_generated_service_checks_for_updates_weekly(default_project: Path) -> None:
    """The generated workflow runs the same check on a schedule (and on demand)."""
    path = default_project / ".github" / "workflows" / "template-update.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["schedule"] and "workflow_dispatch" in triggers
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    commands = "\n".join(str(step.get("run", "")) for step in steps)
    assert "copier check-update" in commands and "copier-template-extensions" in commands


# --- Every release still renders ----------------------------------------------------------------
# The releases come from CHANGELOG.md and their commits from the history, so every clone renders
# the same ones, whether it has the tags or not (CI's fresh clone may have none).


def clone_with_release(tmp_path: Path, version: str) -> TemplateRepo:
    """A clone of this repository with `version` tagged on its 'Release X.Y.Z' commit, whether or
    not this clone has the tag."""
    commit = release_commit(version)
    if commit is None and is_shallow():
        pytest.skip(f"this shallow clone lacks the commit of {version}: git fetch --unshallow")
    assert commit, f"CHANGELOG.md releases {version}, but no commit is titled 'Release {version}'"
    template = TemplateRepo.clone(tmp_path / "template")
    git(template.path, "tag", version, commit)
    return template


@pytest.mark.parametrize("version", released_versions())
def test_every_release_renders_with_todays_toolchain(version: str, tmp_path: Path) -> None:
    template = clone_with_release(tmp_path, version)
    project = copy_project(template, tmp_path / PROJECT_DIR, version)

    assert read_answers(project)["_commit"] == version
    leftovers = [
        path
        for path, data in project_files(project).items()
        if re.search(rb"(?<!\$)\{\{|\{%", data) or path.endswith(".jinja")
    ]
    assert leftovers == []
    tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    # The release's own CHANGELOG has its entry.
    changelog = git(template.path, "show", f"{version}:CHANGELOG.md")
    assert re.search(rf"^## \[{re.escape(version)}\]", changelog, flags=re.M), version


def test_release_tags_are_canonical_pep_440_versions() -> None:
    assert is_release_tag("0.1.0") and is_release_tag("1.2.0rc1")
    assert not is_release_tag("v0.1.0") and not is_release_tag("0.1.0.0-dev")
    assert not is_release_tag("nightly") and not is_release_tag("1.0.0-rc.1")
    released = released_versions()
    assert released, "CHANGELOG.md records no release"
    assert [version for version in released if not is_release_tag(version)] == []
    # The tags this clone has (maybe none) follow the scheme, are in the CHANGELOG and sit on
    # their `Release X.Y.Z` commit (docs/content/releasing.md).
    tags = git(REPO, "tag", "--list").split()
    assert [tag for tag in tags if re.match(r"v?\d", tag) and not is_release_tag(tag)] == []
    for tag in release_tags():
        assert tag in released, f"tag {tag} has no dated section in CHANGELOG.md"
        tagged = git(REPO, "rev-parse", f"{tag}^{{commit}}").strip()
        assert tagged == release_commit(tag), f"tag {tag} is not on its 'Release {tag}' commit"


def test_a_release_is_found_without_its_tag(tmp_path: Path) -> None:
    """A clone without tags finds each release by its commit title."""
    clone = tmp_path / "no-tags"
    git(tmp_path, "clone", "--quiet", "--no-tags", str(REPO), str(clone))
    assert git(clone, "tag", "--list") == ""
    for version in released_versions(clone):
        found = release_commit(version, clone)
        assert found and found == release_commit(version), version
        assert git(clone, "show", "--no-patch", "--format=%s", found).startswith(
            f"Release {version}"
        )


# --- _migrations --------------------------------------------------------------------------------

RENAME_MIGRATION = """\
  - version: "{version}"
    when: "{{{{ _stage == 'before' }}}}"
    command: >-
      {{{{ _copier_python }}}}
      {{{{ _copier_conf.src_path }}}}/extensions/migrations/rename_answers.py
      {{{{ _copier_conf.answers_file }}}} author_email=maintainer_email
"""


def test_renamed_question_keeps_the_users_answer(template: TemplateRepo, tmp_path: Path) -> None:
    """A release renames `author_email` to `maintainer_email`; its `_migrations` entry carries the
    answer over, so `copier update --defaults` neither asks again nor falls back to the default."""
    email = "ada@billing.example"
    project = generate(template, tmp_path, author_email=email)

    # 0.2.0 renames the question everywhere and adds the migration (docs/content/releasing.md).
    renamed = re.compile(r"\bauthor_email\b")
    for path in [template.file("copier.yml"), *template.path.glob("template/**/*.jinja")]:
        text = path.read_text(encoding="utf-8")
        if renamed.search(text):
            path.write_text(renamed.sub("maintainer_email", text), encoding="utf-8")
    template.edit(
        "copier.yml",
        lambda text: text.replace(
            "\n_migrations:\n", "\n_migrations:\n" + RENAME_MIGRATION.format(version=NEW), 1
        ),
    )
    default = yaml.safe_load(template.file("copier.yml").read_text("utf-8"))["maintainer_email"]
    assert default["default"] != email
    template.release(NEW)

    update_project(project)

    answers = read_answers(project)
    assert answers["_commit"] == NEW
    assert answers.get("maintainer_email") == email
    assert "author_email" not in answers
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["authors"][0]["email"] == email


def test_rename_answers_script(tmp_path: Path) -> None:
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text("# header\n_commit: 0.1.0\nold: kept\nother: 1\n", encoding="utf-8")
    assert migrate_file(answers, parse_renames(["old=new"]))
    assert answers.read_text("utf-8").startswith("# header\n")
    assert yaml.safe_load(answers.read_text("utf-8")) == {
        "_commit": "0.1.0",
        "new": "kept",
        "other": 1,
    }
    assert not migrate_file(answers, parse_renames(["old=new"]))  # idempotent
    answers.write_text("old: stale\nnew: current\n", encoding="utf-8")
    migrate_file(answers, {"old": "new"})
    assert yaml.safe_load(answers.read_text("utf-8")) == {"new": "current"}
    with pytest.raises(ValueError, match="old_name=new_name"):
        parse_renames(["no-equals-sign"])


def test_upgrade_notes_of_the_releases_crossed() -> None:
    changelog = (
        "# Changelog\n\n## [Unreleased]\n\n### Upgrade notes\n\n- not yet\n\n"
        "## [0.3.0] - 2027-01-01\n\n### Added\n\n- x\n\n### Upgrade notes\n\n- three\n\n"
        "## [0.2.0] - 2026-12-01\n\n### Upgrade notes\n\n- two\n\n### Fixed\n\n- y\n\n"
        "## [0.1.0] - 2026-11-22\n\n### Upgrade notes\n\n- one\n"
    )
    notes = upgrade_notes(changelog, Version("0.1.0"), Version("0.3.0"))
    assert notes == [(Version("0.2.0"), "- two"), (Version("0.3.0"), "- three")]
    assert upgrade_notes(changelog, Version("0.3.0"), Version("0.3.0")) == []


# --- Across 0.2.0: a new layout -------------------------------------------------------------------
# 0.2.0 moved modules and the Alembic folder (extensions/migrations/layout-0.2.0.yml). A service
# generated at the real 0.1.0 release is updated to this working tree, released as 0.2.0.

LAYOUT_RELEASE = "0.2.0"
RELOCATE = REPO / "extensions" / "migrations" / "relocate.py"
LAYOUT_MAP = REPO / "extensions" / "migrations" / f"layout-{LAYOUT_RELEASE}.yml"
AUTH_EDIT = "\n\n# Team note: the login audit hook goes here.\n"
ITEMS_EDIT = "\n\n# Team note: items are archived, never deleted.\n"
OWN_REVISION = '''"""Our own change, applied to production after the initial migration."""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def run_relocate(project: Path, command: str) -> subprocess.CompletedProcess[str]:
    """The migration as Copier runs it: in the project, with the template's Python."""
    return subprocess.run(
        [sys.executable, str(RELOCATE), command, ".copier-answers.yml", str(LAYOUT_MAP)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def layout_template(tmp_path: Path) -> TemplateRepo:
    """A clone with the real 0.1.0 tagged on its `Release 0.1.0` commit and HEAD as 0.2.0."""
    template = clone_with_release(tmp_path, OLD)
    template.release(LAYOUT_RELEASE)
    return template


def test_update_to_the_new_layout_keeps_edits_and_migrations(
    layout_template: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = generate(layout_template, tmp_path)
    package = project / "src" / PACKAGE
    old_migrations = package / "db" / "migrations"
    initial = (old_migrations / "versions" / "0001_initial.py").read_bytes()
    layout = Layout.load(LAYOUT_MAP, {"package_name": PACKAGE})
    # The map names files of 0.1.0 (a folder when the key ends in /).
    for old in layout.moved:
        assert (project / old).is_dir() if old.endswith("/") else (project / old).is_file(), old

    # The team edits a module 0.2.0 removes and one it keeps, and adds a migration of its own.
    append(package / "auth" / "service.py", AUTH_EDIT)
    append(package / "items" / "service.py", ITEMS_EDIT)
    (old_migrations / "versions" / "0002_own.py").write_text(OWN_REVISION, encoding="utf-8")
    commit_all(project, "Our changes")

    capfd.readouterr()
    update_project(project)
    printed = "".join(capfd.readouterr())

    assert read_answers(project)["_commit"] == LAYOUT_RELEASE
    assert conflicted_files(project) == {}
    # The removed module that held an edit is kept, says why on top, and is listed with the edit
    # and its new place; the removed modules nobody edited are gone.
    kept = (package / "auth" / "service.py").read_text(encoding="utf-8")
    assert kept.endswith(AUTH_EDIT)
    assert kept.startswith("# ") and f"src/{PACKAGE}/accounts/service.py" in kept.split('"""')[0]
    assert f"  src/{PACKAGE}/auth/service.py\n    -> src/{PACKAGE}/accounts/service.py" in printed
    assert f"+{AUTH_EDIT.strip()}" in printed
    assert not (package / "auth" / "router.py").exists()
    assert not (package / "core" / "config.py").exists()
    # The module that stays is merged as usual: the edit is there, on the new release's code.
    items = (package / "items" / "service.py").read_text(encoding="utf-8")
    assert items.endswith(ITEMS_EDIT) and "class ItemService" in items
    # The applied history moved, untouched, to where the new env.py and pyproject.toml look; git
    # records the moves as renames, and nothing is left at the old place.
    versions = package / "migrations" / "versions"
    assert (versions / "0001_initial.py").read_bytes() == initial
    assert (versions / "0002_own.py").read_text(encoding="utf-8") == OWN_REVISION
    assert not old_migrations.exists()
    status = git(project, "status", "--porcelain")
    old_path = f"src/{PACKAGE}/db/migrations/versions/0002_own.py"
    assert f"R  {old_path} -> src/{PACKAGE}/migrations/versions/0002_own.py" in status
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["alembic"]["script_location"].endswith(f"src/{PACKAGE}/migrations")
    assert (package / "migrations" / "env.py").is_file()
    # Every place the map sends the user to exists.
    for place in layout.moved.values():
        for path in re.findall(rf"(?:src/{PACKAGE}|tests)/[\w/.]*\w/?", place):
            assert (project / path).exists(), f"{path} (layout map) does not exist in 0.2.0"
    # The release's upgrade notes are printed.
    changelog = layout_template.file("CHANGELOG.md").read_text(encoding="utf-8")
    notes = upgrade_notes(changelog, Version(OLD), Version(LAYOUT_RELEASE))
    assert [version for version, _ in notes] == [Version(LAYOUT_RELEASE)]
    assert notes[0][1] in printed

    # Both steps again: nothing to do, nothing printed, nothing changed.
    files = project_files(project)
    for command in ("move", "keep-edits"):
        done = run_relocate(project, command)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), command
    assert git(project, "status", "--porcelain") == status
    assert project_files(project) == files


def test_relocate_moves_a_folder_without_git(tmp_path: Path) -> None:
    old, new = tmp_path / "db" / "migrations" / "versions", tmp_path / "migrations" / "versions"
    for name in ("0001_initial.py", "0002_own.py", "data/seed.sql", "__pycache__/x.pyc"):
        (old / name).parent.mkdir(parents=True, exist_ok=True)
        (old / name).write_text(name, encoding="utf-8")
    new.mkdir(parents=True)
    (new / "0002_own.py").write_text("someone else's", encoding="utf-8")

    moved, left = move_folder(old, new, use_git=False)

    assert moved == [old / "0001_initial.py", old / "data" / "seed.sql"]
    assert left == [old / "0002_own.py"]  # never overwrites
    assert (new / "data" / "seed.sql").read_text(encoding="utf-8") == "data/seed.sql"
    assert sorted(path.name for path in old.rglob("*")) == ["0002_own.py"]  # caches went too
    assert move_folder(old, new, use_git=False) == ([], [old / "0002_own.py"])
    assert move_folder(tmp_path / "missing", new, use_git=False) == ([], [])


def test_layout_map_names_the_new_place() -> None:
    layout = Layout.load(LAYOUT_MAP, {"package_name": "billing"})
    assert layout.move == {"src/billing/db/migrations/versions": "src/billing/migrations/versions"}
    assert layout.new_place("src/billing/auth/router.py") == "src/billing/accounts/router.py"
    cached = layout.new_place("src/billing/users/status.py")
    assert cached and cached.startswith("src/billing/accounts/cached.py ")
    assert layout.new_place("src/billing/db/migrations/env.py") == "src/billing/migrations/env.py"
    assert layout.new_place("src/billing/items/service.py") is None


def test_kept_file_comment_goes_after_a_shebang(tmp_path: Path) -> None:
    script = tmp_path / "tool.py"
    script.write_text("#!/usr/bin/env python\nprint('hi')\n", encoding="utf-8")
    add_header(script, "# note\n")
    assert script.read_text(encoding="utf-8") == "#!/usr/bin/env python\n# note\nprint('hi')\n"
