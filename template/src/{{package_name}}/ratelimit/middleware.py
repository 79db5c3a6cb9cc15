"""The per-client limit on the API (RATE_LIMIT_API): every request under the API's prefix counts
against its client address's quota. Beyond it: 429 in the error envelope, with Retry-After; every
answer of the API says where the client stands (RateLimit-Policy and RateLimit headers).

Liveness, readiness and the docs are not limited: the orchestrator's probes never wait for the
limits' store.
"""

import math

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.api import API_PREFIX
from ..core.errors import AppError, error_response
from .limiter import RateLimiter, client_address, limit_headers
from .rates import Rate
from .settings import RateLimitSettings

POLICY = "api"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, rate: Rate, prefix: str) -> None:
        self.app = app
        self.rate = rate
        self.prefix = prefix
        self.policy_header = (
            b"ratelimit-policy",
            f'"{POLICY}";q={rate.limit};w={rate.period_seconds}'.encode(),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        # The limiter lives as long as the app's lifespan (stores.py), hence looked up here.
        limiter: RateLimiter = scope["app"].state.rate_limiter
        try:
            verdict = await limiter.store.hit(f"{POLICY}:{client_address(scope)}", self.rate)
        except AppError as exc:  # the store refuses while it cannot count (a 503)
            response = error_response(
                scope, exc.status_code, exc.code, exc.message, exc.details, exc.headers
            )
            await response(scope, receive, send)
            return
        if verdict is None:  # the store cannot tell: served without a limit
            await self.app(scope, receive, send)
            return
        if not verdict.allowed:
            headers = limit_headers(POLICY, self.rate, verdict)
            response = error_response(
                scope, 429, "too_many_requests", "Too many requests: try again later", None, headers
            )
            await response(scope, receive, send)
            return
        standing = (
            b"ratelimit",
            f'"{POLICY}";r={verdict.remaining};t={math.ceil(verdict.reset_seconds)}'.encode(),
        )

        async def send_with_standing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), self.policy_header, standing]
            await send(message)

        await self.app(scope, receive, send_with_standing)


def rate_limit_middleware(settings: RateLimitSettings) -> list[Middleware]:
    """The API's limit as the app's innermost middleware, or none with RATE_LIMIT_ENABLED=false."""
    if not settings.rate_limit_enabled:
        return []
    return [Middleware(RateLimitMiddleware, rate=settings.rate_limit_api, prefix=API_PREFIX)]
