"""Copier migration: keep the user's answer when a release renames a question.

A release that renames a question adds one `_migrations` entry to copier.yml (see
docs/content/releasing.md):

    - version: "0.4.0"
      when: "{{ _stage == 'before' }}"
      command: >-
        {{ _copier_python }} {{ _copier_conf.src_path }}/extensions/migrations/rename_answers.py
        {{ _copier_conf.answers_file }} old_name=new_name

Copier runs it in the project, before the update, only for projects that cross that release. It
reads the answers file again afterwards, so the new template sees the user's answer under the new
name instead of asking again (or taking the default with `--defaults`). An answer already stored
under the new name wins, and running it twice changes nothing. Copier rewrites the whole answers
file at the end of the update, so only its content matters here, not its formatting.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


def parse_renames(arguments: Sequence[str]) -> dict[str, str]:
    """`old=new` arguments as a mapping; refuses anything else."""
    renames: dict[str, str] = {}
    for argument in arguments:
        old, sep, new = argument.partition("=")
        if not (sep and old.isidentifier() and new.isidentifier()) or old == new:
            raise ValueError(f"expected old_name=new_name, got {argument!r}")
        renames[old] = new
    return renames


def rename_answers(answers: Mapping[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """The answers with each old key renamed (dropped when the new key already has an answer)."""
    result = dict(answers)
    for old, new in renames.items():
        if old in result:
            value = result.pop(old)
            result.setdefault(new, value)
    return result


def migrate_file(path: Path, renames: Mapping[str, str]) -> bool:
    """Rename answers in the answers file at `path`; True if it changed."""
    text = path.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    if not isinstance(answers, dict):
        raise ValueError(f"{path}: not a mapping of answers")
    migrated = rename_answers(answers, renames)
    if migrated == answers:
        return False
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    body = yaml.safe_dump(migrated, sort_keys=True, allow_unicode=True, default_flow_style=False)
    path.write_text(header + body, encoding="utf-8")
    return True


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2:
        print("usage: rename_answers.py ANSWERS_FILE OLD=NEW [OLD=NEW ...]", file=sys.stderr)
        return 2
    path, renames = Path(argv[0]), parse_renames(argv[1:])
    if migrate_file(path, renames):
        done = ", ".join(f"{old} -> {new}" for old, new in renames.items())
        print(f"Renamed answers in {path}: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
