from typing import Annotated, cast

from fastapi import Depends, Request

from .base import Cache


async def get_cache(request: Request) -> Cache:
    return cast(Cache, request.app.state.cache)


CacheDep = Annotated[Cache, Depends(get_cache)]
