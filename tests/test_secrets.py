"""No secret in the answers file or any file meant to be committed; a fresh SECRET_KEY in a
gitignored .env, different for every render."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.helpers import read_answers, read_text, rendered_files

SECRETISH_KEY = re.compile(r"secret|password|token|private|credential", re.IGNORECASE)


def env_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip("'\"")
    return values


def git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)


def test_env_has_a_fresh_secret_and_is_gitignored(render_fresh: Callable[..., Path]) -> None:
    first, second = render_fresh(), render_fresh()
    secrets = []
    for project in (first, second):
        env = env_values(project / ".env")
        example = env_values(project / ".env.example")
        # Only the secret: every other setting keeps its default and cannot go stale on update.
        assert env.keys() == {"SECRET_KEY"}
        assert "SECRET_KEY" in example
        secret = env["SECRET_KEY"]
        assert len(secret) >= 32
        assert secret != example["SECRET_KEY"]
        secrets.append(secret)
        # Only the owner may read it.
        assert (project / ".env").stat().st_mode & 0o077 == 0
    assert secrets[0] != secrets[1], "every render must get its own SECRET_KEY"

    # .gitignore keeps .env out of git, and keeps .env.example in.
    assert git(first, "init", "--quiet").returncode == 0
    assert git(first, "check-ignore", "--quiet", ".env").returncode == 0, ".env is not ignored"
    assert git(first, "check-ignore", "--quiet", ".env.example").returncode == 1
    assert git(first, "add", "--all").returncode == 0
    committed = git(first, "ls-files").stdout.split()
    assert ".env" not in committed
    assert ".copier-answers.yml" in committed


def test_answers_file_holds_no_secret(default_project: Path) -> None:
    answers = read_answers(default_project)
    assert not [key for key in answers if SECRETISH_KEY.search(key)]
    secret = env_values(default_project / ".env")["SECRET_KEY"]
    assert secret not in (default_project / ".copier-answers.yml").read_text(encoding="utf-8")


def test_only_env_holds_the_secret(default_project: Path) -> None:
    secret = env_values(default_project / ".env")["SECRET_KEY"]
    for path in rendered_files(default_project):
        if path.name != ".env":
            text = read_text(default_project / path)
            assert text is None or secret not in text, f"{path} holds the SECRET_KEY"
