"""Declarative base: naming convention for constraints, UTC timestamps on every table."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .engine import DATETIME

# Deterministic constraint names, so migrations can drop and alter them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def created_at_of_the_row(context: DefaultExecutionContext) -> datetime:
    """A new row was last updated when it was created: the same instant, not a second clock read."""
    # Set while SQLAlchemy computes an INSERT's defaults, which is when this runs.
    parameters = cast(Mapping[str, Any], context.current_parameters)
    created_at: datetime = parameters["created_at"]
    return created_at


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine, also where the column stores no offset."""

    impl = DATETIME
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=created_at_of_the_row, onupdate=utc_now)
