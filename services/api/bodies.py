"""What every JSON body (and query model) the API accepts is checked for before it reaches the database.

Left to the database, each of these answered 500 (or 503 "retry" at intake, so a
sender retried forever): PostgreSQL refuses NUL characters in text and NaN or
Infinity in JSON, no column holds an integer beyond 64 bits, and an explicit
`null` for a field that has no empty value was committed and broke every later
read. `Checked` refuses them with a 422 that names the field, on SQLite too, so
both databases answer the same.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, field_validator
from pydantic_core import PydanticCustomError

# The largest integer a BIGINT (or SQLite INTEGER) column holds.
MAX_INT = 2**63 - 1

T = TypeVar("T")


def unstorable(value: object) -> str | None:
    """Why `value` (a string, number or JSON-like container) cannot be stored, or None when it can."""
    if isinstance(value, str):
        return "must not contain a NUL character (\\x00)" if "\x00" in value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number (not NaN or Infinity)"
    if isinstance(value, int):
        return (
            None if -MAX_INT <= value <= MAX_INT else f"must be an integer between {-MAX_INT} and {MAX_INT}"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if problem := unstorable(key) or unstorable(item):
                return problem
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            if problem := unstorable(item):
                return problem
    return None


class Checked(BaseModel):
    """A body whose every value can be stored: no NUL in text, finite numbers, integers within 64 bits."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if problem := unstorable(value):
            raise PydanticCustomError("unstorable", problem)
        return value


def _refuse_null(value: object) -> object:
    if value is None:
        raise PydanticCustomError(
            "null_not_allowed", "must not be null; leave the field out to keep its current value"
        )
    return value


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# A field of a partial update (PATCH) that may be left out but not set to null: give it the
# default `omitted()`, and it reads None when left out (pydantic never validates a default).
# Its schema is the value's own type, so clients (and the fuzz test) see that null is refused.
# Constraints belong inside: `Omittable[Annotated[int, Field(ge=1)]]`.
Omittable = Annotated[T, BeforeValidator(_refuse_null)]


def omitted() -> Any:
    """The default of an `Omittable` field: None, left out of the schema."""
    return Field(default=None, json_schema_extra=_no_default)
