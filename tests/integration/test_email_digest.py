"""The e-mail digest reaches each supervisor through a real SMTP server, in its language."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from projections.queries import StalledCase
from projections.stalled.model import DueTime, Obligation
from projections.stalled.status import ObligationStatus
from services.cases.agencies import Agency, load_agencies
from services.digest import load_recipients, send_digests
from services.runtime.settings import DEFAULT_CONFIG_DIR, load_settings

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
ZONE = "Asia/Ho_Chi_Minh"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def stalled(case_id: str) -> StalledCase:
    due = NOW - timedelta(days=3)
    obligation = Obligation(
        case_id=case_id, rule_id="commune_verification", key="", opened_seq=1,
        opened_at=due - timedelta(days=1), due_at=due, responsible_role="commune",
        responsible_agency=None, citation="ND56 art. 26(2)",
        due_history=(DueTime(due - timedelta(days=1), due, due - timedelta(days=1)),),
    )  # fmt: skip
    return StalledCase(
        case_id, 1, {"district_code": "582"}, (ObligationStatus(obligation, due, 1),)
    )


def test_each_supervisor_with_stalled_cases_gets_one_digest(
    smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    port, inbox = smtp
    settings = load_settings(
        home=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
        smtp_sender="backbone@example.org",
    )  # fmt: skip
    recipients = load_recipients(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))
    by_area = {"56": [stalled("c-1"), stalled("c-2")]}  # the province of Khánh Hòa

    def stalled_in(agency: Agency) -> list[StalledCase]:
        return by_area.get(agency.area, [])

    assert send_digests(settings, recipients, stalled_in, NOW, ZONE) == 1
    [message] = inbox.messages
    assert message["To"] == "supervisor.province@example.org"
    assert message["From"] == "backbone@example.org"
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "2 vụ việc bị đình trệ trên địa bàn của đơn vị"
    body = message.get_payload(decode=True).decode()
    assert "c-1" in body and "c-2" in body and "ND56 art. 26(2)" in body
    assert "27/02/2026 10:00 UTC+07:00" in body  # the due time on the province's clock
