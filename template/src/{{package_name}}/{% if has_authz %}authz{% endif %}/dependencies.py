"""Authorization for every route the same way, whatever the auth mode: a route declares what it
requires (`dependencies=[require_scope(Scope.ITEMS_WRITE)]`), the auth mode supplies the
principal. No credential, or a bad one: 401; a caller without the scope: 403. The OpenAPI
document lists each operation's scopes in its security requirement.

Each auth mode's `get_principal` takes the scopes its route requires (`SecurityScopes`) and ends
with `with_scopes()`, and builds its `require_scope` here from that dependency, so this package
knows no auth mode and every mode (its own routes included) can use it. The check is part of
the principal's dependency rather than one of its own: FastAPI spends about 10 µs on every
dependency it solves, on every request."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import Security
from fastapi.security import SecurityScopes

from ..core.errors import ForbiddenError
from .principal import Principal, Scope


class RequireScope(Protocol):
    def __call__(self, *required: Scope) -> Any:
        """A route's dependency on a principal that holds every one of `required`."""


def with_scopes(principal: Principal, security_scopes: SecurityScopes) -> Principal:
    """The principal, if it holds every scope the route requires; a 403 otherwise."""
    missing = [scope for scope in security_scopes.scopes if scope not in principal.scopes]
    if missing:
        raise ForbiddenError(
            f"Missing scope: {' '.join(missing)}",
            details={"required_scopes": security_scopes.scopes},
        )
    return principal


def scope_requirement(get_principal: Callable[..., Awaitable[Principal]]) -> RequireScope:
    """`require_scope` for the auth mode whose dependency `get_principal` authenticates a request
    and checks its scopes (FastAPI solves it once per request and set of scopes)."""

    def require_scope(*required: Scope) -> Any:
        return Security(get_principal, scopes=sorted(required))

    return require_scope
