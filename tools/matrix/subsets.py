"""Which variants to run: named subsets, selection by answers, and sharding.

- `full`: every valid combination of the primary axes.
- `ci`: a covering subset of `full`: every value of every axis and every pair of values of any two
  primary axes that `full` contains, in as few variants as a greedy pick finds; the default variant
  always comes first. Deterministic: it depends on copier.yml only.
- `default`: the defaults only.
- answers (`auth=jwt database=sqlite`): on a primary axis they filter, and `auth=api_key,oidc`
  keeps either value; on a secondary axis (`python_version=3.13`) they set that answer for every
  selected variant (one value: a secondary axis does not multiply the selection).
"""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tools.matrix.enumeration import Answer, Enumeration, Variant

SUBSETS = ("full", "ci", "default")

Target = tuple[tuple[str, Answer], ...]


def coverage_targets(variant: Variant, primary: Sequence[str]) -> set[Target]:
    """What a variant covers: each of its answers, and each pair of its primary answers."""
    items = list(variant.answers)
    singles: set[Target] = {(item,) for item in items}
    primary_items = [item for item in items if item[0] in primary]
    return singles | set(itertools.combinations(primary_items, 2))


def covering_subset(variants: Sequence[Variant], primary: Sequence[str]) -> list[Variant]:
    """A small subset of `variants` covering every target (value and primary pair) they cover.

    Greedy: start from the first variant (the default), then repeatedly take the variant covering
    the most still-uncovered targets, the earliest on ties. At most a few dozen variants times a few
    dozen targets: no need for anything cleverer.
    """
    if not variants:
        return []
    targets = [coverage_targets(variant, primary) for variant in variants]
    uncovered = set().union(*targets)
    chosen = [0]
    uncovered -= targets[0]
    while uncovered:
        best = max(
            (index for index in range(len(variants)) if index not in chosen),
            key=lambda index: (len(targets[index] & uncovered), -index),
        )
        chosen.append(best)
        uncovered -= targets[best]
    return [variants[index] for index in chosen]


@dataclass(frozen=True)
class Selection:
    """A parsed selection: a subset name and answer filters (`auth=jwt`)."""

    subset: str | None = None
    answers: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, words: Iterable[str]) -> Selection:
        subset = None
        answers = []
        for word in words:
            if "=" in word:
                name, _, value = word.partition("=")
                answers.append((name.strip(), value.strip()))
            elif word in SUBSETS:
                if subset is not None and subset != word:
                    raise ValueError(f"two subsets given: {subset} and {word}")
                subset = word
            else:
                raise ValueError(
                    f"{word!r}: expected a subset ({', '.join(SUBSETS)}) or an answer like auth=jwt"
                )
        return cls(subset=subset, answers=tuple(answers))

    @classmethod
    def from_string(cls, text: str) -> Selection:
        """`MATRIX_SUBSET="ci auth=jwt"` style."""
        return cls.parse(shlex.split(text))


def select(enumeration: Enumeration, selection: Selection) -> list[Variant]:
    """The variants of a selection, in enumeration order (the default first)."""
    subset = selection.subset or "full"
    primary = [axis.name for axis in enumeration.primary_axes]
    if subset == "full":
        variants = list(enumeration.variants)
    elif subset == "ci":
        variants = covering_subset(enumeration.variants, primary)
    elif subset == "default":
        variants = [enumeration.default] if enumeration.default else []
    else:
        raise ValueError(f"unknown subset {subset!r} (subsets: {', '.join(SUBSETS)})")

    for name, text in selection.answers:
        axis = enumeration.axis(name)
        values = [axis.parse(part.strip()) for part in text.split(",")]
        if axis.primary:
            variants = [variant for variant in variants if variant.get(name) in values]
        elif len(values) == 1:
            variants = [_with_answer(variant, name, values[0]) for variant in variants]
        else:
            raise ValueError(f"{name}={text}: {name} is set, not filtered: give one value")
    return _unique(variants)


def _with_answer(variant: Variant, name: str, value: Answer) -> Variant:
    answers = dict(variant.answers)
    answers[name] = value
    # Services and context are re-derived by the runner's render step (Copier decides there).
    return Variant(answers=tuple(answers.items()), services=variant.services)


def _unique(variants: Iterable[Variant]) -> list[Variant]:
    seen: set[Variant] = set()
    result = []
    for variant in variants:
        if variant not in seen:
            seen.add(variant)
            result.append(variant)
    return result


def parse_shard(text: str) -> tuple[int, int]:
    """`2/4` -> (2, 4); shards are numbered from 1."""
    try:
        index_text, count_text = text.split("/")
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected I/N, e.g. 2/4") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text!r}: I must be between 1 and N")
    return index, count


def shard(variants: Sequence[Variant], index: int, count: int) -> list[Variant]:
    """Shard `index` of `count`: every count-th variant, so shards mix light and heavy ones."""
    return list(variants[index - 1 :: count])
