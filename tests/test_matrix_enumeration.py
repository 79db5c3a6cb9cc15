"""The matrix's variant list: computed from copier.yml, filtered by Copier's own validators."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import choice_values, questions
from tests.matrix_fake import write_fake_template
from tools.matrix import environment
from tools.matrix.enumeration import (
    Enumeration,
    Variant,
    enumerate_variants,
    pairs,
)
from tools.matrix.subsets import (
    Selection,
    covering_subset,
    parse_shard,
    select,
    shard,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def real() -> Enumeration:
    return enumerate_variants(REPO)


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Enumeration:
    return enumerate_variants(write_fake_template(tmp_path_factory.mktemp("fake")))


EditConfig = Callable[[dict[str, Any]], None]


def edited_copy(tmp_path: Path, edit: EditConfig) -> Path:
    """copier.yml and extensions/ of this repository, copied and with copier.yml edited."""
    shutil.copytree(REPO / "extensions", tmp_path / "extensions")
    config = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    edit(config)
    (tmp_path / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (tmp_path / "template").mkdir()
    return tmp_path


def add_choice(config: dict[str, Any], question: str, value: str) -> None:
    choices = config[question]["choices"]
    if isinstance(choices, dict):
        choices[value] = value
    else:
        choices.append(value)


def labels(variants: tuple[Variant, ...] | list[Variant]) -> list[str]:
    return [variant.label for variant in variants]


def primary_data(variant: Variant, enumeration: Enumeration) -> dict[str, Any]:
    names = {axis.name for axis in enumeration.primary_axes}
    return {name: value for name, value in variant.answers if name in names}


# --- Today's copier.yml ---------------------------------------------------------------------


def test_every_primary_combination_is_either_a_variant_or_refused(real: Enumeration) -> None:
    primary = real.primary_axes
    # The questions that offer `none`, and those asked only for some answers (`when:`), in
    # copier.yml's order; python_version is secondary.
    expected = [
        name
        for name, spec in questions().items()
        if "none" in choice_values(spec) or ("when" in spec and spec.get("choices"))
    ]
    assert [axis.name for axis in primary] == expected
    assert {"auth", "database", "cache", "task_queue", "broker"} <= set(expected)
    assert [axis.name for axis in real.secondary_axes] == ["python_version"]
    product = list(itertools.product(*(axis.values for axis in primary)))
    valid = {tuple(primary_data(variant, real).values()) for variant in real.variants}
    refused = {tuple(value for _, value in refusal.answers) for refusal in real.refused}
    assert valid.isdisjoint(refused)
    # Without `when:`-hidden axes every combination is one or the other.
    if all(len(primary_data(variant, real)) == len(primary) for variant in real.variants):
        assert valid | refused == set(product)
    # Copier's own messages: a disabled choice is refused as an invalid one, with its reason.
    for refusal in real.refused:
        assert refusal.reason.startswith("Invalid choice for '"), refusal.reason


def test_the_validators_of_copier_yml_are_applied(real: Enumeration) -> None:
    # auth=jwt needs a database, a cache caches database reads (docs/content/options.md).
    for variant in real.variants:
        assert not (variant.get("auth") == "jwt" and variant.get("database") == "none")
        assert not (variant.get("cache") != "none" and variant.get("database") == "none")
    reasons = " ".join(refusal.reason for refusal in real.refused)
    assert "auth=jwt stores users" in reasons


def test_the_default_variant_comes_first(real: Enumeration) -> None:
    assert real.default is not None
    assert real.variants[0] == real.default
    assert real.default.data == {
        axis.name: axis.default for axis in real.primary_axes if axis.default is not None
    }


def test_variants_are_unique_and_have_known_services(real: Enumeration) -> None:
    assert len(set(labels(real.variants))) == len(real.variants)
    assert len({variant.slug for variant in real.variants}) == len(real.variants)
    for variant in real.variants:
        # Every server a variant needs is one the matrix can reach (tools/matrix/environment.py).
        assert set(variant.services) <= set(environment.SERVICES), variant.services
        assert variant.context["package_name"] == "my_service"


def test_enumeration_is_deterministic(real: Enumeration) -> None:
    again = enumerate_variants(REPO)
    assert labels(again.variants) == labels(real.variants)
    ci = select(real, Selection(subset="ci"))
    assert labels(select(again, Selection(subset="ci"))) == labels(ci)


def test_secondary_values_are_spread_over_the_variants(real: Enumeration) -> None:
    for axis in real.secondary_axes:
        seen = {variant.context.get(axis.name) for variant in real.variants}
        if len(real.variants) >= len(axis.values):
            assert seen >= set(axis.values), axis.name
    assert real.default is not None
    assert all(axis.name not in real.default.data for axis in real.secondary_axes)


# --- copier.yml edited: the list follows ---------------------------------------------------------


def test_deleting_a_validator_adds_the_combinations_it_refused(
    real: Enumeration, tmp_path: Path
) -> None:
    def drop_database_validator(config: dict[str, Any]) -> None:
        config["database"]["choices"]["none"] = "none"  # no per-choice validator

    edited = enumerate_variants(edited_copy(tmp_path, drop_database_validator))
    before = {tuple(primary_data(v, real).items()) for v in real.variants}
    after = {tuple(primary_data(v, edited).items()) for v in edited.variants}
    assert before < after, "deleting the validator should add variants, and only add"
    added = [dict(answers) for answers in after - before]
    assert any(a["auth"] == "jwt" and a["database"] == "none" for a in added)
    # What the other validator (cache needs a database) refuses stays refused.
    assert not any(a["cache"] != "none" and a["database"] == "none" for a in added)
    assert len(edited.refused) == len(real.refused) - len(added)


def test_adding_a_choice_adds_its_variants(real: Enumeration, tmp_path: Path) -> None:
    def add_cache(config: dict[str, Any]) -> None:
        config["cache"]["choices"]["matrixtest"] = {
            "value": "matrixtest",
            "validator": "{{ 'matrixtest' | cache_error(database) }}",
        }

    edited = enumerate_variants(edited_copy(tmp_path, add_cache))
    assert "matrixtest" in edited.axis("cache").values
    new = [variant for variant in edited.variants if variant.get("cache") == "matrixtest"]
    # Its validator applies: never with database=none.
    assert new and all(variant.get("database") != "none" for variant in new)
    assert len(edited.variants) == len(real.variants) + len(new)
    old = {tuple(primary_data(v, real).items()) for v in real.variants}
    assert old <= {tuple(primary_data(v, edited).items()) for v in edited.variants}


def test_a_question_asked_only_for_a_queue_multiplies_only_where_it_is_asked(
    tmp_path: Path,
) -> None:
    def queue_and_backend(config: dict[str, Any]) -> None:
        add_choice(config, "task_queue", "matrixqueue")
        config["matrixtest_backend"] = {
            "type": "str",
            "help": "Where the queue keeps results",
            "choices": {"none": "none", "database": "database"},
            "default": "none",
            "when": "{{ task_queue == 'matrixqueue' }}",
        }

    edited = enumerate_variants(edited_copy(tmp_path, queue_and_backend))
    assert "matrixtest_backend" in [axis.name for axis in edited.primary_axes]
    for variant in edited.variants:
        asked = variant.get("task_queue") == "matrixqueue"
        assert (variant.get("matrixtest_backend") is not None) == asked, variant.label
    queue = [v for v in edited.variants if v.get("task_queue") == "matrixqueue"]
    plain = [v for v in edited.variants if v.get("task_queue") == "none"]
    # Each queue is also asked for its broker (copier.yml's own `when:` question).
    brokers = len(edited.axis("broker").values)
    assert len(queue) == 2 * brokers * len(plain)


# --- The fake template: exact figures -------------------------------------------------------


def test_fake_template_enumeration(fake: Enumeration) -> None:
    primary = ["auth", "database", "task_queue", "broker", "cache"]
    assert [axis.name for axis in fake.primary_axes] == primary
    assert [axis.name for axis in fake.secondary_axes] == ["python_version"]
    # auth 2 x database 3 x (queue none, or celery x broker 2) x cache 2 = 36;
    # refused: auth=jwt+database=none (3 x 2 = 6), auth=none+database=none+cache=memory (3).
    assert len(fake.variants) + len(fake.refused) == 2 * 3 * 3 * 2
    assert len(fake.variants) == 27
    assert len(fake.refused) == 9
    assert fake.default is not None
    assert fake.default.label == "auth=jwt database=sqlite task_queue=none cache=memory"
    # broker is asked only with a queue: it takes its values there, and only there.
    brokers = {v.context.get("broker") for v in fake.variants if v.get("task_queue") == "celery"}
    assert brokers == {"redis", "rabbitmq"}
    assert all("broker" not in v.context for v in fake.variants if v.get("task_queue") == "none")
    by_label = {variant.label.split(" python_version")[0]: variant for variant in fake.variants}
    rabbit = next(v for v in fake.variants if v.get("broker") == "rabbitmq")
    assert set(rabbit.services) >= {"rabbitmq"}
    assert by_label["auth=none database=none task_queue=none cache=none"].services == ()


# --- Subsets ---------------------------------------------------------------------------------


def assert_covers(subset: list[Variant], full: tuple[Variant, ...], primary: list[str]) -> None:
    wanted_pairs = set().union(*(pairs(variant, primary) for variant in full))
    got_pairs = set().union(*(pairs(variant, primary) for variant in subset))
    assert wanted_pairs <= got_pairs, wanted_pairs - got_pairs
    wanted_values = {item for variant in full for item in variant.answers}
    got_values = {item for variant in subset for item in variant.answers}
    assert wanted_values <= got_values, wanted_values - got_values


def test_ci_subset_covers_every_value_and_every_pair(real: Enumeration) -> None:
    primary = [axis.name for axis in real.primary_axes]
    ci = select(real, Selection(subset="ci"))
    assert_covers(ci, real.variants, primary)
    assert ci[0] == real.default
    assert len(ci) <= len(real.variants)


def test_ci_subset_is_much_smaller_on_a_big_matrix(fake: Enumeration) -> None:
    primary = [axis.name for axis in fake.primary_axes]
    ci = select(fake, Selection(subset="ci"))
    assert_covers(ci, fake.variants, primary)
    assert len(ci) <= len(fake.variants) // 2
    assert labels(ci) == labels(select(fake, Selection(subset="ci")))


def test_covering_subset_of_a_synthetic_product() -> None:
    axes = {"a": range(4), "b": range(4), "c": range(3), "d": range(2)}
    full = tuple(
        Variant(answers=tuple(zip(axes, combination, strict=True)))
        for combination in itertools.product(*axes.values())
        if not (combination[0] == 3 and combination[1] == 3)  # a "validator"
    )
    subset = covering_subset(full, list(axes))
    assert_covers(subset, full, list(axes))
    assert len(subset) <= 20  # 4 x 4 pairs need 16; greedy stays close


def test_default_and_answer_selection(fake: Enumeration) -> None:
    assert select(fake, Selection(subset="default")) == [fake.default]
    jwt_pg = select(fake, Selection.from_string("auth=jwt database=postgresql"))
    assert jwt_pg and all(
        v.get("auth") == "jwt" and v.get("database") == "postgresql" for v in jwt_pg
    )
    ci_none = select(fake, Selection.from_string("ci auth=none"))
    assert ci_none and all(v.get("auth") == "none" for v in ci_none)
    on_311 = select(fake, Selection.from_string("default python_version=3.11"))
    assert [v.get("python_version") for v in on_311] == ["3.11"]
    either = select(fake, Selection.from_string("auth=jwt,none database=postgresql"))
    assert {v.get("auth") for v in either} == {"jwt", "none"}
    assert labels(either) == [
        v.label
        for v in fake.variants
        if v.get("auth") in ("jwt", "none") and v.get("database") == "postgresql"
    ]
    with pytest.raises(ValueError, match="give one value"):
        select(fake, Selection.from_string("python_version=3.11,3.12"))
    with pytest.raises(ValueError, match="not a choice of database"):
        select(fake, Selection.from_string("database=oracle"))
    with pytest.raises(ValueError, match="unknown axis"):
        select(fake, Selection.from_string("colour=blue"))
    with pytest.raises(ValueError, match="expected a subset"):
        Selection.from_string("everything")


def test_shards_partition_the_selection(fake: Enumeration) -> None:
    variants = list(fake.variants)
    shards = [shard(variants, index, 4) for index in range(1, 5)]
    assert sorted(labels([v for s in shards for v in s])) == sorted(labels(variants))
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
