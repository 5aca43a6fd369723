"""The dashboard's ASGI application.

``create_app(dashboard, mounts=...)`` builds it from ready collaborators (``wiring.py`` makes
them from the settings). Other surfaces join the same server through ``mounts``: a mapping of
path prefix to ASGI app or router, e.g. ``{"/api": api_app}``; the dashboard itself never uses
``/api`` or ``/reports``. Mounted apps bring their own authentication.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from services.runtime.logs import get_logger
from services.web import auth, live, pages, reportpage
from services.web.deps import Dashboard
from services.web.render import render
from services.web.watch import Watcher
from services.web.workbench import routes as workbench

STATIC = Path(__file__).resolve().parent / "static"
SESSION_HOURS = 8
log = get_logger(__name__)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    dashboard: Dashboard, *, mounts: Mapping[str, ASGIApp | APIRouter] | None = None
) -> FastAPI:
    """The dashboard, with other apps or routers mounted under their prefixes."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.stopping.set()  # ends the live streams, so the server stops at once

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard = dashboard
    app.state.stopping = asyncio.Event()
    app.state.watcher = Watcher(dashboard)
    for prefix, mounted in (mounts or {}).items():
        if isinstance(mounted, APIRouter):
            app.include_router(mounted, prefix=prefix)
        else:
            app.mount(prefix, mounted)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    app.include_router(live.router)
    app.include_router(pages.router)
    app.include_router(reportpage.router)
    app.include_router(workbench.router)
    app.add_middleware(
        SessionMiddleware,
        secret_key=dashboard.session_key,
        session_cookie="backbone_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=dashboard.secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(auth.LoginRequired)
    async def to_login(request: Request, _: Exception) -> Response:
        if request.url.path == "/board/events":
            return Response(status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def error_page(request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, StarletteHTTPException) else 500
        detail = error.detail if isinstance(error, StarletteHTTPException) else ""
        return render(request, "error.html", {"status": status, "detail": detail}, status=status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.error("web.error", path=request.url.path, error=type(error).__name__)
        return render(request, "error.html", {"status": 500}, status=500)

    return app
