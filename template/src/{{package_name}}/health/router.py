"""Liveness (no I/O) and readiness (every dependency answers within a short timeout)."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal, cast

import structlog
from fastapi import APIRouter, Request

from ..core.errors import ServiceUnavailableError, error_responses
from ..core.settings import CoreSettingsDep
from .schemas import HealthStatus

# A dependency's check: returns when the dependency answers, raises when it does not.
ReadinessCheck = Callable[[], Awaitable[None]]

logger = structlog.get_logger()
router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> HealthStatus:
    return HealthStatus(status="ok", checks={})


@router.get("/ready", responses=error_responses(503))
async def ready(request: Request, settings: CoreSettingsDep) -> HealthStatus:
    """The checks the app registered at start-up, run concurrently; a 503 names the failed ones."""
    checks = cast(Mapping[str, ReadinessCheck], request.app.state.readiness_checks)
    timeout = settings.health_timeout_seconds
    results = await asyncio.gather(
        *(_passes(name, check(), within=timeout) for name, check in checks.items())
    )
    failed = sorted(name for name, ok in zip(checks, results, strict=True) if not ok)
    if failed:
        raise ServiceUnavailableError(
            "A dependency is not ready", details=dict.fromkeys(failed, "unavailable")
        )
    passed: dict[str, Literal["ok"]] = dict.fromkeys(checks, "ok")
    return HealthStatus(status="ok", checks=passed)


async def _passes(name: str, check: Awaitable[None], *, within: float) -> bool:
    try:
        async with asyncio.timeout(within):
            await check
    except Exception as exc:
        logger.warning("not_ready", dependency=name, error=type(exc).__name__)
        return False
    return True
