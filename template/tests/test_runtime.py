"""Start-up tuning of a serving worker: the garbage collector leaves start-up objects alone."""

import gc
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI

from .conftest import serve

DEFAULT_THRESHOLD = (700, 10, 10)


@pytest.fixture
def collector() -> Iterator[None]:
    """Starts each test with nothing frozen and Python's thresholds, and leaves the collector as it
    found it."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(*DEFAULT_THRESHOLD)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector")
async def test_a_serving_worker_takes_its_startup_objects_out_of_collections(
    make_app: Callable[..., FastAPI],
) -> None:
    async with serve(make_app(environment="production")) as client:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > DEFAULT_THRESHOLD[0]  # young collections are rarer
        assert (await client.get("/health/live")).status_code == 200


@pytest.mark.usefixtures("collector")
async def test_the_test_suite_keeps_the_collector_as_it_is(
    make_app: Callable[..., FastAPI],
) -> None:
    async with serve(make_app()):
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == DEFAULT_THRESHOLD
