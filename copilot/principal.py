"""Who is calling: the identity every store function and route is given.

Its own module so the store can take a principal without importing the authentication
code, which itself reads the store (keys, users).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

Role = Literal["rep", "manager", "admin", "integration"]
ROLES: tuple[str, ...] = get_args(Role)


class Principal(BaseModel):
    """The caller, as resolved from an API key or a socket token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    org_id: str
    user_id: str
    role: Role
    team_id: str | None = None
