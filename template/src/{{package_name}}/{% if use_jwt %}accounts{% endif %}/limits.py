"""Sign-in attempts are limited before any password is checked: per client address, and per
account whatever the address. A guesser gets a 429 (with Retry-After) long before the password
hashing queue fills, and a guess spread over many addresses still counts against the account."""

import hashlib
from typing import cast

from fastapi import Request

from ..ratelimit.limiter import RateLimiter, client_address
from .schemas import normalize_email
from .settings import AccountSettings


async def limit_sign_in(request: Request, email: str) -> None:
    state = request.app.state
    settings = cast(AccountSettings, state.settings)
    limiter = cast(RateLimiter, state.rate_limiter)
    # The store sees a digest: no e-mail address in its keys.
    account = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
    await limiter.check(
        (
            "login-address",
            f"login:address:{client_address(request.scope)}",
            settings.rate_limit_login_per_address,
        ),
        ("login-account", f"login:account:{account}", settings.rate_limit_login_per_account),
    )
