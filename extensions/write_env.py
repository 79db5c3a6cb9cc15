"""Copy-time task: write a gitignored .env with a fresh random SECRET_KEY.

Runs in the generated project. An existing .env is never touched, so re-running is harmless and
the secret never reaches .copier-answers.yml or any committed file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def main() -> None:
    env = Path(".env")
    if env.exists():
        return
    lines = []
    for line in Path(".env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith("SECRET_KEY="):
            line = f"SECRET_KEY={secrets.token_urlsafe(48)}"
        lines.append(line)
    # Created private: the secret is never readable by others, not even for a moment.
    fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
