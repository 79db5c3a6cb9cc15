"""Item use cases: routes stay thin, the repository only queries."""

import uuid

from pydantic import TypeAdapter

from ..core.errors import NotFoundError
from ..core.pagination import Page, PageParams
from .models import Item
from .repository import ItemRepository
from .schemas import ItemCreate, ItemRead, ItemUpdate

ITEM_JSON = TypeAdapter(ItemRead)


class ItemService:
    def __init__(self, repository: ItemRepository) -> None:
        self.repository = repository

    async def create(self, data: ItemCreate) -> ItemRead:
        return ItemRead.model_validate(await self.repository.create(data))

    async def list_page(self, params: PageParams) -> Page[ItemRead]:
        items, total = await self.repository.page(limit=params.limit, offset=params.offset)
        return Page(
            items=[ItemRead.model_validate(item) for item in items],
            total=total,
            limit=params.limit,
            offset=params.offset,
        )

    async def get_json(self, item_id: uuid.UUID) -> bytes:
        """The item as its response body, serialized once: the route sends these bytes as is."""
        return ITEM_JSON.dump_json(ItemRead.model_validate(await self._get(item_id)))

    async def update(self, item_id: uuid.UUID, data: ItemUpdate) -> ItemRead:
        item = await self._get(item_id)
        for field, value in data.model_dump(exclude_unset=True).items():
            setattr(item, field, value)
        await self.repository.flush()  # sets updated_at before the response is built
        return ItemRead.model_validate(item)

    async def delete(self, item_id: uuid.UUID) -> None:
        await self.repository.delete(await self._get(item_id))

    async def _get(self, item_id: uuid.UUID) -> Item:
        item = await self.repository.get(item_id)
        if item is None:
            raise NotFoundError("Item not found")
        return item
