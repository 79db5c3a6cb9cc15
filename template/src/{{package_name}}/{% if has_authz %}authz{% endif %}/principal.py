"""Who calls: the principal every auth mode turns a request into, and the scopes routes require."""

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """What a caller may do. Routes require them (authz.dependencies.require_scope)."""

    ITEMS_READ = "items:read"
    ITEMS_WRITE = "items:write"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller, whatever proved it: a user, an API key, an identity provider's
    token. `subject` is stable per caller and safe to log (never a secret)."""

    subject: str
    roles: frozenset[str]
    scopes: frozenset[Scope]
