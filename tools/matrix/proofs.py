"""Passes kept across runs (`--ledger FILE`): the full matrix takes hours on a small machine, so
it can be proven a part at a time and stay proven while the template does not change it.

A variant that passed every check is recorded by its label with the digest of the files the
template rendered for it. A later run that renders the same files for that label takes the
recorded pass instead of running the checks again; one changed byte of its render runs them.

The digest covers every rendered file, by path and content, except the answers file (its
`_commit` names the template's commit, new with every commit) and the values of the secrets the
copy writes to `.env` (random in every copy; their names are covered). It does not cover what
`uv sync` resolves (a rendered service states version ranges, not a lock) nor the servers'
versions: each pass keeps its date, and CI runs its `ci` subset without a ledger on every commit,
which meets a new release of a dependency the day it comes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extensions.write_env import RANDOM_SETTINGS

ANSWERS_FILE = ".copier-answers.yml"
ENV_FILE = ".env"
RANDOM_VALUE = re.compile(
    rb"^(" + b"|".join(name.encode() for name in RANDOM_SETTINGS) + rb")=.*$", re.M
)


def render_digest(project: Path) -> str:
    """SHA-256 of a freshly rendered project: sorted relative paths and their bytes."""
    digest = hashlib.sha256()
    for path in _rendered_files(project):
        name = path.relative_to(project).as_posix()
        digest.update(name.encode() + b"\0")
        content = path.read_bytes()
        if name == ENV_FILE:
            content = RANDOM_VALUE.sub(rb"\1=", content)
        digest.update(content + b"\0")
    return digest.hexdigest()


def _rendered_files(project: Path) -> Iterator[Path]:
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.name != ANSWERS_FILE:
            yield path


def template_commit(template_root: Path) -> str:
    """The template's commit, with `+dirty` when uncommitted changes were rendered too."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=template_root, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


@dataclass(frozen=True)
class Proof:
    digest: str
    commit: str
    date: str
    seconds: float

    @property
    def text(self) -> str:
        return f"proven {self.date} at {self.commit}"


class Ledger:
    """A JSON file of proofs, one per variant label."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.proofs: dict[str, Proof] = {}
        if path.exists():
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            self.proofs = {label: Proof(**proof) for label, proof in data["proofs"].items()}

    def proof(self, label: str, digest: str) -> Proof | None:
        """The pass of `label` recorded for exactly these rendered files, if any."""
        found = self.proofs.get(label)
        return found if found is not None and found.digest == digest else None

    def record(self, label: str, digest: str, commit: str, seconds: float) -> None:
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        self.proofs[label] = Proof(digest, commit, today, round(seconds, 1))

    def forget(self, label: str) -> None:
        self.proofs.pop(label, None)

    def save(self) -> None:
        data = {
            "proofs": {
                label: vars(self.proofs[label]) for label in sorted(self.proofs, key=str.lower)
            }
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a run killed mid-write leaves the previous ledger whole.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        partial.replace(self.path)
