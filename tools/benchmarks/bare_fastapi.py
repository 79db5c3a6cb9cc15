# mypy: disable-error-code="untyped-decorator"
# (FastAPI is installed in the rendered service's environment, not in the template repository's.)
"""The bare FastAPI app of the benchmark suite (tools/benchmarks/read_path.py), run with a rendered
service's own Python: the liveness route as a plain FastAPI app spells it, served as the service
serves (one uvicorn worker, the same server, loop and HTTP parser, no access log). The service's
`/health/live` and its start-up are compared with this app's.

    python bare_fastapi.py --port P
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fastapi import FastAPI

app = FastAPI()


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=args.port, loop="asyncio", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
