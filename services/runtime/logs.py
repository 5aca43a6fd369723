"""structlog set-up: JSON key-value events, configured once per process."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

_configured = False


def configure_logging(level: str = "INFO", fmt: str = "json", stream: TextIO | None = None) -> None:
    """Configure structlog and the standard library root logger once (to ``stream``, by
    default stderr; ``backbone run`` keeps the terminal for people and logs to a file)."""
    out = stream or sys.stderr
    global _configured
    if _configured:
        return
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        # One write per line: the main job's processes share one stderr.
        logger_factory=structlog.WriteLoggerFactory(file=out),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.WARNING, stream=out)
    # kafka-python logs every reconnect attempt and warns that SASL_PLAINTEXT is plaintext;
    # the backbone logs what matters itself.
    logging.getLogger("kafka").setLevel(logging.ERROR)
    _configured = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
