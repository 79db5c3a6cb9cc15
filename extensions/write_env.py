"""Copy-time task: write a gitignored .env, holding a fresh random SECRET_KEY when the service
signs anything (`--secret-key`), and API_KEY_PEPPER when it hashes API keys (`--api-key-pepper`).
With `--oidc`, the two settings the user must fill in, empty (an empty value is the default).

Runs in the generated project. Only the secret goes in: every other setting keeps its default from
the code (listed in .env.example), so changing an answer later with `copier update` never leaves a
stale value behind in .env. An existing .env is never touched, and the secret never reaches
.copier-answers.yml or any committed file. A service without a secret still gets the file:
compose.yaml reads it.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

HEADER = "# Local settings (gitignored). Every setting, with its default: .env.example\n"
# The settings written with a fresh random value: no two copies share them.
RANDOM_SETTINGS = ("SECRET_KEY", "API_KEY_PEPPER")
OIDC_SETTINGS = (
    "# Your identity provider's (README: Identity provider); until set, the service is not ready.\n"
    "OIDC_ISSUER=\n"
    "OIDC_AUDIENCE=\n"
)


def main(argv: Sequence[str] = ()) -> None:
    env = Path(".env")
    if env.exists():
        return
    # Created private: the secret is never readable by others, not even for a moment.
    fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(HEADER)
        if "--secret-key" in argv:
            file.write(f"SECRET_KEY={secrets.token_urlsafe(48)}\n")
        if "--api-key-pepper" in argv:
            file.write(f"API_KEY_PEPPER={secrets.token_urlsafe(48)}\n")
        if "--oidc" in argv:
            file.write(OIDC_SETTINGS)


if __name__ == "__main__":
    main(sys.argv[1:])
