"""The documentation agrees with the code: the options reference with copier.yml, the testing page
with the README and the matrix's environment variables."""

from __future__ import annotations

import re

import pytest

from tests.helpers import REPO, choice_values, enumeration, questions
from tools.matrix import environment

DOCS = REPO / "docs" / "content"
OPTIONS = DOCS / "options.md"


def option_sections() -> dict[str, str]:
    """The text of each `### `name`` section of the options reference."""
    text = OPTIONS.read_text(encoding="utf-8")
    parts = re.split(r"^### `(\w+)`[ \t]*$", text, flags=re.MULTILINE)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    for name, body in sections.items():
        sections[name] = re.split(r"^#{1,3} ", body, maxsplit=1, flags=re.MULTILINE)[0]
    return sections


def field(section: str, name: str) -> str | None:
    """The value of a `- **Name:** value` line of a section."""
    match = re.search(rf"^- \*\*{name}:\*\* (.+)$", section, flags=re.MULTILINE)
    return match.group(1) if match else None


def test_every_question_is_documented_and_nothing_else() -> None:
    assert list(option_sections()) == list(questions()), "options.md must follow copier.yml's order"


@pytest.mark.parametrize("name", list(questions()))
def test_question_reference(name: str) -> None:
    spec = questions()[name]
    section = option_sections().get(name)
    assert section is not None, f"options.md has no section for {name}"
    assert f"> {spec['help']}" in section, f"{name}: quote the help text of copier.yml"
    assert field(section, "Type") == f"`{spec.get('type', 'yaml')}`"

    documented = field(section, "Choices")
    if "choices" in spec:
        assert documented is not None, f"{name}: list its choices"
        assert re.findall(r"`([^`]+)`", documented) == choice_values(spec)
    else:
        assert documented is None, f"{name} has no choices"

    default = field(section, "Default")
    assert default, f"{name}: document its default"
    if "{{" not in str(spec.get("default", "")):
        assert f"`{spec['default']}`" in default


def test_every_refusal_is_documented() -> None:
    """Each message a validator refuses a combination with appears in the reference."""
    text = OPTIONS.read_text(encoding="utf-8")
    messages = {
        re.sub(r"^(Validation error for question|Invalid choice for) '\w+': ", "", refusal.reason)
        for refusal in enumeration().refused
    }
    assert messages, "the enumeration found no refused combination"
    assert [message for message in sorted(messages) if message not in text] == []


def test_testing_page_has_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Run the tests", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", section, flags=re.DOTALL)
    assert command, "README: the test command is a bash block under 'Run the tests'"
    testing = (DOCS / "testing.md").read_text(encoding="utf-8")
    assert f"```bash\n{command.group(1)}\n```" in testing
    assert command.group(1) in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_testing_page_lists_the_matrix_environment_variables() -> None:
    """tools/matrix/environment.py names every variable the matrix reads or passes on."""
    names = {
        value
        for name, value in vars(environment).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", value)
    }
    assert names >= {"REQUIRE_SERVICES", "TEST_RUN_ID"}
    testing = (DOCS / "testing.md").read_text(encoding="utf-8")
    assert sorted(name for name in names if f"`{name}`" not in testing) == []
    # The table of what each variant is passed lists those variables, and no others.
    table = testing.split("Passed by the matrix", 1)[1].split("\n\n", 2)[1]
    passed = re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE)
    assert passed == list(environment.VARIANT_VARIABLES)


def test_every_page_is_in_the_nav() -> None:
    config = (REPO / "docs" / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    listed = set(re.findall(r"^\s*- [^:\n]+: (\S+\.md)\s*$", config, flags=re.MULTILINE))
    assert listed == pages
