"""Task queue benchmark: the generated service's jobs next to the bare broker clients, in one run.

    python -m tools.benchmarks.job_queue [--queue celery taskiq] [--broker redis rabbitmq]
        [--seconds 5] [--connections 16] [--jobs 200]

(A module, run from the repository's root: as a script, its name would hide the standard
library's `queue`.)

For each queue and broker it renders `auth=none database=none cache=none` with that queue (the
work tree, committed or not), serves it (`serve`, one process) and measures:

- enqueue: `POST /api/v1/jobs/items-report` for `--seconds` from `--connections` wrk connections,
  no worker running (the jobs pile up, as a publish-only client's do), in 202s a second;
- end to end: one job at a time, from the POST to the first `GET /api/v1/jobs/{id}` that reads
  `succeeded` (polled without pause), with one worker (`worker --concurrency 1`): p50 and p99.

The baselines push the same payload (the job's JSON message) with the bare client of the broker,
in Python processes of their own (run through `uv run --with` redis, aio-pika, FastAPI and
uvicorn): redis-py LPUSH (Celery's Redis transport) or XADD (Taskiq's stream), aio-pika publish
with confirms (RabbitMQ),

- bare publish (`--bare`): from as many concurrent publishers as wrk has connections;
- bare HTTP publish (`--bare-http`): from the handler of a minimal FastAPI app, one POST route that
  publishes and answers 202, served by uvicorn with the service's settings (one process, httptools,
  no access log) and loaded by wrk as the service is: the HTTP stack's share of the gap, apart
  from what the service adds (its middleware, the job's record, the queue library);
- end to end: a consumer in the bare publisher's process (BRPOP, XREADGROUP + XACK, or an aio-pika
  consumer + ack) that stores a result in Redis, which the producer polls.

Ratios are within one run, on one machine: a shared machine's noise hits both sides alike. Goals:
HTTP enqueue at least 0.5x the bare publish rate (also reported against the bare HTTP publish),
p99 end to end at most 50 ms.

Needs wrk, Redis at 127.0.0.1:6379 and RabbitMQ at 127.0.0.1:5672 (guest/guest), or REDIS_URL and
RABBITMQ_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
RABBITMQ_URL = os.environ.get("RABBITMQ_URL") or "amqp://guest:guest@127.0.0.1:5672/"
JOBS = "/api/v1/jobs"
SUBMIT = f"{JOBS}/items-report"
# The bare clients, in the versions the generated services use, and the HTTP stack of theirs.
BARE_REQUIREMENTS = (
    "redis[hiredis]>=6.2",
    "aio-pika>=9.4",
    "fastapi>=0.115",
    "httptools>=0.6.4",
    "uvicorn>=0.32",
)
BARE_HTTP_PATH = "/publish"
GOAL_ENQUEUE_RATIO = 0.5
GOAL_P99_MS = 50.0
POST_SCRIPT = 'wrk.method = "POST"\n'


def message() -> bytes:
    """The job's message as a queue sends it: its id, name and arguments, in JSON."""
    body = {
        "task_id": str(uuid.uuid4()),
        "task_name": "items_report",
        "labels": {},
        "args": [],
        "kwargs": {"owner_id": None},
    }
    return json.dumps(body).encode()


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- The bare clients (run with --bare, in an environment that has redis and aio-pika) ----------


async def bare_publish_rate(broker: str, seconds: float, publishers: int) -> float:
    """Messages a second that `publishers` concurrent publishers push, each awaiting its push."""
    deadline = time.perf_counter() + seconds
    sent = 0
    queue = f"bench-bare-{secrets.token_hex(4)}"
    if broker == "rabbitmq":
        import aio_pika

        connection = await aio_pika.connect(RABBITMQ_URL)
        async with connection:
            channel = await connection.channel()  # publisher confirms: each publish awaits its ack
            declared = await channel.declare_queue(queue, durable=True)

            async def publish_rabbitmq() -> None:
                nonlocal sent
                while time.perf_counter() < deadline:
                    payload = aio_pika.Message(message(), delivery_mode=2)
                    await channel.default_exchange.publish(payload, routing_key=queue)
                    sent += 1

            started = time.perf_counter()
            await asyncio.gather(*(publish_rabbitmq() for _ in range(publishers)))
            elapsed = time.perf_counter() - started
            await declared.delete(if_unused=False, if_empty=False)
        return sent / elapsed
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL, max_connections=publishers)

    async def publish_redis() -> None:
        nonlocal sent
        while time.perf_counter() < deadline:
            if broker == "redis-stream":
                await redis.xadd(queue, {"data": message()})
            else:
                await redis.lpush(queue, message())
            sent += 1

    started = time.perf_counter()
    await asyncio.gather(*(publish_redis() for _ in range(publishers)))
    elapsed = time.perf_counter() - started
    await redis.delete(queue)
    await redis.aclose()
    return sent / elapsed


async def bare_end_to_end(broker: str, jobs: int) -> list[float]:
    """Seconds from a push to its result readable in Redis, one job at a time, with a consumer
    that takes each job, acknowledges it and stores a result."""
    from redis.asyncio import Redis

    queue = f"bench-bare-{secrets.token_hex(4)}"
    results = Redis.from_url(REDIS_URL)
    consumer_redis = Redis.from_url(REDIS_URL)
    stop = asyncio.Event()

    async def store(body: bytes) -> None:
        job_id = json.loads(body)["task_id"]
        await consumer_redis.set(f"{queue}:result:{job_id}", b'{"items": 3}', ex=60)

    async def produce(publish: Any) -> list[float]:
        latencies = []
        for _ in range(jobs):
            body = message()
            key = f"{queue}:result:{json.loads(body)['task_id']}"
            started = time.perf_counter()
            await publish(body)
            while await results.get(key) is None:
                pass
            latencies.append(time.perf_counter() - started)
        return latencies

    try:
        if broker == "rabbitmq":
            import aio_pika

            connection = await aio_pika.connect(RABBITMQ_URL)
            consumer_connection = await aio_pika.connect(RABBITMQ_URL)
            async with connection, consumer_connection:
                channel = await connection.channel()
                consumer_channel = await consumer_connection.channel()
                await consumer_channel.set_qos(prefetch_count=1)
                declared = await consumer_channel.declare_queue(queue, durable=True)

                async def on_message(incoming: Any) -> None:
                    await store(incoming.body)
                    await incoming.ack()

                await declared.consume(on_message)

                async def publish_rabbitmq(body: bytes) -> None:
                    payload = aio_pika.Message(body, delivery_mode=2)
                    await channel.default_exchange.publish(payload, routing_key=queue)

                latencies = await produce(publish_rabbitmq)
                await declared.delete(if_unused=False, if_empty=False)
            return latencies

        async def consume_redis() -> None:
            if broker == "redis-stream":
                await consumer_redis.xgroup_create(queue, "bench", id="0", mkstream=True)
            while not stop.is_set():
                if broker == "redis-stream":
                    read = await consumer_redis.xreadgroup(
                        "bench", "c1", {queue: ">"}, count=1, block=100
                    )
                    for _, entries in read:
                        for entry_id, fields in entries:
                            await store(fields[b"data"])
                            await consumer_redis.xack(queue, "bench", entry_id)
                else:
                    popped = await consumer_redis.brpop([queue], timeout=0.1)
                    if popped:
                        await store(popped[1])

        async def publish_redis(body: bytes) -> None:
            if broker == "redis-stream":
                await results.xadd(queue, {"data": body})
            else:
                await results.lpush(queue, body)

        consumer = asyncio.create_task(consume_redis())
        await asyncio.sleep(0.2)  # the group exists before the first push
        latencies = await produce(publish_redis)
        stop.set()
        await consumer
        return latencies
    finally:
        keys = [key async for key in results.scan_iter(match=f"{queue}*")]
        if keys:
            await results.delete(*keys)
        await results.aclose()
        await consumer_redis.aclose()


async def delete(queues: Sequence[str]) -> None:
    """What the service's runs left: the queues' keys in Redis and, on RabbitMQ, their queues,
    dead-letter queues and exchanges."""
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    for queue in queues:
        keys = [key async for key in redis.scan_iter(match=f"{queue}*")]
        if keys:
            await redis.delete(*keys)
    await redis.aclose()
    import aio_pika

    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        for queue in queues:
            for name in (queue, f"{queue}.dead_letter"):
                await channel.queue_delete(name)
            await channel.exchange_delete(queue)


def bare_http_app(broker: str, queue: str) -> Any:
    """The minimal app of the bare HTTP publish: POST /publish pushes the job's message with the
    bare client and answers 202 with its id; GET /health/ready answers (wait_ready())."""
    from fastapi import FastAPI

    clients: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        if broker == "rabbitmq":
            import aio_pika

            connection = await aio_pika.connect(RABBITMQ_URL)
            channel = await connection.channel()  # publisher confirms, as the service's
            await channel.declare_queue(queue, durable=True)
            clients["exchange"] = channel.default_exchange
            yield
            await connection.close()
        else:
            from redis.asyncio import Redis

            clients["redis"] = Redis.from_url(REDIS_URL)
            yield
            await clients["redis"].aclose()

    async def publish() -> dict[str, str]:
        body = message()
        if broker == "rabbitmq":
            import aio_pika

            payload = aio_pika.Message(body, delivery_mode=2)
            await clients["exchange"].publish(payload, routing_key=queue)
        elif broker == "redis-stream":
            await clients["redis"].xadd(queue, {"data": body})
        else:
            await clients["redis"].lpush(queue, body)
        return {"id": json.loads(body)["task_id"], "status": "pending"}

    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    app = FastAPI(lifespan=lifespan)
    app.add_api_route(BARE_HTTP_PATH, publish, methods=["POST"], status_code=202)
    app.add_api_route("/health/ready", ready, methods=["GET"])
    return app


def run_bare_http(args: argparse.Namespace) -> None:
    """--bare-http: serve the minimal app on --port until stopped (SIGTERM), with the uvicorn
    settings of the generated service's `serve`."""
    import uvicorn

    uvicorn.run(
        bare_http_app(args.bare_http, args.bare_queue),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        loop="asyncio",
        http="httptools",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


def run_bare(args: argparse.Namespace) -> None:
    """--bare: the baseline of one broker kind, as one JSON line on stdout; then the deletion of
    the service's queues (--delete)."""
    rate = asyncio.run(bare_publish_rate(args.bare, args.seconds, args.connections))
    latencies = asyncio.run(bare_end_to_end(args.bare, args.jobs))
    asyncio.run(delete(args.delete))
    print(json.dumps({"rate": rate, "latencies": latencies}))


def bare_command(uv: str) -> list[str]:
    """This module, in an environment of the bare clients (`uv run --with`)."""
    with_args = [part for requirement in BARE_REQUIREMENTS for part in ("--with", requirement)]
    return [uv, "run", "--quiet", "--no-project", *with_args, "python", "-m", __spec__.name]


def bare(kind: str, args: argparse.Namespace, uv: str, delete: Sequence[str]) -> dict[str, Any]:
    command = bare_command(uv)
    options = ["--seconds", str(args.seconds), "--connections", str(args.connections)]
    options += ["--jobs", str(args.jobs), "--bare", kind, "--delete", *delete]
    output = subprocess.run(
        [*command, *options], capture_output=True, text=True, check=False, cwd=REPO
    )
    if output.returncode:
        sys.exit(f"the {kind} baseline failed:\n{output.stdout}{output.stderr}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


# --- The generated service ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def render(template: Path, dst: Path, queue: str, broker: str, uv: str) -> Path:
    from tools.matrix.runner import render as render_variant

    project = dst / f"{queue}-{broker}"
    data = {
        "project_name": "Bench Queue",
        "auth": "none",
        "database": "none",
        "cache": "none",
        "task_queue": queue,
        "broker": broker,
    }
    render_variant(template, project, data, vcs_ref=None)
    subprocess.run([uv, "sync", "--quiet"], cwd=project, check=True)
    return project


@contextlib.contextmanager
def process(project: Path, env: dict[str, str], *command: str) -> Iterator[None]:
    """The generated service's command `command` (serve, worker), stopped at the end."""
    python = str(project / ".venv" / "bin" / "python")
    log = project / f"{command[0]}.log"
    with started([python, "-m", "bench_queue", *command], log, env, cwd=project):
        yield


@contextlib.contextmanager
def started(
    command: Sequence[str], log_path: Path, env: dict[str, str], cwd: Path = REPO
) -> Iterator[None]:
    """A process in a session of its own, stopped (SIGTERM, then SIGKILL) at the end."""
    log = log_path.open("wb")
    child = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        log.close()


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wrk_rate(
    port: int, path: str, seconds: float, connections: int, script: Path | None = None
) -> float:
    url = f"http://127.0.0.1:{port}{path}"
    options = ["-s", str(script)] if script else []
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", *options, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output:
        sys.exit(f"some submissions were not accepted:\n{output}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found, output
    return float(found.group(1))


def end_to_end(port: int, jobs: int, timeout: float = 30.0) -> list[float]:
    """Seconds from a POST to the first GET that reads the job succeeded, one job at a time."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    for _ in range(jobs):
        started = time.perf_counter()
        connection.request("POST", SUBMIT)
        response = connection.getresponse()
        response.read()
        assert response.status == 202, response.status
        location = response.headers["Location"]
        while True:
            connection.request("GET", location)
            job = json.loads(connection.getresponse().read())
            if job["status"] == "succeeded":
                break
            assert job["status"] in ("pending", "running"), job
            assert time.perf_counter() - started < timeout, "the job did not finish"
        latencies.append(time.perf_counter() - started)
    connection.close()
    return latencies


def measure_service(
    project: Path, broker: str, args: argparse.Namespace, script: Path, queue: str
) -> dict[str, Any]:
    """The service's enqueue rate on `queue` (no worker), then its end-to-end latency on a queue
    of its own (`queue`-e2e: the piled-up jobs are not in the way)."""
    port = free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",  # no access line per request
        "RATE_LIMIT_ENABLED": "false",
        "REDIS_URL": REDIS_URL,
        "BROKER_URL": RABBITMQ_URL if broker == "rabbitmq" else REDIS_URL,
        "TASK_QUEUE_NAME": queue,
        "WORKERS": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    serve = ("serve", "--host", "127.0.0.1", "--port", str(port))
    with process(project, env, *serve):
        wait_ready(port)
        rate = wrk_rate(port, SUBMIT, args.seconds, args.connections, script)
        # The HTTP stack's own ceiling: a route that does nothing.
        ceiling = wrk_rate(port, "/health/live", args.seconds, args.connections)
    env["TASK_QUEUE_NAME"] = f"{queue}-e2e"
    with process(project, env, *serve), process(project, env, "worker", "--concurrency", "1"):
        wait_ready(port)
        end_to_end(port, 5, timeout=60)  # warm-up, the worker's start included
        latencies = end_to_end(port, args.jobs)
    return {"rate": rate, "ceiling": ceiling, "latencies": latencies}


def measure_bare_http(
    kind: str, args: argparse.Namespace, uv: str, script: Path, queue: str, log: Path
) -> float:
    """The minimal app's publish rate over HTTP, under the same wrk load as the service."""
    port = free_port()
    command = [*bare_command(uv), "--bare-http", kind, "--bare-queue", queue, "--port", str(port)]
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    with started(command, log, env):
        wait_ready(port, timeout=120)  # the first run installs the environment
        return wrk_rate(port, BARE_HTTP_PATH, args.seconds, args.connections, script)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", nargs="+", default=["celery", "taskiq"])
    parser.add_argument("--broker", nargs="+", default=["redis", "rabbitmq"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    parser.add_argument("--bare-http", help=argparse.SUPPRESS)
    parser.add_argument("--bare-queue", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--delete", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare:
        run_bare(args)
        return 0
    if args.bare_http:
        run_bare_http(args)
        return 0
    from tools.matrix.runner import find_uv, snapshot_template

    uv = find_uv()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as scratch:
        root = Path(scratch)
        template = snapshot_template(root / "template")
        script = root / "post.lua"
        script.write_text(POST_SCRIPT)
        for queue in args.queue:
            for broker in args.broker:
                # Celery's Redis transport is a list; Taskiq's Redis broker a stream.
                kind = broker if broker == "rabbitmq" else "redis-stream"
                kind = "redis-list" if (queue, broker) == ("celery", "redis") else kind
                print(f"{queue} on {broker}: rendering", file=sys.stderr)
                project = render(template, root, queue, broker, uv)
                name = f"bench-{secrets.token_hex(4)}"
                print(f"{queue} on {broker}: the service", file=sys.stderr)
                service = measure_service(project, broker, args, script, name)
                print(f"{queue} on {broker}: the bare HTTP publish ({kind})", file=sys.stderr)
                log = root / f"{queue}-{broker}-bare-http.log"
                http_rate = measure_bare_http(kind, args, uv, script, f"{name}-http", log)
                print(f"{queue} on {broker}: the bare client ({kind})", file=sys.stderr)
                baseline = bare(kind, args, uv, [name, f"{name}-e2e", f"{name}-http"])
                baseline["http_rate"] = http_rate
                rows.append((queue, broker, kind, service, baseline))
    print(report(rows, args))
    return 0


Row = tuple[str, str, str, dict[str, Any], dict[str, Any]]


def report(rows: list[Row], args: argparse.Namespace) -> str:
    lines = [
        f"enqueue: {args.connections} connections for {args.seconds:g} s; end to end: "
        f"{args.jobs} jobs one at a time",
        "",
        "| queue | broker | HTTP enqueue /s | bare publish /s | ratio | bare HTTP publish /s "
        "| ratio | GET /health/live /s | e2e p50 ms | e2e p99 ms | bare p50 ms | bare p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for queue, broker, kind, service, baseline in rows:
        ratio = service["rate"] / baseline["rate"]
        http_ratio = service["rate"] / baseline["http_rate"]
        p50, p99 = (1000 * percentile(service["latencies"], f) for f in (0.5, 0.99))
        b50, b99 = (1000 * percentile(baseline["latencies"], f) for f in (0.5, 0.99))
        lines.append(
            f"| {queue} | {broker} ({kind}) | {service['rate']:,.0f} | {baseline['rate']:,.0f} "
            f"| {ratio:.2f} | {baseline['http_rate']:,.0f} | {http_ratio:.2f} "
            f"| {service['ceiling']:,.0f} | {p50:.1f} | {p99:.1f} | {b50:.2f} | {b99:.2f} |"
        )

    def met(baseline_rate: str) -> int:
        return sum(
            service["rate"] >= GOAL_ENQUEUE_RATIO * baseline[baseline_rate]
            for *_, service, baseline in rows
        )

    quick_enough = sum(
        1000 * percentile(service["latencies"], 0.99) <= GOAL_P99_MS for *_, service, _ in rows
    )
    lines += [
        "",
        f"goals: HTTP enqueue >= {GOAL_ENQUEUE_RATIO}x the bare publish rate: met by "
        f"{met('rate')} of {len(rows)} (>= {GOAL_ENQUEUE_RATIO}x the bare HTTP publish: "
        f"{met('http_rate')} of {len(rows)}); e2e p99 <= {GOAL_P99_MS:g} ms: met by "
        f"{quick_enough} of {len(rows)}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
