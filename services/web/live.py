"""Live updates of the board: server-sent events fed by the read model.

Each open board holds one ``/board/events`` stream. The server reads the user's board (with the
page's filters) every ``refresh_seconds`` on the dashboard's clock and sends ``changed`` when
a case stalled, escalated or recovered in it, and ``checked`` otherwise, both with the time of
the reading, so the page can say when its data was last updated. The page then fetches the
table again (``/board/rows``). The stream ends when the browser goes or the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from services.runtime.i18n import translator
from services.web.auth import dashboard
from services.web.pages import Person, _board

router = APIRouter()
RETRY_MS = 3000


@router.get("/board/events")
async def board_events(request: Request, user: Person) -> StreamingResponse:
    board = dashboard(request)
    stopping: asyncio.Event = request.app.state.stopping
    t = translator(user.language, board.zone)

    async def stream() -> AsyncIterator[str]:
        last = request.query_params.get("since", "")
        yield f"retry: {RETRY_MS}\n\n"
        while not stopping.is_set() and not await request.is_disconnected():
            found = await run_in_threadpool(_board, request, user)
            kind = "changed" if found.signature != last else "checked"
            last = found.signature
            yield f"event: {kind}\ndata: {t.datetime(found.at, seconds=True)}\n\n"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=board.refresh_seconds)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
