"""Rate limits: a quota per key (a client address, an account), counted in a store (stores.py
chooses it), and the 429 a request beyond it gets.

The stores count with GCRA (the generic cell rate algorithm): per key, one timestamp, the
theoretical arrival time (TAT) of the next request if the client kept exactly to the rate. A rate
of N per period lets N requests through at once, then one every period / N; the quota refills as
time passes, with no window edge at which a client could send 2N in a moment.
"""

import contextlib
import ipaddress
import math
from dataclasses import dataclass
from typing import Protocol

from starlette.types import Scope

from ..core.errors import AppError
from .rates import Rate

MICROSECONDS = 1_000_000


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: int  # requests the client may still send at once
    reset_seconds: float  # until the whole quota is back
    retry_after_seconds: float  # until the next request gets through (0 when this one did)


def gcra_steps(rate: Rate) -> tuple[int, int]:
    """The rate as GCRA counts it, in microseconds: the interval between two requests, and how far
    ahead of the clock the TAT may run (N - 1 intervals: a burst of N)."""
    interval = rate.period_seconds * MICROSECONDS // rate.limit
    return interval, (rate.limit - 1) * interval


def decision(rate: Rate, *, allowed: bool, ahead: int, retry_after: int) -> Decision:
    """A store's answer: `ahead` is how far the TAT runs ahead of the clock after this request,
    `retry_after` how long until the next one gets through (microseconds)."""
    interval, _ = gcra_steps(rate)
    return Decision(
        allowed=allowed,
        remaining=max(0, (rate.limit * interval - ahead) // interval),
        reset_seconds=ahead / MICROSECONDS,
        retry_after_seconds=retry_after / MICROSECONDS,
    )


class RateLimitStore(Protocol):
    async def hit(self, key: str, rate: Rate) -> Decision | None:
        """Count one request against the key's quota. None: the store cannot tell right now (and
        lets it through); a store that must refuse then raises an AppError."""
        ...


class TooManyRequestsError(AppError):
    status_code = 429
    code = "too_many_requests"
    message = "Too many requests: try again later"


def limit_headers(policy: str, rate: Rate, verdict: Decision) -> dict[str, str]:
    """Where the client stands (RateLimit-Policy and RateLimit, draft-ietf-httpapi-ratelimit-
    headers-09) and, once refused, when to try again (Retry-After, whole seconds)."""
    headers = {
        "RateLimit-Policy": f'"{policy}";q={rate.limit};w={rate.period_seconds}',
        "RateLimit": f'"{policy}";r={verdict.remaining};t={math.ceil(verdict.reset_seconds)}',
    }
    if not verdict.allowed:
        headers["Retry-After"] = str(max(1, math.ceil(verdict.retry_after_seconds)))
    return headers


class RateLimiter:
    """The limits of one app over its store; RATE_LIMIT_ENABLED=false turns every one off."""

    def __init__(self, store: RateLimitStore, *, enabled: bool) -> None:
        self.store = store
        self.enabled = enabled

    async def check(self, *limits: tuple[str, str, Rate]) -> None:
        """Count the request against each (policy, key, rate), in order; a 429 at the first quota
        it is over, without counting it against the next ones."""
        if not self.enabled:
            return
        for policy, key, rate in limits:
            verdict = await self.store.hit(key, rate)
            if verdict is not None and not verdict.allowed:
                raise TooManyRequestsError(headers=limit_headers(policy, rate, verdict))


def client_address(scope: Scope) -> str:
    """Who a per-client limit counts for: the address the request came from (behind
    TRUSTED_PROXIES, the client's address they forwarded: core/middleware.py). An IPv6 client
    counts by its /64 network, which one subscriber usually holds whole."""
    client = scope.get("client")
    host: str = client[0] if client else ""
    if ":" in host:
        with contextlib.suppress(ValueError):
            return str(ipaddress.IPv6Network((host, 64), strict=False))
    return host or "unknown"
