"""The sandbox's HTTP interface (stable: tests and the browser page rely on it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from .gateway import SandboxGateway

ID_PATTERN = r"^[\w\-.@:]{1,128}$"
RoomId = Annotated[str, PathParam(pattern=ID_PATTERN)]


class PostMessage(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    sender_name: str = Field(default="", max_length=200)
    text: str = Field(max_length=200_000)
    mention_ids: list[str] = Field(default_factory=list, max_length=50)
    message_id: str | None = Field(default=None, min_length=1, max_length=200)


class Accepted(BaseModel):
    message_id: str


def sandbox_router(gateway: SandboxGateway) -> APIRouter:
    router = APIRouter(prefix="/sandbox", tags=["sandbox"])

    @router.post("/rooms/{room_id}/messages", status_code=202, response_model=Accepted)
    async def post_message(room_id: RoomId, body: PostMessage) -> Accepted:
        message_id = await gateway.post(
            room_id,
            sender_id=body.sender_id,
            sender_name=body.sender_name or body.sender_id,
            text=body.text,
            mention_ids=body.mention_ids,
            message_id=body.message_id,
        )
        return Accepted(message_id=message_id)

    @router.get("/rooms/{room_id}/messages")
    async def list_messages(
        room_id: RoomId, after: Annotated[int, Query(ge=0)] = 0
    ) -> dict[str, list[dict[str, object]]]:
        return {"messages": await gateway.history(room_id, after)}

    @router.get("/media/{name}")
    async def media(name: str) -> FileResponse:
        path = gateway.media_dir / Path(name).name
        if not path.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(path)

    return router
