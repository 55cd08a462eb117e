"""The sandbox's HTTP interface (stable: tests and the browser page rely on it).

`GET …/messages?after=N&wait=S` is a long poll: with nothing after N it answers when the room
gets a line or after S seconds, whichever comes first, so following a room costs a request
per burst of lines instead of one per timer tick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from .gateway import LONGEST_WAIT_SECONDS, SandboxGateway

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
    async def post_message(room_id: RoomId, body: PostMessage) -> JSONResponse:
        message_id = await gateway.post(
            room_id,
            sender_id=body.sender_id,
            sender_name=body.sender_name or body.sender_id,
            text=body.text,
            mention_ids=body.mention_ids,
            message_id=body.message_id,
        )
        # the response as it goes out: validating it again through `Accepted` costs more
        # than the rest of the request (the model stays for the API's documentation)
        return JSONResponse({"message_id": message_id}, status_code=202)

    @router.get("/rooms/{room_id}/messages")
    async def list_messages(
        request: Request,
        room_id: RoomId,
        after: Annotated[int, Query(ge=0)] = 0,
        wait: Annotated[
            float,
            Query(
                ge=0,
                le=LONGEST_WAIT_SECONDS,
                allow_inf_nan=False,
                description="With nothing after `after`, wait up to this many seconds for "
                "the room's next line (0: answer at once).",
            ),
        ] = 0.0,
    ) -> JSONResponse:
        async def hung_up() -> None:
            """Returns when the client hangs up: a wait nobody will read ends at once (and
            does not hold up the server's shutdown, which waits for open requests)."""
            while (await request.receive())["type"] != "http.disconnect":
                pass

        lines = await gateway.history(room_id, after, wait=wait, asker_gone=hung_up)
        return JSONResponse({"messages": lines})  # plain values already: sent as they are

    @router.get("/media/{name}")
    async def media(name: str) -> FileResponse:
        path = gateway.media_dir / Path(name).name
        if not path.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(path)

    return router
