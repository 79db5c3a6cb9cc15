"""`copier copy` as a person answers it, in a pseudo-terminal: a choice that does not fit the
answers before it is shown disabled, with the message that says why, and the arrow keys cannot
select it.

The template is this repository's copier.yml and extensions/ with only the answers file to render:
what is under test is the questionnaire, and each run takes a couple of seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pexpect
import pytest

from extensions import validation
from tests.helpers import REPO, questions, read_answers

ANSWERS_TEMPLATE = "{{_copier_conf.answers_file}}.jinja"
# Control sequences of the prompt (colours, cursor moves, screen modes).
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][A-Za-z0-9]|[=>78])")
UP, DOWN, ENTER = "\x1b[A", "\x1b[B", "\r"
TIMEOUT = 60


@pytest.fixture(scope="module")
def questionnaire(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """copier.yml and extensions/ of the work tree, with a template of one file: the answers."""
    root = tmp_path_factory.mktemp("questionnaire")
    shutil.copy2(REPO / "copier.yml", root / "copier.yml")
    shutil.copytree(
        REPO / "extensions", root / "extensions", ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "template").mkdir()
    shutil.copy2(REPO / "template" / ANSWERS_TEMPLATE, root / "template" / ANSWERS_TEMPLATE)
    return root


class Terminal:
    """A program in a pseudo-terminal, read as the text a person sees (control sequences out)."""

    def __init__(self, *args: str) -> None:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            # prompt_toolkit would ask the terminal for the cursor position and wait for a reply.
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
        self.child = pexpect.spawn(
            sys.executable,
            list(args),
            env=env,
            encoding="utf-8",
            dimensions=(60, 400),  # wide enough that no prompt line wraps
            timeout=TIMEOUT,
        )
        self.output = ""
        self.read_up_to = 0

    @property
    def screen(self) -> str:
        return ANSI.sub("", self.output).replace("\r", "")

    def wait_for(self, text: str) -> str:
        """Read until `text` appears after what the last wait consumed; the text since then."""
        deadline = time.monotonic() + TIMEOUT
        while (found := self.screen.find(text, self.read_up_to)) < 0:
            if time.monotonic() > deadline or not self.child.isalive():
                raise AssertionError(f"waited for {text!r}; the screen ends with:\n{self.tail()}")
            try:
                self.output += self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                break
        if found < 0:
            raise AssertionError(f"{text!r} never came; the screen ends with:\n{self.tail()}")
        start, self.read_up_to = self.read_up_to, found + len(text)
        return self.screen[start : self.read_up_to]

    def press(self, *keys: str) -> None:
        for key in keys:
            self.child.send(key)
            time.sleep(0.05)  # one key at a time, as typed

    def finish(self) -> int:
        self.child.expect(pexpect.EOF, timeout=TIMEOUT)
        self.output += self.child.before or ""
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)

    def tail(self) -> str:
        return "\n".join(self.screen.splitlines()[-30:])


def prompt_of(question: str) -> str:
    """The start of a question's prompt: its help text."""
    return str(questions()[question]["help"])[:40]


def asked_by_default(question: str) -> bool:
    """Whether the defaults of the questions before it get `question` asked: one with `when:` is
    asked only for other answers (`broker`, only with a queue)."""
    return "when" not in questions()[question]


def copy(questionnaire: Path, dst: Path, until: str) -> Terminal:
    """Start `copier copy` and take the default of every question before `until`."""
    terminal = Terminal("-m", "copier", "copy", "--trust", str(questionnaire), str(dst))
    for question in questions():
        if question == until:
            break
        terminal.wait_for(prompt_of(question))
        terminal.press(ENTER)
    return terminal


def choose(terminal: Terminal, question: str, keys: list[str], last_choice: str) -> str:
    """At `question`'s prompt, wait until its last choice is drawn, press `keys` then Enter; the
    prompt as shown."""
    terminal.wait_for(prompt_of(question))
    terminal.wait_for("(Use arrow keys)")
    shown = terminal.wait_for(last_choice)
    terminal.press(*keys, ENTER)
    return shown


def answer_the_rest(terminal: Terminal, after: str) -> None:
    names = list(questions())
    for question in names[names.index(after) + 1 :]:
        if asked_by_default(question):
            terminal.wait_for(prompt_of(question))
            terminal.press(ENTER)


def test_auth_jwt_cannot_choose_database_none(questionnaire: Path, tmp_path: Path) -> None:
    reason = validation.database_error("none", "jwt")
    assert reason
    dst = tmp_path / "service"
    terminal = copy(questionnaire, dst, until="auth")
    choose(terminal, "auth", [], "none")  # jwt, the default
    # Up from the first choice wraps to the last one, `none`, unless it is disabled: then the
    # cursor lands on the choice before it.
    shown = choose(terminal, "database", [UP], f"none ({reason})")
    assert "- none (" in shown, shown
    answer_the_rest(terminal, after="database")
    assert terminal.finish() == 0, terminal.tail()

    answers = read_answers(dst)
    assert (answers["auth"], answers["database"]) == ("jwt", "mysql")
    assert validation.combination_error(answers) == ""


def test_auth_oidc_can_choose_database_none(questionnaire: Path, tmp_path: Path) -> None:
    """An identity provider's tokens need no user table: `none` is a database like the others."""
    dst = tmp_path / "service"
    terminal = copy(questionnaire, dst, until="auth")
    choose(terminal, "auth", [DOWN, DOWN], "oidc")  # jwt -> api_key -> oidc
    database = choose(terminal, "database", [UP], "none")
    assert "- none (" not in database, database
    answer_the_rest(terminal, after="database")
    assert terminal.finish() == 0, terminal.tail()

    answers = read_answers(dst)
    assert (answers["auth"], answers["database"], answers["cache"]) == ("oidc", "none", "none")
    assert validation.combination_error(answers) == ""


def test_without_a_database_the_cache_offers_only_none(questionnaire: Path, tmp_path: Path) -> None:
    dst = tmp_path / "service"
    terminal = copy(questionnaire, dst, until="auth")
    choose(terminal, "auth", [DOWN, DOWN, DOWN], "none")  # jwt -> api_key -> oidc -> none
    # With auth=none, `none` is a database like the others: Up wraps to it.
    database = choose(terminal, "database", [UP], "none")
    assert "- none (" not in database, database
    # memory and redis are disabled with their reasons; every arrow key stays on none.
    reason = validation.cache_error("redis", "none")
    cache = choose(terminal, "cache", [DOWN, UP, DOWN], f"redis ({reason})")
    assert f"- memory ({validation.cache_error('memory', 'none')})" in cache, cache
    answer_the_rest(terminal, after="cache")
    assert terminal.finish() == 0, terminal.tail()

    answers = read_answers(dst)
    assert (answers["auth"], answers["database"], answers["cache"]) == ("none", "none", "none")
    assert validation.combination_error(answers) == ""


def test_the_broker_is_asked_only_with_a_queue(questionnaire: Path, tmp_path: Path) -> None:
    dst = tmp_path / "service"
    terminal = copy(questionnaire, dst, until="task_queue")
    choose(terminal, "task_queue", [DOWN], "taskiq")  # none -> celery
    shown = choose(terminal, "broker", [DOWN], "rabbitmq")  # redis -> rabbitmq
    assert "redis" in shown and "rabbitmq" in shown, shown
    assert "(" not in shown.partition("Use arrow keys")[2], shown  # neither is disabled
    answer_the_rest(terminal, after="broker")
    assert terminal.finish() == 0, terminal.tail()

    answers = read_answers(dst)
    assert (answers["task_queue"], answers["broker"]) == ("celery", "rabbitmq")

    # With the default, no queue, the broker is neither asked (the tests above answer every
    # other question) nor recorded.
    default = tmp_path / "default"
    terminal = copy(questionnaire, default, until="task_queue")
    answer_the_rest(terminal, after=list(questions())[list(questions()).index("task_queue") - 1])
    assert terminal.finish() == 0, terminal.tail()
    assert "broker" not in read_answers(default)
