"""The caller of a request, as a principal: the bearer token in its Authorization header, checked
against the identity provider's keys (tokens.py)."""

from typing import Annotated, cast

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..authz.principal import Principal
from ..core.errors import UnauthorizedError
from .tokens import TokenVerifier

# The bearer security scheme of the OpenAPI document. auto_error=False: a missing token is answered
# here, in the error envelope.
bearer = HTTPBearer(auto_error=False, description="An access token of the identity provider")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


async def get_principal(request: Request, credentials: BearerDep) -> Principal:
    if credentials is None:
        raise UnauthorizedError("Not authenticated: send a bearer token")
    verifier = cast(TokenVerifier, request.app.state.oidc_verifier)
    return await verifier.principal(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
