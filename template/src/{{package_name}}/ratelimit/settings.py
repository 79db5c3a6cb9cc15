"""Settings of the rate limits."""

from ..core.settings import CoreSettings
from .rates import Rate, RateSetting


class RateLimitSettings(CoreSettings):
    # false: no limit at all (the tests turn them on where they test them).
    rate_limit_enabled: bool = True
    # Requests per client address to the API.
    rate_limit_api: RateSetting = Rate.parse("600/minute")
