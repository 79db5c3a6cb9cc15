"""Copier migration: after an update, print the upgrade notes of every release it crossed.

copier.yml runs it after every `copier update` (`_stage == 'after'`). Copier passes the versions
as VERSION_PEP440_FROM and VERSION_PEP440_TO; the notes come from the template's CHANGELOG.md: the
`### Upgrade notes` part of each `## [X.Y.Z]` section with FROM < X.Y.Z <= TO. Those are the steps
an update cannot do for the user (a migration for their own database, a setting to add to .env…).

It only prints: it never fails an update, whatever the changelog looks like.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

RELEASE_HEADING = re.compile(r"^## \[?v?(?P<version>[0-9][^\]\s]*)\]?")
NOTES_HEADING = re.compile(r"^### Upgrade notes\s*$", re.IGNORECASE)


def upgrade_notes(changelog: str, after: Version, up_to: Version) -> list[tuple[Version, str]]:
    """(version, notes) of the releases in (after, up_to] that have upgrade notes, oldest first."""
    found: list[tuple[Version, str]] = []
    version: Version | None = None
    collecting = False
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if version is not None and text and after < version <= up_to:
            found.append((version, text))
        lines.clear()

    for line in changelog.splitlines():
        if line.startswith("## "):
            flush()
            collecting = False
            match = RELEASE_HEADING.match(line)
            try:
                version = Version(match["version"]) if match else None
            except InvalidVersion:
                version = None
        elif line.startswith("### "):
            flush()
            collecting = bool(NOTES_HEADING.match(line))
        elif collecting:
            lines.append(line)
    flush()
    return sorted(found, key=lambda item: item[0])


def main(argv: Sequence[str]) -> int:
    try:
        changelog = Path(argv[0]).read_text(encoding="utf-8")
        after = Version(os.environ["VERSION_PEP440_FROM"])
        up_to = Version(os.environ["VERSION_PEP440_TO"])
    except (IndexError, KeyError, OSError, InvalidVersion):
        return 0
    notes = upgrade_notes(changelog, after, up_to)
    if notes:
        print(f"\nUpgrade notes ({after} -> {up_to}): steps the update could not do for you\n")
        for version, text in notes:
            print(f"## {version}\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
