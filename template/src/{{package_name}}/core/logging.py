"""structlog setup: JSON lines in production, readable console output in development."""

import logging
import sys
from collections.abc import Callable
from typing import Any

import orjson
import structlog

from .settings import CoreSettings


def configure_logging(settings: CoreSettings) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[structlog.types.Processor]
    foreign_rendering: list[structlog.types.Processor]
    logger_factory: Callable[..., Any]
    if settings.json_logs:
        # orjson renders the JSON in a fifth of the standard library's time, as bytes, which
        # structlog writes as they are; the standard library's handler takes text.
        rendering = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ]
        foreign_rendering = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_json_text),
        ]
        logger_factory = structlog.BytesLoggerFactory()
    else:
        # Colours only for a terminal: piped into a file or a log collector they are noise.
        # Plain tracebacks, whatever is installed: structlog's default with rich prints every
        # frame's local variables (passwords, tokens) and took seconds per logged error.
        console = structlog.dev.ConsoleRenderer(
            colors=sys.stdout.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
        rendering = foreign_rendering = [console]
        logger_factory = structlog.WriteLoggerFactory()

    # Our own lines (one access line per request) skip the standard library's LogRecord and
    # handler machinery: structlog renders and writes them itself, a third of the cost.
    # Not cached on first use, so that a later configure (another app in the same process, as in
    # the tests) reaches every logger, and each line goes to the current sys.stdout. The access
    # line's logger is built once per app instead (core/middleware.py).
    structlog.configure(
        processors=[*shared, *rendering],
        logger_factory=logger_factory,
        wrapper_class=structlog.make_filtering_bound_logger(settings.log_level),
        cache_logger_on_first_use=False,
    )
    # Other libraries' records (uvicorn's, for one) get the same rendering.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *foreign_rendering,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    # The access line comes from our middleware; uvicorn's own would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


def _json_text(event: Any, **options: Any) -> str:
    return orjson.dumps(event, **options).decode()
