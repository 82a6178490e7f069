"""``/v1/access``: who am I, and (admins) users and API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from access.control import get_access, require
from access.directory import TokenInfo, UserDirectory, UserInfo
from access.principal import Principal
from access.roles import ROLE_PERMISSIONS, Permission, Role

__all__ = ["create_access_router"]

Username = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._@\-]{1,63}$")]


class Me(BaseModel):
    username: str
    role: Role
    via: str
    permissions: list[Permission]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime
    has_password: bool


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    role: Role
    display_name: str | None = Field(default=None, max_length=255, pattern=r"^[^\x00-\x1f]*$")
    password: str | None = Field(default=None, min_length=12, max_length=256)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: bool | None = None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="default", pattern=r"^[A-Za-z0-9._\- ]{1,64}$")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenIssued(TokenOut):
    token: str = Field(description="The token itself. Shown once: store it now.")


def _user(info: UserInfo) -> UserOut:
    return UserOut.model_validate(info)


def _token(info: TokenInfo) -> TokenOut:
    return TokenOut.model_validate(info)


def _directory(request: Request) -> UserDirectory:
    return get_access(request).directory


Directory = Annotated[UserDirectory, Depends(_directory)]
Admin = Annotated[Principal, Depends(require("users.manage"))]
Anyone = Annotated[Principal, Depends(require())]


def create_access_router() -> APIRouter:
    router = APIRouter(prefix="/v1/access", tags=["access"])

    @router.get("/me", response_model=Me)
    def me(principal: Anyone) -> Me:
        return Me(
            username=principal.username,
            role=principal.role,
            via=principal.via,
            permissions=sorted(ROLE_PERMISSIONS[principal.role]),
        )

    @router.get("/users", response_model=list[UserOut])
    def list_users(directory: Directory, principal: Admin) -> list[UserOut]:
        return [_user(u) for u in directory.list_users()]

    @router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
    def create_user(body: UserCreate, directory: Directory, principal: Admin) -> UserOut:
        info = directory.create_user(
            body.username,
            body.role,
            password=body.password,
            display_name=body.display_name,
            actor=principal.username,
        )
        return _user(info)

    @router.patch("/users/{username}", response_model=UserOut)
    def update_user(
        body: UserUpdate,
        username: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._@\-]{1,63}$")],
        directory: Directory,
        principal: Admin,
    ) -> UserOut:
        info = directory.get_user(username)
        if body.role is not None:
            info = directory.set_role(username, body.role, actor=principal.username)
        if body.is_active is not None:
            info = directory.set_active(username, body.is_active, actor=principal.username)
        return _user(info)

    @router.post(
        "/users/{username}/tokens", response_model=TokenIssued, status_code=status.HTTP_201_CREATED
    )
    def create_token(
        body: TokenCreate,
        username: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._@\-]{1,63}$")],
        directory: Directory,
        principal: Admin,
    ) -> TokenIssued:
        expires = (
            None
            if body.expires_in_days is None
            else directory.clock.now() + timedelta(days=body.expires_in_days)
        )
        issued = directory.create_token(
            username, body.name, expires_at=expires, actor=principal.username
        )
        return TokenIssued(token=issued.token, **_token(issued.info).model_dump())

    @router.get("/tokens", response_model=list[TokenOut])
    def list_tokens(directory: Directory, principal: Admin) -> list[TokenOut]:
        return [_token(t) for t in directory.list_tokens()]

    @router.delete("/tokens/{token_id}", response_model=TokenOut)
    def revoke_token(
        token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
        directory: Directory,
        principal: Admin,
    ) -> TokenOut:
        return _token(directory.revoke_token(token_id, actor=principal.username))

    return router
