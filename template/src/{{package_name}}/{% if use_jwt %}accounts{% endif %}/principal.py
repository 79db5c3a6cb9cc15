"""The caller of a request as a principal (authz/): the user a valid access token was issued to,
with the role the token names and that role's scopes.

The role is the one the user had when the token was issued: a promotion shows in the next token
(at most ACCESS_TOKEN_EXPIRE_MINUTES later, on refresh), while the administration routes also read
the role as stored (AdminUser), so a demotion takes effect there at once. Whether the user is still
active is each route's own check (items/dependencies.py, CurrentUser), as before.
"""

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import SecurityScopes

from ..authz.dependencies import scope_requirement, with_scopes
from ..authz.principal import Principal, Scope
from ..core.errors import UnauthorizedError
from .dependencies import TokenDep
from .models import Role
from .service import access_claims
from .settings import AccountSettings

ROLE_SCOPES = {
    Role.USER: frozenset({Scope.ITEMS_READ, Scope.ITEMS_WRITE}),
    Role.ADMIN: frozenset(Scope),
}


async def get_principal(
    security_scopes: SecurityScopes, request: Request, token: TokenDep
) -> Principal:
    claims = access_claims(cast(AccountSettings, request.app.state.settings), token)
    try:
        role = Role(claims.role)
    except ValueError:  # a role this release no longer has
        raise UnauthorizedError("Invalid token") from None
    principal = Principal(
        subject=str(claims.subject), roles=frozenset({role}), scopes=ROLE_SCOPES[role]
    )
    return with_scopes(principal, security_scopes)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
require_scope = scope_requirement(get_principal)
