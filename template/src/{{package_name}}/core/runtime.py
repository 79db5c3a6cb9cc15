"""Process-wide tuning for a worker that is about to serve."""

import gc

# Young collections run after this many new container objects (Python's default: 700, 2,000 on
# 3.13): a request's short-lived objects are gone before one runs, instead of being promoted.
GC_YOUNG_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector to the objects that requests create.

    Under load, requests in flight outlive young collections and get promoted, and full
    collections then walk the whole heap (modules, routes, validators…) again and again for
    nothing: a large share of the tail latency (figures: the template's docs, "The request path").
    Everything built at start-up goes to the permanent generation, out of the collector's sight
    (garbage first, so none is kept), and young collections run less often.
    """
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), middle, old)
