"""The FastAPI application: pages, health, and whatever routers the entry point adds."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi_offline import FastAPIOffline

from mediation import templates

STATIC_DIR = Path(__file__).with_name("static")

HealthCheck = Callable[[], Awaitable[Mapping[str, bool | str]]]
"""Each entry is a check that passed or failed (a bool) or a part's state (a string, such as
"loading"), shown as it is; only a failed check or a "failed" state makes /healthz a 503."""
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    *,
    health: HealthCheck,
    lifespan: Lifespan | None = None,
    routers: Sequence[APIRouter] = (),
    sandbox_page: bool = True,
    bot_identity: tuple[str, str] = ("tiaojie-bot", "调解助手"),
    description: str = "",
    sandbox_staff_is_admin: bool = False,
) -> FastAPI:
    # /docs with Swagger UI's files served from the package: offline and on government
    # networks that block public CDNs the page would otherwise be blank
    app = FastAPIOffline(
        title="tiaojie 调解助手", description=description, lifespan=lifespan, redoc_url=None
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        """Say what is wrong without echoing the input: it may be huge, hold personal data,
        or not even be encodable (a lone surrogate), which would turn a 422 into a 500."""
        problems = [
            {"loc": [str(part) for part in problem.get("loc", ())], "msg": str(problem.get("msg"))}
            for problem in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> JSONResponse:
        checks = await health()
        ok = all(value not in (False, "failed") for value in checks.values())
        return JSONResponse({"ok": ok, **checks}, status_code=200 if ok else 503)

    if sandbox_page:

        @app.get("/sandbox", response_class=HTMLResponse, include_in_schema=False)
        async def sandbox_page_view() -> HTMLResponse:
            return HTMLResponse(sandbox_html)

        bot_id, bot_name = bot_identity
        sandbox_html = (
            (STATIC_DIR / "sandbox.html")
            .read_text(encoding="utf-8")
            .replace("{{BOT_ID}}", html.escape(bot_id))
            .replace("{{BOT_NAME}}", html.escape(bot_name))
            .replace(
                "{{STAFF_NOTE}}",
                html.escape(templates.SANDBOX_STAFF_IS_ADMIN if sandbox_staff_is_admin else ""),
            )
            .replace("{{PRIVATE_HINT}}", html.escape(templates.SANDBOX_PRIVATE_HINT))
            .replace("{{EXPORT_LINK}}", html.escape(templates.SANDBOX_EXPORT_LINK))
        )

    for router in routers:
        app.include_router(router)
    return app
