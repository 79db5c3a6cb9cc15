"""Which variants exist: computed from copier.yml by asking Copier itself.

Nothing here lists questions or combinations by hand. The axes are copier.yml's questions with a
finite set of answers. The primary ones are those that choose a part of the service which `none`
leaves out (auth, database, cache, task_queue), and those asked only for some answers (`when:`,
e.g. broker, asked only with a queue), which choose how such a part is built. Their product is put
through Copier's own questionnaire (``Worker._ask``: the same parsing, choice checks, ``when:``
conditions and validators as ``copier copy --defaults --data ...``), and what Copier refuses is
left out, with Copier's message kept as the reason. Adding a choice to copier.yml adds its
variants; deleting a validator adds the combinations it used to refuse.

Secondary axes (every other question with a finite set of answers, e.g. ``python_version``) are not
multiplied in: each variant takes its default, except that non-default values are spread round-robin
over the non-default variants so that every value is rendered and tested somewhere.
"""

from __future__ import annotations

import functools
import itertools
import json
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copier._main import Worker
from copier._settings import SettingsModel
from copier._types import Phase
from copier._user_data import Question
from copier.errors import DirtyLocalWarning

# The answer that leaves a part of the service out: a question offering it is a primary axis.
NONE = "none"

# Every variant is rendered into a folder of this name, so `--defaults` names it "My Service" with
# package `my_service`: the same import name in every variant, as a user would get.
PROJECT_DIR_NAME = "my-service"

Answer = str | bool | int | float


def format_value(value: Any) -> str:
    """An answer as typed on a command line (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_primary(values: Sequence[Answer], conditional: bool = False) -> bool:
    """Whether an axis with these values is primary: one of them is `none`, or the question is
    asked only for some answers (`conditional`: it has a `when:`)."""
    return conditional or any(format_value(value) == NONE for value in values)


@dataclass(frozen=True)
class Axis:
    """A question with a finite set of answers."""

    name: str
    values: tuple[Answer, ...]
    default: Answer | None
    primary: bool

    def parse(self, text: str) -> Answer:
        """The axis value written as `text` on a command line."""
        for value in self.values:
            if format_value(value) == text:
                return value
        choices = ", ".join(format_value(value) for value in self.values)
        raise ValueError(f"{self.name}={text}: not a choice of {self.name} ({choices})")


@dataclass(frozen=True)
class Variant:
    """One combination to render: the answers sent to Copier as data, everything else default."""

    answers: tuple[tuple[str, Answer], ...]
    services: tuple[str, ...] = ()
    # Every answer Copier ended up with (defaults included), for the results file.
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def data(self) -> dict[str, Answer]:
        return dict(self.answers)

    def get(self, axis: str) -> Answer | None:
        return self.data.get(axis)

    @property
    def slug(self) -> str:
        """File-system and pytest id: `auth-jwt__database-sqlite__...`."""
        return "__".join(f"{name}-{format_value(value)}" for name, value in self.answers)

    @property
    def label(self) -> str:
        """Human form: `auth=jwt database=sqlite ...` (also a valid selection on the CLI)."""
        return " ".join(f"{name}={format_value(value)}" for name, value in self.answers)

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "answers": self.data,
            "services": list(self.services),
            "context": dict(self.context),
        }


@dataclass(frozen=True)
class Refusal:
    """A combination Copier refuses, with Copier's message."""

    answers: tuple[tuple[str, Answer], ...]
    reason: str

    @property
    def label(self) -> str:
        return " ".join(f"{name}={format_value(value)}" for name, value in self.answers)


@dataclass(frozen=True)
class Enumeration:
    axes: tuple[Axis, ...]
    variants: tuple[Variant, ...]
    refused: tuple[Refusal, ...]
    default: Variant | None

    @property
    def primary_axes(self) -> tuple[Axis, ...]:
        return tuple(axis for axis in self.axes if axis.primary)

    @property
    def secondary_axes(self) -> tuple[Axis, ...]:
        return tuple(axis for axis in self.axes if not axis.primary)

    def axis(self, name: str) -> Axis:
        for axis in self.axes:
            if axis.name == name:
                return axis
        names = ", ".join(axis.name for axis in self.axes)
        raise ValueError(f"unknown axis {name!r} (axes: {names})")


class Refused(Exception):
    """Copier refused the answers (a validator, a disabled or unknown choice)."""


class Questionnaire:
    """Copier's questionnaire for one template, asked as often as needed without re-cloning."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.questions: dict[str, dict[str, Any]] = dict(worker.template.questions_data)
        # Copier compiles every templated value (defaults, validators, `when`) anew on each use;
        # asked hundreds of times, the same few strings dominate. Compile each one once. (An
        # unhashable value raises TypeError, as from_string does for a non-string: Copier handles
        # both the same way.)
        env = worker.jinja_env
        compile_once = functools.lru_cache(maxsize=None)(env.from_string)
        env.from_string = compile_once  # type: ignore[method-assign,assignment]

    def ask(self, data: Mapping[str, Answer]) -> tuple[dict[str, Any], set[str]]:
        """Answers Copier ends up with for `data` (+ defaults), and the questions it did not ask.

        Raises Refused with Copier's message when a validator or choice check fails.
        """
        self.worker.data = dict(data)
        try:
            with Phase.use(Phase.PROMPT):
                self.worker._ask()
        except ValueError as error:
            raise Refused(str(error)) from error
        answers = self.worker.answers
        combined = {
            key: value
            for key, value in answers.combined.items()
            if key in self.questions and key not in answers.hidden
        }
        return combined, set(answers.hidden)

    def asked(self, data: Mapping[str, Answer]) -> dict[str, Answer]:
        """`data` without the answers to questions whose `when:` is false for it.

        For a refused combination, where Copier stopped before telling what it would not ask.
        """
        return {
            name: value
            for name, value in data.items()
            if "when" not in self.questions[name] or self.question(name).get_when()
        }

    def question(self, name: str) -> Question:
        worker = self.worker
        return Question(
            answers=worker.answers,
            context=worker._render_context(),
            jinja_env=worker.jinja_env,
            settings=worker.settings,
            var_name=name,
            **self.questions[name],
        )

    def services(self) -> tuple[str, ...]:
        """Servers the variant last asked needs, from the template's own derived context."""
        rendered = self.worker._render_string("{{ (services | default([])) | tojson }}")
        services = json.loads(rendered)
        return tuple(str(service) for service in services)


@contextmanager
def questionnaire(template_root: Path, vcs_ref: str | None = None) -> Iterator[Questionnaire]:
    """Copier's questionnaire for the template at `template_root`.

    A git working tree is read as Copier renders it with `vcs_ref="HEAD"`: the last commit plus
    every uncommitted change (see `runner.render`).
    """
    root = template_root.resolve()
    if vcs_ref is None and (root / ".git").exists():
        vcs_ref = "HEAD"
    with tempfile.TemporaryDirectory(prefix="matrix-enum-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DirtyLocalWarning)
        with Worker(
            src_path=str(root),
            dst_path=Path(tmp) / PROJECT_DIR_NAME,
            vcs_ref=vcs_ref,
            defaults=True,
            unsafe=True,
            quiet=True,
            settings=SettingsModel(),
        ) as worker:
            yield Questionnaire(worker)


def _axes(asker: Questionnaire, defaults: Mapping[str, Any]) -> list[Axis]:
    axes = []
    for name, details in asker.questions.items():
        question = asker.question(name)
        if details.get("multiselect") or details.get("secret"):
            continue
        if details.get("choices"):
            values = tuple(
                question.cast_answer(choice.value) for choice in question._formatted_choices
            )
        elif question.get_type_name() == "bool":
            values = (True, False)
        else:
            continue  # free text: every variant takes its default
        axes.append(
            Axis(
                name=name,
                values=values,
                default=defaults.get(name),
                primary=is_primary(values, conditional="when" in details),
            )
        )
    return axes


def _rotation(axis: Axis, start: Any) -> list[Answer]:
    """The axis values starting at `start` (a variant's default), then the others in order."""
    values = list(axis.values)
    if start in values:
        index = values.index(start)
        values = values[index:] + values[:index]
    return values


def enumerate_variants(template_root: Path, vcs_ref: str | None = None) -> Enumeration:
    """Every valid combination of the primary axes of the template at `template_root`."""
    with questionnaire(template_root, vcs_ref) as asker:
        default_answers, _ = asker.ask({})
        axes = _axes(asker, default_answers)
        primary = [axis for axis in axes if axis.primary]
        secondary = [axis for axis in axes if not axis.primary]

        # 1. The product of the primary axes, through Copier's validators.
        valid: dict[tuple[tuple[str, Answer], ...], dict[str, Any]] = {}
        refused: list[Refusal] = []
        for combination in itertools.product(*(axis.values for axis in primary)):
            data = {axis.name: value for axis, value in zip(primary, combination, strict=True)}
            try:
                answers, hidden = asker.ask(data)
            except Refused as error:
                refusal = Refusal(tuple(asker.asked(data).items()), str(error))
                if refusal not in refused:
                    refused.append(refusal)
                continue
            # A question Copier did not ask (`when:` false) is not an axis of this variant.
            key = tuple((name, value) for name, value in data.items() if name not in hidden)
            valid.setdefault(key, answers)

        default_key = tuple(
            (axis.name, default_answers[axis.name])
            for axis in primary
            if axis.name in default_answers
        )
        keys = sorted(valid, key=lambda key: key != default_key)  # stable: the default first

        # 2. Secondary axes: defaults, with the other values spread over the non-default variants.
        variants = []
        spread = 0
        for key in keys:
            data = dict(key)
            answers = valid[key]
            if key != default_key and secondary:
                for axis in secondary:
                    if axis.name not in answers:
                        continue
                    rotation = _rotation(axis, answers[axis.name])
                    for offset in range(1, len(rotation) + 1):
                        candidate = rotation[(spread + offset) % len(rotation)]
                        try:
                            answers, _ = asker.ask({**data, axis.name: candidate})
                        except Refused:
                            continue
                        if candidate != valid[key][axis.name]:
                            data[axis.name] = candidate
                        break
                spread += 1
            answers, _ = asker.ask(data)
            variants.append(
                Variant(answers=tuple(data.items()), services=asker.services(), context=answers)
            )
    default = variants[0] if variants and dict(variants[0].answers) == dict(default_key) else None
    return Enumeration(
        axes=tuple(axes), variants=tuple(variants), refused=tuple(refused), default=default
    )


def pairs(variant: Variant, axes: Sequence[str]) -> set[tuple[tuple[str, Answer], ...]]:
    """The (axis, value) pairs of `variant` over `axes` (axes it does not have are left out)."""
    items = [(name, value) for name, value in variant.answers if name in axes]
    return {tuple(pair) for pair in itertools.combinations(items, 2)}
