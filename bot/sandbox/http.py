"""The sandbox's HTTP interface (stable: tests and the browser page rely on it).

`POST /sandbox/rooms/{room}/messages` posts a person's message (JSON `PostMessage`; 202 with
its `message_id`). `GET …/messages?after=N&wait=S` is a long poll: with nothing after N it
answers when the room gets a line or after S seconds (0 to 30), whichever comes first, so
following a room costs a request per burst of lines instead of one per timer tick.

These two are asked for every message of a busy sandbox, so they are plain Starlette routes:
FastAPI's parameter handling and response checking cost more than the rest of the request
(measured on this machine: 0.38–0.43 ms of server CPU a POST against 0.25 ms). Their input
is still checked by the same pydantic models, and bad input gets the app's usual 422.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError

from .gateway import EXPORT_FILES, LONGEST_WAIT_SECONDS, SandboxGateway

ID_PATTERN = re.compile(r"[\w\-.@:]{1,128}")
MESSAGES_PATH = "/rooms/{room_id}/messages"

Checked = TypeVar("Checked")


# A POST's body, read at most this far: the longest text (200,000 characters, each written
# as a six-byte JSON escape at worst) and the other fields fit.
MAX_BODY_BYTES = 1_400_000
MentionId = Annotated[str, Field(min_length=1, max_length=128)]


class PostMessage(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    sender_name: str = Field(default="", max_length=200)
    text: str = Field(max_length=200_000)
    mention_ids: list[MentionId] = Field(default_factory=list, max_length=50)
    message_id: str | None = Field(default=None, min_length=1, max_length=200)


class TranscriptQuery(BaseModel):
    # a transcript line's id (a PostgreSQL `integer`): larger numbers are refused (422),
    # they used to overflow SQLite's 64-bit integers into a 500
    after: int = Field(default=0, ge=0, le=2**31 - 1)
    # with nothing after `after`, wait up to this many seconds for the room's next line
    wait: float = Field(default=0.0, ge=0, le=LONGEST_WAIT_SECONDS, allow_inf_nan=False)


def sandbox_router(gateway: SandboxGateway) -> APIRouter:
    router = APIRouter(prefix="/sandbox", tags=["sandbox"])

    async def post_message(request: Request) -> JSONResponse:
        room_id = _room_id(request)
        body = _checked(PostMessage.model_validate_json, await _json_body(request), "body")
        message_id = await gateway.post(
            room_id,
            sender_id=body.sender_id,
            sender_name=body.sender_name or body.sender_id,
            text=body.text,
            mention_ids=body.mention_ids,
            message_id=body.message_id,
        )
        return JSONResponse({"message_id": message_id}, status_code=202)

    async def list_messages(request: Request) -> JSONResponse:
        room_id = _room_id(request)
        query = _checked(TranscriptQuery.model_validate, dict(request.query_params), "query")

        async def hung_up() -> None:
            """Returns when the client hangs up: a wait nobody will read ends at once (and
            does not hold up the server's shutdown, which waits for open requests)."""
            while (await request.receive())["type"] != "http.disconnect":
                pass

        lines = await gateway.history(room_id, query.after, wait=query.wait, asker_gone=hung_up)
        return JSONResponse({"messages": lines})  # plain values already: sent as they are

    # Starlette's own routes do not take the router's prefix
    path = router.prefix + MESSAGES_PATH
    router.add_route(path, post_message, methods=["POST"], include_in_schema=False)
    router.add_route(path, list_messages, methods=["GET"], include_in_schema=False)

    @router.get("/media/{name}")
    async def media(name: str) -> FileResponse:
        gateway.expire_exports()  # an export older than an hour is deleted, not served
        path = gateway.media_dir / Path(name).name
        if not path.is_file():
            raise HTTPException(status_code=404)
        if path.match(EXPORT_FILES):  # a workbook: downloaded, never shown inline
            return FileResponse(path, filename=path.name)
        return FileResponse(path)

    return router


async def _json_body(request: Request) -> bytes:
    """The body of a JSON POST, refused unless it says it is JSON (415) and fits (413).

    Only `application/json`: a web page the operator visits may send a cross-origin POST
    with a "simple" content type (text/plain, a form) without asking first, but not JSON;
    the browser asks the server (a preflight this app does not answer) and stops there.
    The body is counted as it arrives, so a 50 MB one is never held in memory.
    """
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(status_code=415, detail="只接受 application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="消息过大")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="消息过大")
        chunks.append(chunk)
    return b"".join(chunks)


def _room_id(request: Request) -> str:
    room_id = str(request.path_params["room_id"])
    if not ID_PATTERN.fullmatch(room_id):
        problem = {"loc": ("path", "room_id"), "msg": "房间编号格式不正确", "type": "pattern"}
        raise RequestValidationError([problem])
    return room_id


def _checked(check: Callable[[Any], Checked], raw: Any, where: str) -> Checked:
    """`check(raw)`, or the app's 422 naming what is wrong and where (body, query)."""
    try:
        return check(raw)
    except ValidationError as error:
        problems = [{**problem, "loc": (where, *problem["loc"])} for problem in error.errors()]
        raise RequestValidationError(problems) from None
