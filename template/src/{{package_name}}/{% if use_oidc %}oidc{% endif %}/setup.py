"""The identity provider in the app: its keys fetched at start-up (the service starts without
them, not ready), their HTTP client closed with the app, /health/ready checking them."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import httpx
import structlog
from fastapi import APIRouter, FastAPI

from .keys import SigningKeys
from .settings import OidcSettings
from .tokens import TokenVerifier

logger = structlog.get_logger()


@asynccontextmanager
async def open_identity_provider(app: FastAPI) -> AsyncIterator[None]:
    """The lifespan of the router below, within the app's (FastAPI merges them)."""
    settings = cast(OidcSettings, app.state.settings)
    timeout = httpx.Timeout(settings.oidc_http_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout) as client:
        keys = SigningKeys(settings, client)
        app.state.oidc_verifier = TokenVerifier(settings, keys)
        app.state.readiness_checks["identity_provider"] = keys.check
        if settings.oidc_configured:
            await keys.refresh()  # a failure is logged: the service starts, not ready
        else:
            logger.warning(
                "identity_provider_not_configured",
                hint="set OIDC_ISSUER and OIDC_AUDIENCE: until then tokens get 503",
            )
        try:
            yield
        finally:
            await keys.close()


# No route of its own: it brings the lifespan above into the app (routers.py).
router = APIRouter(lifespan=open_identity_provider)
