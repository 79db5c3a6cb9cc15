"""Settings of the identity provider whose bearer tokens the service accepts (OpenID Connect)."""

import json
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from ..core.settings import CoreSettings

# Asymmetric signatures only: the provider signs with its private key, the service checks with the
# public one. HS* would let anyone holding the public key (everyone) sign; `none` signs nothing.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

# Plain http is accepted in production from this host only (a sidecar): nobody can alter it on
# the way.
LOOPBACK = ("http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/")


class OidcSettings(CoreSettings):
    oidc_issuer: str = ""
    oidc_audience: str = ""
    oidc_jwks_url: str = ""  # empty: the discovery document's jwks_uri
    oidc_algorithms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["RS256", "ES256"]
    )
    oidc_leeway_seconds: float = Field(default=30.0, ge=0)
    oidc_scope_claim: str = "scope"
    oidc_roles_claim: str = ""
    oidc_jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    oidc_jwks_ttl_seconds: float = Field(default=3600.0, gt=0)
    oidc_jwks_cooldown_seconds: float = Field(default=30.0, ge=0)
    oidc_http_timeout_seconds: float = Field(default=3.0, gt=0)

    # Not named like CoreSettings' validator: that one would be replaced, in every subclass.
    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        """Accept `RS256,ES256` as well as a JSON list in the environment."""
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("oidc_algorithms")
    @classmethod
    def _only_asymmetric(cls, value: list[str]) -> list[str]:
        refused = [name for name in value if name not in ASYMMETRIC_ALGORITHMS]
        if refused or not value:
            raise ValueError(
                f"OIDC_ALGORITHMS may list asymmetric algorithms only, not {refused or 'none'}: "
                f"choose among {', '.join(sorted(ASYMMETRIC_ALGORITHMS))}, e.g. RS256,ES256"
            )
        return value

    def unsafe_in_production(self) -> list[str]:
        problems = super().unsafe_in_production()
        for name, value in (
            ("OIDC_ISSUER", self.oidc_issuer),
            ("OIDC_AUDIENCE", self.oidc_audience),
        ):
            if not value:
                problems.append(
                    f"{name} is empty: set it to your identity provider's (README, Identity "
                    "provider), or no token can be accepted"
                )
        for name, url in (("OIDC_ISSUER", self.oidc_issuer), ("OIDC_JWKS_URL", self.oidc_jwks_url)):
            if url and not url.startswith(("https://", *LOOPBACK)):
                problems.append(
                    f"{name}={url!r} is refused in production: the keys must come over https "
                    "(plain http only from this host)"
                )
        return problems

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_audience)
