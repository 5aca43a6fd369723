"""``backbone serve``: the supervisors' dashboard in the browser, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from services.api.wiring import build_api
from services.commands.common import settings_for
from services.ops.health import watch_server
from services.runtime.logs import get_logger
from services.runtime.settings import Settings
from services.web.wiring import build_app

log = get_logger(__name__)
GRACE_SECONDS = 5


def register(subparsers: Any) -> None:
    text = "serve the supervisors' dashboard and the agency API (/api) over HTTP"
    parser = subparsers.add_parser("serve", help=text, description=text)
    parser.add_argument("--host", help="address to listen on (default BACKBONE_WEB_HOST)")
    parser.add_argument("--port", type=int, help="port (default BACKBONE_WEB_PORT; 0: any free)")
    parser.set_defaults(func=serve)


def url_of(settings: Settings) -> str:
    """Where the dashboard answers (what ``backbone run`` prints)."""
    local = settings.web_host in ("127.0.0.1", "::1", "0.0.0.0")
    host = "localhost" if local else settings.web_host
    return f"http://{host}:{settings.web_port}/"


def serve(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    overrides = {"web_host": args.host, "web_port": args.port}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    api = build_api(settings)  # agency systems' HTTP API, on the same server under /api
    backend = api.state.backend  # the workbench submits through the API's own path
    app = build_app(settings, mounts={"/api": api}, agency_backend=lambda: backend)
    config = uvicorn.Config(
        app,
        host=settings.web_host,
        port=settings.web_port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
    server = uvicorn.Server(config)
    watch_server(settings, "web", lambda: server.started)
    log.info("web.serving", url=url_of(settings))
    try:
        server.run()  # uvicorn stops cleanly on SIGTERM and SIGINT
    finally:
        api.state.backend.close()
    log.info("web.stopped")
    return 0
