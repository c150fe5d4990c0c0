"""Base classes for the API's JSON: camelCase on the wire, snake_case in Python, unknown fields refused."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def _iso_8601(value: object) -> object:
    if isinstance(value, (int, float)) or (
        isinstance(value, str) and not re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
    ):
        raise ValueError("an ISO 8601 date and time with an offset is required")
    return value


# A date and time with an offset, as the document states it (`format: date-time`); pydantic alone would also take
# a number, or digits in a query, as seconds since 1970.
IsoInstant = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]
