from typing import Literal

from pydantic import BaseModel

# ok: every dependency answers; degraded: one the service can do without (a cache) does not.
Readiness = Literal["ok", "degraded"]


class HealthStatus(BaseModel):
    status: Readiness
    checks: dict[str, Readiness]
