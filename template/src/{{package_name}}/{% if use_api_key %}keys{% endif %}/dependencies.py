"""The caller of a request, as a principal: the API key in its X-API-Key header, checked, and
counted against the key's own rate limit (RATE_LIMIT_API_KEY)."""

from typing import Annotated, cast

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, SecurityScopes
from starlette.datastructures import State

from ..authz.dependencies import scope_requirement, with_scopes
from ..authz.principal import Principal
from ..ratelimit.limiter import RateLimiter
from .authentication import HEADER, KeyStore, authenticate
from .settings import ApiKeySettings
from .store import open_key_store

# The apiKey security scheme of the OpenAPI document. auto_error=False: a missing key is answered
# by authenticate(), in the error envelope.
api_key_header = APIKeyHeader(name=HEADER, auto_error=False)
POLICY = "api-key"


def key_store(state: State) -> KeyStore:
    """The app's key store, opened on first use: the database and the cache it reads open with
    the app's lifespan."""
    store: KeyStore | None = getattr(state, "api_key_store", None)
    if store is None:
        store = state.api_key_store = open_key_store(state)
    return store


async def get_principal(
    security_scopes: SecurityScopes,
    request: Request,
    key: Annotated[str | None, Security(api_key_header)],
) -> Principal:
    state = request.app.state
    settings = cast(ApiKeySettings, state.settings)
    principal = await authenticate(key_store(state), settings.pepper, key)
    limiter = cast(RateLimiter, state.rate_limiter)
    await limiter.check((POLICY, principal.subject, settings.rate_limit_api_key))
    return with_scopes(principal, security_scopes)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
require_scope = scope_requirement(get_principal)
