"""The criminal track (Joint Circular 01/2022 art. 8; Criminal Procedure Code 2015): the
recommendation to prosecute, the police settling it, investigation, prosecution and trial."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.instants import to_millis
from projections.policy import FIRST
from services.simulator import codeweights as v
from services.simulator.tracks import Track


def prosecute(track: Track, reported_at: datetime) -> list[Track]:
    """The whole criminal track; returns it with the legal aid track it may fork."""
    t = track.teller
    police = t.province.first("police")
    recommended = track.then(
        "ProsecutionRecommended",
        t.province.first("social_affairs"),
        {"to_agency": police, "procuracy_notified": True},
        (2, 36),
    )
    report_id = f"CA-58-{reported_at.year}-{t.rng.randint(1, 999):03d}"
    received = track.then("PoliceReportReceived", police, {"report_id": report_id}, (0.5, 12))
    if recommended is None or received is None:
        return [track]
    # The matter began with the recommendation (the juvenile transition looks at that day).
    t.context.update(
        {f"ProsecutionRecommended.{FIRST}": recommended, f"PoliceReportReceived.{FIRST}": received}
    )
    due = min(
        t.clock.due(rule, start, t.context)
        for rule, start in (
            ("police_settle_report", received),
            ("police_settle_recommendation", recommended),
        )
    )
    outcome = v.pick(t.rng, v.SETTLE_OUTCOMES)
    settled = track.timed(
        "PoliceReportSettled",
        police,
        {"report_id": report_id, "outcome": outcome},
        "police_settle_report",
        received,
        due=due,
    )
    if settled is None or outcome != "instituted":
        return [track]
    category = _institute(track, police)
    legal_aid = _legal_aid(track.fork())
    _investigate_and_try(track, police, category)
    return [track, legal_aid]


def _institute(track: Track, police: str) -> str:
    t = track.teller
    category = v.pick(t.rng, v.CRIME_CATEGORIES)
    minor = t.rng.random() < 0.2
    at = track.then(
        "CriminalCaseInstituted",
        police,
        {"crime_category": category, "accused_is_minor": minor},
        (0.1, 2),
    )
    t.context.update(
        {
            "CriminalCaseInstituted.crime_category": category,
            "CriminalCaseInstituted.accused_is_minor": minor,
            "CriminalCaseInstituted.occurred_at": at,
            f"CriminalCaseInstituted.{FIRST}": at,
        }
    )
    return category


def _legal_aid(track: Track) -> Track:
    """The child's family asks for free legal aid; the centre assigns a provider."""
    province = track.teller.province
    asked = track.then("LegalAidRequested", province.first("social_affairs"), {}, (1, 72))
    if asked is not None:
        centre = province.first("legal_aid")
        track.timed(
            "LegalAidAssigned",
            centre,
            {"provider": f"{centre}/lawyer"},
            "legal_aid_assigned",
            asked,
        )
    return track


def _investigate_and_try(track: Track, police: str, category: str) -> None:
    t = track.teller
    procuracy, court = t.province.first("procuracy"), t.province.first("court")
    concluded = track.timed(
        "InvestigationConcluded",
        police,
        {"outcome": "recommend_prosecution"},
        f"investigation_{category}",
        track.at,
    )
    decided = concluded and track.timed(
        "ProsecutionDecided",
        procuracy,
        {"decision": "indict"},
        f"prosecution_{category}",
        concluded,
    )
    accepted = decided and track.then("CourtAccepted", court, {}, (24, 24 * 7))
    if not accepted:
        return
    slot = track.when("TrialScheduled", f"trial_preparation_{category}", accepted)
    if slot is None:
        return
    trial_at = slot.at + timedelta(days=t.rng.randint(3, 12))
    track.add("TrialScheduled", court, {"trial_at": to_millis(trial_at)}, slot.at, due=slot.due)
    track.timed(
        "VerdictDelivered",
        court,
        {"outcome": v.pick(t.rng, v.VERDICTS)},
        "trial_opens",
        slot.at,
        earliest=trial_at,
    )
