"""Live updates of the board: server-sent events fed by the read model.

Each open board holds one ``/board/events`` stream. Every ``refresh_seconds`` the stream
looks at the process's ``Watcher`` (a cheap mark of the read model at the dashboard's clock);
when the mark moved it reads the user's board (with the page's filters) again and sends
``changed`` when a case stalled, escalated or recovered in it, and ``checked`` otherwise, both
with the time of the reading, so the page can say when its data was last updated. The page
then fetches the table again (``/board/rows``). The stream ends when the browser goes or the
server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from services.runtime.i18n import translator
from services.web.auth import Person, dashboard
from services.web.pages import _board
from services.web.watch import Mark, Watcher

router = APIRouter()
RETRY_MS = 3000


@router.get("/board/events")
async def board_events(request: Request, user: Person) -> StreamingResponse:
    board = dashboard(request)
    stopping: asyncio.Event = request.app.state.stopping
    watcher: Watcher = request.app.state.watcher
    t = translator(user.language, board.zone)

    async def stream() -> AsyncIterator[str]:
        shown = request.query_params.get("since", "")
        seen: Mark | None = None
        yield f"retry: {RETRY_MS}\n\n"
        while not stopping.is_set() and not await request.is_disconnected():
            mark, at = await watcher.current()
            kind = "checked"
            if mark is not None and mark != seen:  # something moved: read this board again
                try:
                    found = await run_in_threadpool(_board, request, user)
                except HTTPException:  # the read model went away meanwhile: next time
                    found = None
                if found is not None:
                    kind = "changed" if found.signature != shown else "checked"
                    shown, seen, at = found.signature, mark, found.at
            yield f"event: {kind}\ndata: {t.datetime(at, seconds=True)}\n\n"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=board.refresh_seconds)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
