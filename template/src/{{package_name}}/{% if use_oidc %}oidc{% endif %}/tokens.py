"""A bearer token of the identity provider, checked, and the principal it names.

Checked: the signature, with a key of the provider's key set and an algorithm of OIDC_ALGORITHMS
that is the key's own (so neither `none` nor an HMAC keyed with the public key passes); `iss`,
`aud`, `exp`, `iat`, `nbf` (when present) within OIDC_LEEWAY_SECONDS; a `sub`.

Scopes come from OIDC_SCOPE_CLAIM (a space-separated string or a list; names that are no scope of
this service are ignored), roles from OIDC_ROLES_CLAIM; a role named like a scope grants it, and
the role `admin` grants every scope, as an admin has in auth=jwt.
"""

from typing import Any

import jwt

from ..authz.principal import Principal, Scope
from ..core.errors import ServiceUnavailableError, UnauthorizedError
from .keys import ProviderUnavailableError, SigningKeys
from .settings import OidcSettings

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
SCOPES = {scope.value: scope for scope in Scope}
ROLE_SCOPES = {
    **{name: frozenset({scope}) for name, scope in SCOPES.items()},
    "admin": frozenset(Scope),
}


class TokenVerifier:
    def __init__(self, settings: OidcSettings, keys: SigningKeys) -> None:
        self.settings = settings
        self.keys = keys

    async def principal(self, token: str) -> Principal:
        return principal_of(await self.claims(token), self.settings)

    async def claims(self, token: str) -> dict[str, Any]:
        settings = self.settings
        if not settings.oidc_configured:
            raise ServiceUnavailableError(
                "The identity provider is not configured (OIDC_ISSUER, OIDC_AUDIENCE)"
            )
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise UnauthorizedError("Invalid token") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in settings.oidc_algorithms or not isinstance(kid, str | None):
            raise UnauthorizedError("Invalid token")
        try:
            key = await self.keys.key(kid)
        except ProviderUnavailableError:
            raise ServiceUnavailableError("The identity provider is unavailable") from None
        if key is None or key.algorithm_name != algorithm:
            raise UnauthorizedError("Invalid token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=settings.oidc_audience,
                issuer=settings.oidc_issuer,
                leeway=settings.oidc_leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthorizedError("Token has expired") from None
        except jwt.ImmatureSignatureError:
            raise UnauthorizedError("Token is not valid yet") from None
        except jwt.PyJWTError:
            raise UnauthorizedError("Invalid token") from None
        return claims


def principal_of(claims: dict[str, Any], settings: OidcSettings) -> Principal:
    granted = names(claims.get(settings.oidc_scope_claim))
    roles = frozenset(names(claim_at(claims, settings.oidc_roles_claim)))
    scopes = {SCOPES[name] for name in granted if name in SCOPES}
    for role in roles:
        scopes |= ROLE_SCOPES.get(role, frozenset())
    return Principal(subject=str(claims["sub"]), roles=roles, scopes=frozenset(scopes))


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """The claim named `path`, or found along its dots (`realm_access.roles`). A claim whose name
    itself holds dots (Auth0's `https://example.com/roles`) is found by its whole name first."""
    if not path:
        return None
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def names(value: Any) -> list[str]:
    """A claim's names: a space-separated string (`scope`) or a list of strings (`scp`, roles)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [name for name in value if isinstance(name, str)]
    return []
