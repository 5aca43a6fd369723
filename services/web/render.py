"""Templates in the person's language and the province's local time.

Every page gets ``_`` (the catalogue of ``services/runtime/i18n.py``), ``when`` (a local date
and time), ``day`` (an ISO date as people write it), ``number``, ``late`` (how late, in days and
hours), ``role`` and ``agency`` (names for people), ``area`` (a case's area by name),
``sentence`` (a refusal's English sentence in the person's language) and the session's CSRF
token. Autoescaping is on.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.runtime.i18n import Translator, translator
from services.runtime.sentences import localize

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
)

# Agency roles and dashboard roles as people read them (msgids of the catalogue).
ROLE_NAMES = {
    "hotline": "Hotline",
    "commune": "Commune child-protection officer",
    "commune_chairman": "Commune chairman",
    "social_affairs": "Social affairs",
    "police": "Police",
    "health": "Health",
    "legal_aid": "Legal aid",
    "procuracy": "Procuracy",
    "court": "Court",
    "education": "Education",
    "supervisor": "Supervisor",
    "receiving_point": "Agency that received the report",
    "commune_child_protection_officer": "Commune child-protection officer",
    "plan_agency": "Agency in charge of the plan",
    "referral_recipient": "Agency the case was referred to",
    "health_facility": "Health facility",
    "investigation_agency": "Investigation agency",
    "police_investigation_agency": "Police investigation agency",
    "state_legal_aid_centre": "State legal aid centre",
    "district_supervisor": "District supervisor",
    "province_supervisor": "Province supervisor",
    "auditor": "Auditor",
    "agency_officer": "Agency officer",
}
STATES = {
    "open": "Open",
    "overdue": "Overdue",
    "escalated": "Escalated",
    "met": "Met on time",
    "met_late": "Met late",
}
LEVELS = {0: "In time", 1: "Overdue", 2: "Escalated"}


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    lang: str | None = None,
) -> HTMLResponse:
    """A page in the user's language (or ``lang`` before login)."""
    from services.web.auth import csrf_token, dashboard

    board = dashboard(request)
    user = getattr(request.state, "user", None)
    t = translator(lang or (user.language if user else "vi"), board.zone)
    values = helpers(t, board.places) | {
        "request": request,
        "user": user,
        "csrf": csrf_token(request),
        "lang": t.lang,
    }
    html = _env.get_template(template).render(values | context)
    return HTMLResponse(html, status_code=status)


def helpers(t: Translator, places: Any) -> dict[str, Any]:
    def late(delta: timedelta) -> str:
        hours = max(0, int(delta.total_seconds() // 3600))
        return t.gettext("{days} d {hours} h").format(days=hours // 24, hours=hours % 24)

    return {
        "_": t.gettext,
        "t": t,
        "when": lambda instant: t.datetime(instant) if isinstance(instant, datetime) else "",
        "day": lambda iso: t.date(date.fromisoformat(iso)) if iso else "",
        "number": t.number,
        "percent": t.percent,
        "late": late,
        "role": lambda code: t.gettext(ROLE_NAMES.get(code) or code) if code else "",
        "state": lambda code: t.gettext(STATES.get(code) or code),
        "level": lambda n: t.gettext(LEVELS.get(n) or str(n)),
        "agency": lambda code: places.agency_name(code, t.lang),
        "citation": lambda text: places.citation(text, t.lang),
        "area": places.label,
        "place": places.name,
        "rule": lambda rule_id: rule_id.replace("_", " "),
        "sentence": lambda english: localize(english, t) if english else "",
    }
