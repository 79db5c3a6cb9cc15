"""Settings of the in-process cache."""

from pydantic import Field

from ..core.settings import CoreSettings


class CacheSettings(CoreSettings):
    cache_ttl_seconds: float = Field(default=60.0, gt=0)
    # The least recently used entries go first beyond this bound.
    cache_max_entries: int = Field(default=10_000, ge=1)
