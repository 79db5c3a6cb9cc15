"""The Redis side of the benchmark suite (tools/benchmarks/read_path.py), run with a rendered
`cache=redis` service's own Python (its virtualenv has redis-py):

    python redis_keys.py delete PREFIX      delete every key that starts with PREFIX; print how many

The suite gives each run's services a key prefix of their own (REDIS_KEY_PREFIX) and deletes those
keys at the end: the server is shared, so never FLUSHDB.

Environment: BENCH_REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from redis import Redis

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def delete(prefix: str) -> int:
    if not prefix or any(char in prefix for char in "*?[]\\"):
        raise SystemExit(f"refusing to delete keys by the pattern {prefix!r}")
    deleted = 0
    with Redis.from_url(os.environ.get("BENCH_REDIS_URL") or DEFAULT_URL) as redis:
        batch: list[bytes] = []
        for key in redis.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                deleted += redis.unlink(*batch)
                batch.clear()
        if batch:
            deleted += redis.unlink(*batch)
    return deleted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("delete").add_argument("prefix")
    args = parser.parse_args(argv)
    print(delete(args.prefix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
