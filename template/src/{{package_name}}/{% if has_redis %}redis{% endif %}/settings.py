"""Settings of the Redis server: one for every part of the service that keeps data there."""

from ..core.settings import CoreSettings


class RedisSettings(CoreSettings):
    # The server of compose.yaml.
    redis_url: str = "redis://127.0.0.1:6379/0"
