"""Authorization for every route the same way, whatever the auth mode: a route declares what it
requires (`dependencies=[require_scope(Scope.ITEMS_WRITE)]`), the auth mode supplies the
principal. No credential, or a bad one: 401; a caller without the scope: 403. The OpenAPI
document lists each operation's scopes in its security requirement.

Each auth mode builds its `require_scope` here from the dependency that authenticates a request,
so this package knows no auth mode and every mode (its own routes included) can use it."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends, Security
from fastapi.security import SecurityScopes

from ..core.errors import ForbiddenError
from .principal import Principal, Scope


class RequireScope(Protocol):
    def __call__(self, *required: Scope) -> Any:
        """A route's dependency on a principal that holds every one of `required`."""


def scope_requirement(get_principal: Callable[..., Awaitable[Principal]]) -> RequireScope:
    """`require_scope` for the auth mode whose dependency `get_principal` authenticates a request
    (once per request: FastAPI caches it for the route's other dependencies on it)."""

    async def check_scopes(
        security_scopes: SecurityScopes,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> Principal:
        missing = [scope for scope in security_scopes.scopes if scope not in principal.scopes]
        if missing:
            raise ForbiddenError(
                f"Missing scope: {' '.join(missing)}",
                details={"required_scopes": security_scopes.scopes},
            )
        return principal

    def require_scope(*required: Scope) -> Any:
        return Security(check_scopes, scopes=sorted(required))

    return require_scope
