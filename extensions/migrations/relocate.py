"""Copier migration: a release that moves or removes generated files loses none of the user's work.

Copier's update replays the user's edits onto the new release only in files the new release still
renders. A file it no longer renders is deleted, edited or not, and the user's own files in a
folder that moved stay behind. A release that moves files describes it in a map,
extensions/migrations/layout-X.Y.Z.yml, and adds two `_migrations` entries for that version
(docs/content/releasing.md) that run this script in the project:

- `move`, before the update: every file under a `move:` folder goes to the same place under its
  new folder (`git mv`), so files the user owns, such as applied Alembic revisions, follow the
  new layout (and `_skip_if_exists` keeps them);
- `keep-edits`, after the update: a file the update deleted whose committed content differs from
  what the previous release rendered held the user's edits. It is restored from git HEAD, a
  comment on top says why, and the list printed shows the edits and where that code lives now
  (`moved:`).

Both are idempotent and print nothing when there is nothing to do. `move` works without git (a
plain rename); `keep-edits` needs it, as `copier update` does.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = "copier-fastapi"
USAGE = "usage: relocate.py move ANSWERS_FILE LAYOUT_FILE | keep-edits ANSWERS_FILE [LAYOUT_FILE]"


@dataclass(frozen=True)
class Layout:
    """A release's map. Paths are relative to the project; `{answer}` is replaced by the answer."""

    # Folders whose files move before the update: old folder -> new folder.
    move: dict[str, str]
    # Where the code of an old file lives now: a file, or a folder ending in `/` for every file in
    # it; a value ending in `/` keeps the file name, any other value is said as it is.
    moved: dict[str, str]

    @classmethod
    def load(cls, path: Path, answers: Mapping[str, Any]) -> Layout:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

        def section(name: str) -> dict[str, str]:
            entries = (data.get(name) or {}).items()
            return {str(k).format_map(answers): str(v).format_map(answers) for k, v in entries}

        return cls(section("move"), section("moved"))

    def new_place(self, path: str) -> str | None:
        if path in self.moved:
            return self.moved[path]
        folders = [key for key in self.moved if key.endswith("/") and path.startswith(key)]
        if not folders:
            return None
        folder = max(folders, key=len)
        target = self.moved[folder]
        return target + path[len(folder) :] if target.endswith("/") else target


def git(*args: str, check: bool = True) -> bytes:
    done = subprocess.run(["git", "--literal-pathspecs", *args], capture_output=True, check=False)
    if check and done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def in_git_work_tree() -> bool:
    try:
        return git("rev-parse", "--is-inside-work-tree", check=False).strip() == b"true"
    except OSError:  # no git at all
        return False


def committed(path: str) -> bytes | None:
    """The content of `path` (relative to the current folder) in HEAD, None if it has none."""
    done = subprocess.run(["git", "show", f"HEAD:./{path}"], capture_output=True, check=False)
    return done.stdout if done.returncode == 0 else None


def release_to() -> str:
    version = os.environ.get("VERSION_PEP440_TO", "")
    return f"{TEMPLATE} {version}" if version else TEMPLATE


# --- move ----------------------------------------------------------------------------------------


def move_folder(source: Path, target: Path, use_git: bool) -> tuple[list[Path], list[Path]]:
    """Move each file under `source` to the same place under `target`: (moved, left), where
    `left` are files not moved because `target` already has a file of that name."""
    if not source.is_dir():
        return [], []
    tracked: set[Path] = set()
    if use_git:
        listed = git("ls-files", "-z", "--", source.as_posix()).decode()
        tracked = {Path(name) for name in listed.split("\0") if name}
    moved: list[Path] = []
    left: list[Path] = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        destination = target / relative
        if destination.exists():
            left.append(path)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path in tracked:
            git("mv", "--", path.as_posix(), destination.as_posix())
        else:
            path.rename(destination)
        moved.append(path)
    # Bytecode of the moved modules is stale; folders left empty go too.
    for cache in list(source.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    folders = [source, *(path for path in source.rglob("*") if path.is_dir())]
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        with suppress(OSError):
            folder.rmdir()
    return moved, left


def move(layout: Layout) -> None:
    use_git = in_git_work_tree()
    for old, new in layout.move.items():
        moved, left = move_folder(Path(old), Path(new), use_git)
        if moved:
            files = f"{len(moved)} file" + ("s" if len(moved) > 1 else "")
            how = " (git mv)" if use_git else ""
            print(f"Moved {files} from {old}/ to {new}/{how}, where {release_to()} has them.")
        for path in left:
            print(f"Not moved: {path} ({new}/ already has a file of that name); move it by hand.")


# --- keep-edits ----------------------------------------------------------------------------------


def render_release(answers: Mapping[str, Any], dst: Path) -> None:
    """What the release recorded in `answers` renders with those answers (no tasks)."""
    from copier import run_copy

    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    run_copy(
        str(answers["_src_path"]),
        dst,
        data=data,
        vcs_ref=str(answers["_commit"]),
        defaults=True,
        overwrite=True,
        quiet=True,
        unsafe=True,
        skip_tasks=True,
    )


def header(new_place: str | None) -> str:
    """The comment put on top of a kept Python file."""
    where = new_place or "where that code lives now"
    text = (
        f"{release_to()} no longer generates this file: it is kept for the edits you made to it. "
        f"Port them to {where}, then delete this file."
    )
    lines = textwrap.wrap(text, 97, break_long_words=False, break_on_hyphens=False)
    return "".join(f"# {line}\n" for line in lines)


def add_header(path: Path, comment: str) -> None:
    """Insert `comment` after a shebang or coding line, if any (they must stay first)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    keep = 0
    while keep < min(2, len(lines)) and lines[keep].startswith(("#!", "# -*-", "# vim:")):
        keep += 1
    path.write_text("".join([*lines[:keep], comment, *lines[keep:]]), encoding="utf-8")


def user_diff(path: str, old: bytes, mine: bytes, release: str) -> list[str]:
    try:
        before, after = old.decode("utf-8"), mine.decode("utf-8")
    except UnicodeDecodeError:
        return []
    return list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            f"{path} (as {release} generated it)",
            f"{path} (yours)",
            lineterm="",
        )
    )


def keep_edits(layout: Layout, answers: Mapping[str, Any]) -> None:
    # The update changed the work tree only (and `move` the index): a file of the index missing
    # from the work tree is one the update deleted.
    listed = git("ls-files", "-z", "--deleted").decode()
    deleted = sorted({name for name in listed.split("\0") if name})
    if not deleted:
        return
    release = f"{TEMPLATE} {answers.get('_commit', '')}".strip()
    kept: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="relocate.") as tmp:
        old_copy: Path | None = Path(tmp) / Path.cwd().name
        try:
            render_release(answers, Path(tmp) / Path.cwd().name)
        except Exception as error:  # an edit is never lost because the old release won't render
            print(f"Could not render {release} to tell your edits apart ({error}): keeping all.")
            old_copy = None
        for path in deleted:
            mine = committed(path)
            if mine is None:
                continue
            if old_copy is None:
                kept[path] = []
                continue
            old = (old_copy / path).read_bytes() if (old_copy / path).is_file() else b""
            if mine != old:
                kept[path] = user_diff(path, old, mine, release)
    if not kept:
        return

    git("checkout", "HEAD", "--", *kept)
    for path in kept:
        with suppress(FileNotFoundError):
            Path(f"{path}.rej").unlink()  # `--conflict rej`: the user's own hunks, kept anyway
        if path.endswith(".py"):
            add_header(Path(path), header(layout.new_place(path)))
    print(
        "\n"
        + textwrap.fill(
            f"{release_to()} no longer generates these files, which held your edits. They are kept"
            " as you committed them (a Python file with a comment on top that says so): port your"
            " edits to the new place, then delete the file.",
            99,
        )
        + "\n"
    )
    for path, diff in kept.items():
        place = layout.new_place(path)
        print(f"  {path}" + (f"\n    -> {place}" if place else ""))
        for line in diff:
            print(f"      {line}")
        print()


def main(argv: Sequence[str]) -> int:
    valid = (len(argv) == 3 and argv[0] == "move") or (
        len(argv) in {2, 3} and argv[0] == "keep-edits"
    )
    if not valid:
        print(USAGE, file=sys.stderr)
        return 2
    command, answers_file = argv[0], Path(argv[1])
    layout_file = Path(argv[2]) if len(argv) == 3 else None
    if command == "move" and layout_file is not None:
        answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
        move(Layout.load(layout_file, answers))
        return 0
    if not in_git_work_tree():
        return 0
    # The answers the project was generated with: the update has rewritten the file since.
    answers = yaml.safe_load(committed(answers_file.as_posix()) or b"") or {}
    layout = Layout.load(layout_file, answers) if layout_file else Layout(move={}, moved={})
    keep_edits(layout, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
