"""Liveness (no I/O) and readiness (every dependency answers within a short timeout; one the
service can do without makes it `degraded`, still ready)."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import cast

import structlog
from fastapi import APIRouter, Request

from ..core.api import HEALTH_PREFIX
from ..core.errors import ServiceUnavailableError, error_responses
from ..core.settings import CoreSettingsDep
from .schemas import HealthStatus, Readiness

# A dependency's check: returns when the dependency answers, raises when it does not.
ReadinessCheck = Callable[[], Awaitable[None]]

logger = structlog.get_logger()
router = APIRouter(prefix=HEALTH_PREFIX, tags=["health"])


@router.get("/live")
async def live() -> HealthStatus:
    return HealthStatus(status="ok", checks={})


@router.get("/ready", responses=error_responses(503))
async def ready(request: Request, settings: CoreSettingsDep) -> HealthStatus:
    """The checks the app registered at start-up, run concurrently. A required dependency that
    fails makes it a 503 that names it; a degradable one (the service serves without it, e.g. a
    cache) leaves the service ready, reported `degraded`."""
    state = request.app.state
    required = cast(Mapping[str, ReadinessCheck], state.readiness_checks)
    degradable = cast(Mapping[str, ReadinessCheck], state.degradable_checks)
    checks = {**required, **degradable}
    timeout = settings.health_timeout_seconds
    results = await asyncio.gather(
        *(
            _passes(name, check(), within=timeout, required=name in required)
            for name, check in checks.items()
        )
    )
    passed = dict(zip(checks, results, strict=True))
    failed = sorted(name for name in required if not passed[name])
    degraded = sorted(name for name in degradable if not passed[name])
    if failed:
        details = {**dict.fromkeys(failed, "unavailable"), **dict.fromkeys(degraded, "degraded")}
        raise ServiceUnavailableError("A dependency is not ready", details=details)
    outcomes: dict[str, Readiness] = {
        name: "ok" if ok else "degraded" for name, ok in passed.items()
    }
    return HealthStatus(status="degraded" if degraded else "ok", checks=outcomes)


async def _passes(name: str, check: Awaitable[None], *, within: float, required: bool) -> bool:
    try:
        async with asyncio.timeout(within):
            await check
    except Exception as exc:
        # A degradable dependency logs its own outage, once (not at every probe).
        if required:
            logger.warning("not_ready", dependency=name, error=type(exc).__name__)
        return False
    return True
