"""Serving the agency API alone (``backbone api serve``), over HTTPS when the settings say so.

The same app is what ``backbone serve`` mounts at ``/api``; here a bare parent app mounts it at
the same path, so URLs are identical either way.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from services.ops.health import watch_server
from services.runtime.settings import Settings


def mounted(api: FastAPI) -> FastAPI:
    """A parent application with the agency API at ``/api``."""
    parent = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    parent.mount("/api", api)
    return parent


def server(settings: Settings, host: str, port: int, api: FastAPI) -> uvicorn.Server:
    """A uvicorn server; TLS when ``api_tls_cert_file`` and ``api_tls_key_file`` are set."""
    cert, key = settings.api_tls_cert_file, settings.api_tls_key_file
    if bool(cert) != bool(key):
        raise SystemExit("set both BACKBONE_API_TLS_CERT_FILE and BACKBONE_API_TLS_KEY_FILE")
    config = uvicorn.Config(
        mounted(api),
        host=host,
        port=port,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        log_config=None,  # the backbone's own structured logs
        access_log=False,  # request lines could carry ids agencies consider private
        h11_max_incomplete_event_size=settings.api_max_body_bytes,
    )
    return uvicorn.Server(config)


def serve(settings: Settings, host: str, port: int, api: FastAPI) -> None:
    """Run ``api`` until SIGINT or SIGTERM, then release its broker and database connections."""
    try:
        running = server(settings, host, port, api)
        watch_server(settings, "api", lambda: running.started)
        running.run()
    finally:
        api.state.backend.close()
