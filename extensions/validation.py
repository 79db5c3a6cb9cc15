"""Jinja filters behind copier.yml's validators, and the checks around them.

Each filter returns an empty string for a good answer, or a message that says what to type instead;
Copier shows the message and refuses the answer. The rules live here, in Python, so the matrix can
run exactly the same checks when it enumerates valid combinations. The combination rules
(`database_error`, `cache_error`) are per-choice validators in copier.yml: a choice they refuse is
disabled in the prompt, with the message as its reason.

Besides the filters, this module stops a copy whose combined answers are refused anyway, before
any file is written (`CombinationCheck`), and shows a refused `--data`/`--defaults` answer as its
message instead of a traceback (`AnswerValidation` installs the hook).
"""

from __future__ import annotations

import keyword
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from copier.errors import UserMessageError
from copier_template_extensions import ContextHook
from jinja2 import Environment
from jinja2.ext import Extension

SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The `database` answers that store something, as refusal messages list them.
DATABASES = "database=sqlite, database=postgresql or database=mysql"

# Import names a generated service (or its tooling) depends on: a package with one of these names
# would shadow the real library.
RESERVED_PACKAGE_NAMES = frozenset(
    {
        "aio_pika",
        "aiormq",
        "aiosqlite",
        "alembic",
        "amqp",
        "anyio",
        "argon2",
        "asyncmy",
        "asyncpg",
        "bcrypt",
        "billiard",
        "celery",
        "cryptography",
        "email_validator",
        "fastapi",
        "fastapi_offline",
        "httptools",
        "httpx",
        "hypothesis",
        "jwt",
        "kombu",
        "multipart",
        "mypy",
        "orjson",
        "pamqp",
        "pre_commit",
        "pwdlib",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "pytest",
        "pytest_asyncio",
        "pytest_cov",
        "redis",
        "ruff",
        "schemathesis",
        "sqlalchemy",
        "starlette",
        "structlog",
        "taskiq",
        "taskiq_aio_pika",
        "taskiq_redis",
        "tests",
        "typing_extensions",
        "uvicorn",
        "vine",
        "watchfiles",
    }
)


def slugify_name(name: str) -> str:
    """Turn a human name into a kebab-case slug ("Billing API" -> "billing-api"), as many of its
    words as fit in PROJECT_SLUG_MAX (a longer name still has a slug its questions accept)."""
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return shorten("-".join(re.findall(r"[a-z0-9]+", ascii_name.lower())), "-", PROJECT_SLUG_MAX)


def shorten(name: str, separator: str, limit: int) -> str:
    """The leading words of `name` that fit in `limit` characters, or its first `limit` characters
    when the first word alone is longer ("billing-api-v2", "-", 11 -> "billing-api")."""
    if len(name) <= limit:
        return name
    words = name.split(separator)
    kept = 1
    while len(separator.join(words[: kept + 1])) <= limit:
        kept += 1
    return separator.join(words[:kept])[:limit].rstrip(separator)


# Limits of the free-text answers. They are pasted into string literals of the generated code, whose
# lines must stay within ruff's 100 columns with a margin:
# - project_name: `    project_name: str = "…"` in core/settings.py is 27 + 50 = 77 columns, and the
#   default description, name + ": a FastAPI service" (19), stays within the description's 72;
# - description: one summary line, the width PEP 8 gives docstrings; the longest line it makes is
#   `        description="…",` in __main__.py, 23 + 72 = 95 columns;
# - author_name: only in pyproject.toml (no line limit); a name, not a sentence.
PROJECT_NAME_MAX = 50
DESCRIPTION_MAX = 72
AUTHOR_NAME_MAX = 64
# Limits of the names (PEP 8 sets none). package_name is a word of the generated code (imports, the
# uvicorn app path, the database of the server URLs) that no line break can split; its longest line
# is db/engine.py's default URL of a MySQL server, in parentheses of its own:
# `        "mysql+asyncmy://app:app@127.0.0.1:3306/<package_name>?charset=utf8mb4"`, 65 + 35 = 100
# columns. The slug has the same limit, since the default package name is the slug.
PACKAGE_NAME_MAX = 35
PROJECT_SLUG_MAX = PACKAGE_NAME_MAX

# Non-ASCII punctuation a name or description may use besides letters: none of it is a look-alike of
# an ASCII character, which ruff's RUF001/RUF002 would flag in the generated code.
TYPOGRAPHIC_PUNCTUATION = frozenset("—…«»")
# Latin letters that ruff takes for ASCII look-alikes: dotless i, long s, tone letters, clicks, …
# (escaped here, or ruff would flag this very line).
AMBIGUOUS_LETTERS = frozenset(
    "\u0131\u017f\u0184\u018d\u01a6\u01a7\u01b7\u01bc\u01bd\u01c0\u01c3\u021c\u0222\u0223\u0241"
)


def text_character(char: str) -> bool:
    """Whether a character may appear in project_name or description.

    Both land in Python string literals and a docstring of the generated service, which must pass
    ruff: printable ASCII but `"` and `\\`, Latin letters with accents (é, ü, ß, ø, ł, ș …) that
    ruff does not mistake for ASCII, and a few typographic marks. Every character is one column
    wide, so the length limits are widths too.
    """
    if " " <= char <= "~":
        return char not in '"\\'
    if char in TYPOGRAPHIC_PUNCTUATION:
        return True
    return (
        "\u00c0" <= char <= "\u024f"
        and unicodedata.category(char).startswith("L")
        and char not in AMBIGUOUS_LETTERS
    )


def toml_character(char: str) -> bool:
    """Whether a character may appear as is in a TOML basic string (author_name): no quote, no
    backslash, no control, format or line-separator character."""
    category = unicodedata.category(char)
    return char not in '"\\' and not category.startswith("C") and category not in {"Zl", "Zp"}


def _character_name(char: str) -> str:
    return f"{char!r} ({unicodedata.name(char, f'U+{ord(char):04X}')})"


def _too_long(question: str, answer: str, limit: int, suggestion: str) -> str:
    return (
        f"{question} is {len(answer)} characters long, at most {limit} fit the generated code: "
        f"shorten it, e.g. '{suggestion}'."
    )


def _free_text_error(
    question: str,
    answer: str,
    *,
    limit: int,
    allowed: Callable[[str], bool],
    what: str,
    example: str,
    check: Callable[[str], str],
) -> str:
    """The rules shared by the free-text answers: characters, surrounding spaces and length.

    A refusal suggests the answer repaired when `check` (the question's validator) accepts the
    repair, else `example`.
    """

    def suggest(repaired: str) -> str:
        # Messages quote the suggestion in apostrophes: it must hold none.
        return repaired if "'" not in repaired and check(repaired) == "" else example

    if not answer.strip():
        return f"{question} is required, e.g. '{example}'."
    for char in answer:
        if not allowed(char):
            cleaned = " ".join("".join(c if allowed(c) else " " for c in answer).split())
            return (
                f"{question} cannot contain {_character_name(char)}: use {what}, "
                f"e.g. '{suggest(cleaned)}'."
            )
    if answer != answer.strip():
        return f"{question} must not start or end with a space, e.g. '{suggest(answer.strip())}'."
    if len(answer) > limit:
        return _too_long(question, answer, limit, example)
    return ""


TEXT_CHARACTERS = (
    'Latin letters (accents allowed), digits, spaces and ASCII punctuation other than " and \\'
)


def project_name_error(name: str) -> str:
    name = str(name)
    if not name.strip():
        return "project_name is required: type a human-readable name such as 'Billing API'."
    if error := _free_text_error(
        "project_name",
        name,
        limit=PROJECT_NAME_MAX,
        allowed=text_character,
        what=TEXT_CHARACTERS,
        example="Billing API",
        check=project_name_error,
    ):
        return error
    if not name[0].isalpha() or not slugify_name(name) or not slugify_name(name)[0].isalpha():
        return "project_name must start with a letter, e.g. 'Billing API'."
    return ""


def description_error(description: str) -> str:
    description = str(description)
    if error := _free_text_error(
        "description",
        description,
        limit=DESCRIPTION_MAX,
        allowed=text_character,
        what=TEXT_CHARACTERS,
        example="Billing API: invoices and payments",
        check=description_error,
    ):
        return error
    # A summary line opens with a word; this also keeps ruff's S104/S108 quiet ("0.0.0.0", "/tmp").
    if not description[0].isalnum() or not any(char.isalpha() for char in description):
        return (
            "description must start with a letter or digit and hold words, "
            "e.g. 'Billing API: invoices and payments'."
        )
    return ""


def author_name_error(name: str) -> str:
    return _free_text_error(
        "author_name",
        str(name),
        limit=AUTHOR_NAME_MAX,
        allowed=toml_character,
        what='any characters but ", \\ and control characters',
        example="Backend Team",
        check=author_name_error,
    )


def project_slug_error(slug: str) -> str:
    slug = str(slug)
    suggestion = slugify_name(slug) or "my-service"
    if suggestion[0].isdigit():
        suggestion = shorten(f"svc-{suggestion}", "-", PROJECT_SLUG_MAX)
    if not SLUG_RE.match(slug):
        return (
            f"project_slug must be kebab-case (lowercase letters, digits and single dashes, "
            f"starting with a letter), e.g. '{suggestion}'."
        )
    if len(slug) > PROJECT_SLUG_MAX:
        return _too_long("project_slug", slug, PROJECT_SLUG_MAX, suggestion)
    return ""


def package_name_error(name: str) -> str:
    name = str(name)
    if not PACKAGE_RE.match(name):
        suggestion = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "my_service"
        if suggestion[0].isdigit():
            suggestion = f"svc_{suggestion}"
        suggestion = shorten(suggestion, "_", PACKAGE_NAME_MAX)
        return (
            f"package_name must be a Python identifier in lowercase (letters, digits, underscores, "
            f"not starting with a digit), e.g. '{suggestion}'."
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package_name '{name}' is a Python keyword: choose another, e.g. '{name}_service'."
    if name in RESERVED_PACKAGE_NAMES:
        return (
            f"package_name '{name}' would shadow the '{name}' library the service depends on: "
            f"choose another, e.g. '{name}_service'."
        )
    if len(name) > PACKAGE_NAME_MAX:
        shorter = shorten(name, "_", PACKAGE_NAME_MAX)
        return _too_long(
            "package_name",
            name,
            PACKAGE_NAME_MAX,
            shorter if package_name_error(shorter) == "" else "billing_api",
        )
    return ""


def email_error(email: str) -> str:
    if EMAIL_RE.match(str(email)):
        return ""
    return "author_email must be an e-mail address, e.g. 'backend@example.com'."


def database_error(database: str, auth: Any) -> str:
    if auth == "jwt" and database == "none":
        return f"auth=jwt stores users: choose a database ({DATABASES}), or auth=none."
    return ""


def cache_error(cache: str, database: Any) -> str:
    if cache != "none" and database == "none":
        return (
            f"cache={cache} caches database reads: choose cache=none with database=none, "
            f"or a database ({DATABASES})."
        )
    return ""


def combination_error(answers: Mapping[str, Any]) -> str:
    """The first refusal of the combination rules for these answers ("" when none applies)."""
    checks = (
        ("database", "auth", database_error),
        ("cache", "database", cache_error),
    )
    for question, other, check in checks:
        if (
            question in answers
            and other in answers
            and (error := check(answers[question], answers[other]))
        ):
            return error
    return ""


FILTERS = {
    "slugify_name": slugify_name,
    "project_name_error": project_name_error,
    "description_error": description_error,
    "author_name_error": author_name_error,
    "project_slug_error": project_slug_error,
    "package_name_error": package_name_error,
    "email_error": email_error,
    "database_error": database_error,
    "cache_error": cache_error,
}


class AnswerValidation(Extension):
    """Registers the validation filters with Copier's Jinja environment, and shows a refused answer
    as its message (`show_refused_answers`)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(FILTERS)
        show_refused_answers()


class CombinationCheck(ContextHook):
    """Refuses to render a combination the rules refuse, whatever let it through the questions
    (a copier.yml without the per-choice validators, a Copier that ignores them): the copy stops
    with the message before the first file is written, and Copier removes the destination it
    created."""

    def hook(self, context: dict[str, Any]) -> None:
        # Only once the answers are final: while Copier asks, they are partial, and the per-choice
        # validators refuse with the same messages.
        if context.get("_copier_phase") == "render" and (error := combination_error(context)):
            raise UserMessageError(error)


# --- Refused answers without a traceback --------------------------------------------------------
# Copier's command line prints a UserMessageError as a message, but an answer given with `--data`
# or `--defaults` that its checks refuse is a ValueError raised from `Worker._ask`, which ends in a
# traceback with the message on its last line. The hook below prints such an error as its message
# alone; Python still exits with status 1, and every other error keeps its traceback.

_HOOK_MARK = "copier_fastapi_refused_answers"


def is_refused_answer(error: BaseException, traceback: TracebackType | None) -> bool:
    """Whether `error` is Copier refusing an answer: a ValueError raised by Copier's own answer
    checks (copier/_user_data.py, or `_ask` itself) while `Worker._ask` runs. A ValueError raised
    by anything they call, template code included, is not."""
    if not isinstance(error, ValueError) or traceback is None:
        return False
    import copier

    package = Path(copier.__file__).resolve().parent
    frames = []
    while traceback is not None:
        code = traceback.tb_frame.f_code
        frames.append((Path(code.co_filename).resolve(), code.co_name))
        traceback = traceback.tb_next
    asking = (package / "_main.py", "_ask") in frames
    path, function = frames[-1]
    raised_by_checks = path == package / "_user_data.py" or (path, function) == (
        package / "_main.py",
        "_ask",
    )
    return asking and raised_by_checks


def show_refused_answers() -> None:
    """Install the excepthook once per process, in front of the one already there."""
    previous = sys.excepthook
    if getattr(previous, _HOOK_MARK, False):
        return

    def excepthook(
        kind: type[BaseException], error: BaseException, traceback: TracebackType | None
    ) -> None:
        if not is_refused_answer(error, traceback):
            previous(kind, error, traceback)
            return
        message = str(error)
        if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
            message = f"\033[31m{message}\033[0m"  # red, as Copier prints its own messages
        print(message, file=sys.stderr)

    setattr(excepthook, _HOOK_MARK, True)
    sys.excepthook = excepthook
