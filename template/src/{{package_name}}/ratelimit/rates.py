"""Rates as the settings spell them: `20/minute`, `600/hour`, `10/15minutes`."""

import re
from typing import Annotated, NamedTuple, Self

from pydantic import BeforeValidator
from pydantic_settings import NoDecode

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE_RE = re.compile(r"(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?")


class Rate(NamedTuple):
    """`limit` requests per `period_seconds`: as many as `limit` at once, then one every
    `period_seconds / limit`."""

    limit: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str) -> Self:
        match = RATE_RE.fullmatch(text.strip().lower())
        if match is None or int(match[1]) < 1 or match[2] == "0":
            raise ValueError(
                "a rate is N/second, N/minute, N/hour or N/day with N >= 1, or N per several of "
                "them such as 10/15minutes"
            )
        rate = cls(int(match[1]), int(match[2] or 1) * PERIODS[match[3]])
        # The counts keep microseconds: one request per microsecond at most.
        if rate.limit > rate.period_seconds * 1_000_000:
            raise ValueError("a rate is at most 1000000/second")
        return rate


def _from_text(value: object) -> object:
    return Rate.parse(value) if isinstance(value, str) else value


# A Rate setting, read from its text (NoDecode: not as the JSON of a tuple), or given as a Rate.
RateSetting = Annotated[Rate, NoDecode, BeforeValidator(_from_text)]
