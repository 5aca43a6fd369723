"""The e-mail digest: each supervisor gets the stalled cases of its area, through SMTP.

Recipients come from ``deploy/config/digest.toml``. The message holds case ids, obligations,
due times on the province's clock and legal citations, never personal data. One message per
recipient; a recipient whose area has no stalled case gets none.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from projections.queries import StalledCase
from services.cases.agencies import Agency, AgencyDirectory
from services.runtime import metrics, tomlfile
from services.runtime.i18n import Translator, translator
from services.runtime.logs import get_logger
from services.runtime.settings import Settings

log = get_logger(__name__)
DIGEST_FILE = "digest.toml"


@with_config(tomlfile.STRICT)
class RecipientTable(TypedDict):
    agency: str
    email: str
    lang: NotRequired[str]


@with_config(tomlfile.STRICT)
class DigestFile(TypedDict, total=False):
    recipient: list[RecipientTable]


@dataclass(frozen=True)
class Recipient:
    agency: Agency
    email: str
    lang: str


def load_recipients(config_dir: Path, agencies: AgencyDirectory) -> list[Recipient]:
    """The digest's recipients; an unknown agency fails at start-up, naming it."""
    path = config_dir / DIGEST_FILE
    if not path.exists():
        return []
    rows = tomlfile.read(path, DigestFile).get("recipient", [])
    found = []
    for number, row in enumerate(rows, start=1):
        agency = agencies.get(row["agency"])
        if agency is None:
            problem = f"names {row['agency']!r}, which is not in the agency directory"
            raise tomlfile.refuse(path, f"recipient[{number}]", "agency", problem)
        found.append(Recipient(agency, row["email"], row.get("lang", "vi")))
    return found


def compose(
    recipient: Recipient, cases: list[StalledCase], now: datetime, zone: str, sender: str
) -> EmailMessage:
    """The digest for one recipient."""
    t = translator(recipient.lang, zone)
    count = len(cases)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient.email
    message["Subject"] = t.ngettext(
        "%(count)s stalled case in your area", "%(count)s stalled cases in your area", count
    ) % {"count": t.number(count)}
    message.set_content("\n".join(_lines(t, recipient, cases, now)))
    return message


def _lines(
    t: Translator, recipient: Recipient, cases: list[StalledCase], now: datetime
) -> Iterable[str]:
    yield t.gettext("Stalled cases as of %(when)s") % {"when": t.datetime(now)}
    yield f"{t.gettext('Agency')}: {recipient.agency.name}"
    yield ""
    for case in cases:
        yield f"{t.gettext('Case')} {case.case_id} ({t.gettext('Level')} {case.level})"
        for overdue in case.overdue:
            ob = overdue.obligation
            yield f"  - {ob.rule_id}: {t.gettext('Due')} {t.datetime(overdue.due_at)}"
            yield f"    {t.gettext('Legal basis')}: {ob.citation}"
    yield ""


def send_digests(
    settings: Settings,
    recipients: list[Recipient],
    stalled_in: Callable[[Agency], list[StalledCase]],
    now: datetime,
    zone: str,
) -> int:
    """Send each recipient its digest; return how many messages went out."""
    if not settings.smtp_host:
        raise SystemExit("set BACKBONE_SMTP_HOST (and the other BACKBONE_SMTP_* settings)")
    messages = [
        compose(r, cases, now, zone, settings.smtp_sender)
        for r in recipients
        if (cases := stalled_in(r.agency))
    ]
    if not messages:
        return 0
    try:
        _send(settings, messages)
    except (OSError, smtplib.SMTPException):
        metrics.delivery_failed("email", "all")
        raise
    log.info("digest.sent", messages=len(messages))
    return len(messages)


def _send(settings: Settings, messages: list[EmailMessage]) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        for message in messages:
            smtp.send_message(message)
