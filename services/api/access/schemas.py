"""What the users and tokens API reads and returns."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from services.api.bodies import Checked
from services.api.users import Role


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class UserCreate(Checked):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=10, max_length=1000)
    role: Role


class TokenRead(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart")
    owner: str
    role: str
    revoked: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class TokenCreate(Checked):
    name: str = Field(min_length=1, max_length=200)
    username: str | None = Field(
        default=None, max_length=150, description="Whose role the token acts with; yourself if left out"
    )


class TokenCreated(TokenRead):
    token: str = Field(description="The token itself: shown this once, never stored")
