"""A small Copier template shaped like the real one, for testing the matrix machinery.

Same mechanics as copier.yml: primary axes (questions that offer `none`, and `broker`, asked only
for a queue), validators written as Jinja filters in an extension, a ContextHook deriving
`services`. The rendered project is tiny but real: `uv sync`, ruff, mypy and pytest run on it for
seconds. Its tests check what the matrix promises a variant (its own environment variables, its
own virtualenv), and the `database=none` variants carry a failing test and a type error so the
failure path is exercised too.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

COPIER_YML = """\
_subdirectory: template
_templates_suffix: .jinja
_jinja_extensions:
  - copier_template_extensions.TemplateExtensionLoader
  - extensions/rules.py:Rules
  - extensions/rules.py:Derived

project_name:
  type: str
  help: Name
  default: "{{ _copier_conf.dst_path | realpath | basename }}"

python_version:
  type: str
  help: Python
  choices: ["3.11", "3.12"]
  default: "3.12"

auth:
  type: str
  help: Auth
  choices:
    jwt: jwt
    none: none
  default: jwt

database:
  type: str
  help: Database
  choices: [sqlite, postgresql, none]
  default: sqlite
  validator: "{{ database | database_error(auth) }}"

task_queue:
  type: str
  help: Queue
  choices: [none, celery]
  default: none

broker:
  type: str
  help: Broker
  choices: [redis, rabbitmq]
  default: redis
  when: "{{ task_queue == 'celery' }}"

cache:
  type: str
  help: Cache
  choices: [memory, none]
  default: "{{ 'memory' if database != 'none' else 'none' }}"
  validator: "{{ cache | cache_error(database) }}"
"""

RULES_PY = """\
from __future__ import annotations

from typing import Any

from copier_template_extensions import ContextHook
from jinja2 import Environment
from jinja2.ext import Extension


def database_error(database: str, auth: Any) -> str:
    if auth == "jwt" and database == "none":
        return "auth=jwt stores users: choose a database, or auth=none."
    return ""


def cache_error(cache: str, database: Any) -> str:
    if cache != "none" and database == "none":
        return "a cache needs a database."
    return ""


class Rules(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["database_error"] = database_error
        environment.filters["cache_error"] = cache_error


class Derived(ContextHook):
    def hook(self, context: dict[str, Any]) -> None:
        services = []
        if context.get("database") == "postgresql":
            services.append("postgresql")
        if context.get("task_queue") == "celery":
            services.append(context.get("broker") or "redis")
        context["services"] = services
"""

PYPROJECT = """\
[project]
name = "{{ project_name }}"
version = "0.1.0"
requires-python = ">={{ python_version }}"
dependencies = []

[dependency-groups]
dev = ["mypy>=1.10", "pytest>=8", "ruff>=0.5"]

[tool.uv]
package = false

[tool.mypy]
strict = true
files = ["app.py", "tests"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
"""

APP_PY = '''\
"""The whole service."""


def answer() -> int:
    return 42
'''

# database=none renders another app.py under the same module name, with a type error: mypy must
# report it although the warm seed cache holds a clean `app` from the variants that ran before.
APP_BROKEN_PY = '''\
"""The whole service, with a type error on purpose."""

BROKEN: int = "mypy must see this, warm cache or not"


def answer() -> int:
    return 42
'''

TEST_APP_PY = """\
import os
import sys
from pathlib import Path

from app import answer

DATABASE = "{{ database }}"


def test_answer() -> None:
    assert answer() == 42


def test_runs_in_its_own_environment() -> None:
    project = Path(__file__).resolve().parent.parent
    assert Path(sys.prefix).resolve() == project / ".venv"
    assert "PYTEST_XDIST_WORKER" not in os.environ
    assert "PYENV_VERSION" not in os.environ
    assert os.environ["UV_PYTHON_DOWNLOADS"] == "never"


def test_gets_its_own_names() -> None:
    run_id = os.environ["TEST_RUN_ID"]
    assert os.environ["TEST_DATABASE_NAME"] == f"test_{run_id}"
    if DATABASE == "postgresql":
        assert os.environ["TEST_DATABASE_URL"].startswith("postgresql+asyncpg://")
    else:
        assert "TEST_DATABASE_URL" not in os.environ
    marker = Path(os.environ["MATRIX_FAKE_RUN_IDS"]) / run_id
    marker.write_text(DATABASE, encoding="utf-8")
"""

TEST_BROKEN_PY = """\
from app import answer


def test_fails_on_purpose() -> None:
    assert answer() == 41, "deliberate failure of the database=none variants"
"""


def write_fake_template(root: Path) -> Path:
    """Write the fake template into `root` (created) and return it."""
    files = {
        "copier.yml": COPIER_YML,
        "extensions/rules.py": RULES_PY,
        "template/pyproject.toml.jinja": PYPROJECT,
        "template/.python-version.jinja": "{{ python_version }}\n",
        "template/{% if database != 'none' %}app.py{% endif %}": APP_PY,
        "template/{% if database == 'none' %}app.py{% endif %}": APP_BROKEN_PY,
        "template/tests/__init__.py": "",
        "template/tests/test_app.py.jinja": TEST_APP_PY,
        "template/tests/{% if database == 'none' %}test_broken.py{% endif %}": TEST_BROKEN_PY,
        "template/{{_copier_conf.answers_file}}.jinja": ("{{ _copier_answers | to_nice_yaml -}}\n"),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root
