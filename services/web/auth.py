"""Log in and out, the signed session, and CSRF tokens.

The session is a signed cookie (Starlette's ``SessionMiddleware``: HttpOnly, SameSite=strict,
Secure unless ``web_secure_cookies`` is off) holding the user name, a CSRF token and the time
of login; the user is looked up again on every request, so a removed user is out at once.
Every form posts the token; a POST without the session's token is refused (403). A failed login
is logged with the name tried, the client address and the time, never the password.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.runtime.logs import get_logger
from services.web.deps import Dashboard
from services.web.render import render
from services.web.users import User

log = get_logger(__name__)
router = APIRouter()


class LoginRequired(Exception):
    """The request has no valid session: send the person to the login page."""


def dashboard(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


def current_user(request: Request) -> User:
    """The logged-in user (FastAPI dependency); raises ``LoginRequired`` otherwise."""
    name = request.session.get("user")
    user = dashboard(request).users.get(name) if isinstance(name, str) else None
    if user is None:
        request.session.clear()
        raise LoginRequired
    request.state.user = user
    return user


Person = Annotated[User, Depends(current_user)]
"""A route's parameter for the logged-in user."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, token: str) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, token):
        log.warning("web.csrf_refused", path=request.url.path, client=_client(request))
        raise HTTPException(status_code=403, detail="csrf")


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "login.html", {"failed": False}, lang=_lang(request))


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    board = dashboard(request)
    user = board.users.authenticate(username.strip(), password)
    if user is None:
        log.warning(
            "web.login_failed",
            user=username.strip()[:64],
            client=_client(request),
            at=board.clock().isoformat(),
        )
        context: dict[str, Any] = {"failed": True, "username": username.strip()[:64]}
        return render(request, "login.html", context, status=401, lang=_lang(request))
    request.session.clear()  # a fresh session on every login (no fixation)
    request.session.update({"user": user.name, "csrf": secrets.token_urlsafe(32)})
    log.info("web.login", user=user.name, client=_client(request))
    return RedirectResponse("/work" if user.works_for_agency else "/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    response = RedirectResponse("/login", status_code=303)
    # Nothing of the session's work stays in the browser (cached pages, the workbench's outbox),
    # even where the page's own clearing did not run; the workbench warns of unsent steps first.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang", "")
    return wanted if wanted in ("vi", "en") else "vi"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
