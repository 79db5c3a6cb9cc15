"""The identity provider's signing keys (its JWKS), fetched with httpx on the event loop and cached
in the process.

- A token whose key id is cached costs no I/O. The key set is fetched again every
  OIDC_JWKS_REFRESH_SECONDS in the background: no request waits for it.
- One fetch at a time (single flight): the requests that need one wait for the same.
- An unknown key id (a key the provider has just rotated in, or a made-up one) prompts at most one
  fetch per OIDC_JWKS_COOLDOWN_SECONDS: random key ids cannot make the service hammer the provider.
  A failed fetch is not retried sooner either.
- While the provider is out of reach, the last key set fetched keeps serving for
  OIDC_JWKS_TTL_SECONDS after it was fetched; then tokens get 503 and /health/ready fails, until a
  fetch succeeds.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog
from jwt import PyJWK, PyJWTError

from .settings import OidcSettings

logger = structlog.get_logger()
DISCOVERY_PATH = "/.well-known/openid-configuration"


class ProviderUnavailableError(Exception):
    """No key set fetched, or none still trusted."""


class SigningKeys:
    def __init__(
        self,
        settings: OidcSettings,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.client = client
        self.clock = clock
        self.keys: dict[str, PyJWK] = {}
        self.jwks_url = settings.oidc_jwks_url
        self.fetched_at: float | None = None  # of the key set in use
        self.attempted_at: float | None = None  # of the last fetch, failed or not
        self._fetch: asyncio.Task[None] | None = None
        self._outage = False

    async def key(self, kid: str | None) -> PyJWK | None:
        """The key of `kid` (None: the only key of the set), or None when the provider has no
        such key. A ProviderUnavailableError when no key set is trusted."""
        now = self.clock()
        if not self.trusted(now):
            await self.check()
        elif now - (self.fetched_at or now) >= self.settings.oidc_jwks_refresh_seconds:
            self._refresh_in_background(now)
        key = self._lookup(kid)
        if key is None and self._may_fetch(self.clock()):
            await self.refresh()
            key = self._lookup(kid)
        return key

    async def check(self) -> None:
        """A trusted key set, fetched now when there is none (at most once per cooldown); the
        readiness check of the identity provider."""
        if not self.settings.oidc_configured:
            raise ProviderUnavailableError("OIDC_ISSUER and OIDC_AUDIENCE are not set")
        if not self.trusted(self.clock()) and self._may_fetch(self.clock()):
            await self.refresh()
        if not self.trusted(self.clock()):
            raise ProviderUnavailableError("No key set of the identity provider is trusted")

    def trusted(self, now: float) -> bool:
        return (
            self.fetched_at is not None
            and now - self.fetched_at < self.settings.oidc_jwks_ttl_seconds
        )

    async def refresh(self) -> None:
        """Fetch the key set, or wait for the fetch under way. Never raises: a failure leaves the
        last key set in place, logged once per outage."""
        if self._fetch is None or self._fetch.done():
            self.attempted_at = self.clock()
            self._fetch = asyncio.create_task(self._fetch_keys())
        # Shielded: a request that gives up does not cancel the fetch the others wait for.
        await asyncio.shield(self._fetch)

    async def close(self) -> None:
        if self._fetch is not None:
            self._fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetch

    def _refresh_in_background(self, now: float) -> None:
        if self._may_fetch(now) and (self._fetch is None or self._fetch.done()):
            self.attempted_at = now
            self._fetch = asyncio.create_task(self._fetch_keys())

    def _may_fetch(self, now: float) -> bool:
        in_flight = self._fetch is not None and not self._fetch.done()
        return (
            in_flight
            or self.attempted_at is None
            or now - self.attempted_at >= self.settings.oidc_jwks_cooldown_seconds
        )

    def _lookup(self, kid: str | None) -> PyJWK | None:
        if kid is None:  # a provider with a single key may leave `kid` out
            return next(iter(self.keys.values())) if len(self.keys) == 1 else None
        return self.keys.get(kid)

    async def _fetch_keys(self) -> None:
        try:
            url = self.jwks_url or await self._discover()
            response = await self.client.get(url)
            response.raise_for_status()
            keys = self._usable_keys(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            if not self._outage:
                logger.warning(
                    "identity_provider_unavailable",
                    error=type(exc).__name__,
                    message=str(exc),
                    keys_cached=len(self.keys),
                )
            self._outage = True
            self.jwks_url = self.settings.oidc_jwks_url  # discover again next time
            return
        if self._outage:
            logger.info("identity_provider_recovered", keys=len(keys))
        self._outage = False
        self.keys = keys
        self.fetched_at = self.clock()

    async def _discover(self) -> str:
        issuer = self.settings.oidc_issuer
        response = await self.client.get(issuer.rstrip("/") + DISCOVERY_PATH)
        response.raise_for_status()
        document = response.json()
        # The issuer a discovery document names must be the one asked (OpenID Connect Discovery
        # 4.3): a mismatch is a misconfiguration, whose tokens would all be refused anyway.
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise ValueError(f"the discovery document of {issuer} names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError(f"the discovery document of {issuer} has no jwks_uri")
        return jwks_uri

    def _usable_keys(self, document: Any) -> dict[str, PyJWK]:
        """The signing keys of the set with an allowed algorithm, by key id. Keys of other uses
        or algorithms (an HMAC `oct` key, RSA-OAEP) are left out."""
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise ValueError("the key set has no `keys` list")
        keys = {}
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = PyJWK(entry)
            except (PyJWTError, ValueError, KeyError, TypeError):
                continue  # a key type or curve this service cannot use
            if key.algorithm_name in self.settings.oidc_algorithms:
                keys[key.key_id or ""] = key
        if not keys:
            raise ValueError("the key set has no signing key with an allowed algorithm")
        return keys
