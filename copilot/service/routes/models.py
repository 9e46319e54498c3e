"""Request and response shapes shared by the route modules."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from copilot.store.unstorable import unstorable


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is an error, not a no-op; text
    that cannot be stored (NUL, a lone surrogate) is refused by name, before any of it is
    scanned or stored."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        bad = unstorable(data)
        if bad is not None:
            raise ValueError(bad)
        return data


def first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
