"""The social-protection track (Decree 56/2017 ch. III): report, transfer, risk assessment,
emergency measure, needs, support plan and its items, medical support and referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.instants import from_millis, to_millis
from services.simulator import codeweights as v
from services.simulator.province import Commune
from services.simulator.tracks import Track

HURRY = timedelta(hours=3)  # a serious case: the commune must act within 12 h of the report
SERVICES_OF_ROLE = {
    "commune": "counselling",
    "health": "medical_follow_up",
    "education": "education_support",
}


@dataclass(frozen=True)
class ReportedFacts:
    """The facts of the report the rest of the social track depends on."""

    reported_at: datetime
    reporter: str
    commune: Commune
    forms: tuple[str, ...]
    risk_level: str


def first_response(track: Track, intake: ReportedFacts) -> bool:
    """Transfer to the commune, risk assessment, emergency measure; True when serious."""
    t, commune = track.teller, intake.commune.agency
    serious = intake.risk_level == "high" and t.rng.random() < 0.6
    hurry = HURRY if serious else None
    role = t.province.role_of(intake.reporter)
    assessed = {"risk_level": intake.risk_level, "serious_danger": serious}
    if role == "commune":
        track.timed(
            "InitialRiskAssessed",
            commune,
            assessed,
            "report_to_commune",
            intake.reported_at,
            hurry=hurry,
        )
    else:
        sender = t.province.first("social_affairs") if role == "education" else intake.reporter
        track.timed(
            "TransferredToCommune",
            sender,
            {"commune_code": intake.commune.code},
            "report_to_commune",
            intake.reported_at,
            hurry=hurry,
        )
        track.then("InitialRiskAssessed", commune, assessed, (0.3, 2.0) if serious else (1, 20))
    if serious and not track.stopped:
        track.timed(
            "EmergencyMeasureApplied",
            commune,
            {"measure": t.rng.choice(v.MEASURES)},
            "emergency_intervention",
            track.at,
            start=intake.reported_at,
        )
    return serious


def medical(track: Track, commune: str) -> None:
    """The commune asks the provincial hospital to examine the child."""
    hospital = track.teller.province.first("health")
    asked = track.then("MedicalSupportRequested", commune, {"facility": hospital}, (0.2, 4.0))
    if asked is not None:
        track.timed(
            "MedicalSupportProvided", hospital, {"facility": hospital}, "medical_examination", asked
        )


def support_plan(track: Track, intake: ReportedFacts, needs: list[str]) -> list[Track]:
    """Needs, plan drafted and approved, then one track per plan item and per referral."""
    t, commune = track.teller, intake.commune.agency
    track.then("NeedsAssessed", commune, {"needs": needs}, (2, 30))
    plan_id = f"KH-{t.new_id()[:8]}"
    slot = track.when("SupportPlanDrafted", "support_plan_drafted", intake.reported_at)
    if slot is None:
        return []
    items = _items(track, slot.at)
    track.add(
        "SupportPlanDrafted", commune, {"plan_id": plan_id, "items": items}, slot.at, due=slot.due
    )
    approved = track.timed(
        "SupportPlanApproved", commune, {"plan_id": plan_id}, "support_plan_approved", slot.at
    )
    if approved is None:
        return []
    forks = [_deliver_item(track.fork(), item, intake) for item in items]
    forks += [_refer(track.fork(), commune, need) for need in needs if need in _REFERRED]
    return forks


def review_and_close(track: Track, commune: str, plan_id: str) -> None:
    """The commune reviews the plan and closes the case."""
    track.then("PlanReviewed", commune, {"plan_id": plan_id, "outcome": "close"}, (4, 96))
    reason = v.pick(track.teller.rng, v.CLOSE_REASONS)
    track.then("CaseClosed", commune, {"reason": reason}, (1, 48))


def plan_id_of(track: Track) -> str | None:
    """The id of the plan drafted on this track, if any."""
    drafts = [s for s in track.steps if s.step == "SupportPlanDrafted"]
    return str(drafts[0].fields["plan_id"]) if drafts else None


def _items(track: Track, drafted: datetime) -> list[dict[str, Any]]:
    rng = track.teller.rng
    roles = ["commune", *rng.sample(["health", "education"], rng.randint(0, 2))]
    return [
        {
            "item_id": str(n),
            "service": SERVICES_OF_ROLE[role],
            "responsible_role": role,
            "due_at": to_millis(drafted + timedelta(days=rng.randint(10, 25))),
        }
        for n, role in enumerate(roles, start=1)
    ]


def _deliver_item(track: Track, item: dict[str, Any], intake: ReportedFacts) -> Track:
    role = item["responsible_role"]
    agency = intake.commune.agency if role == "commune" else track.teller.province.first(role)
    fields = {"referral_id": "", "item_id": item["item_id"], "service": item["service"]}
    track.timed(
        "ServiceDelivered",
        agency,
        fields,
        "support_plan_item",
        track.at,
        due=from_millis(item["due_at"]),
    )
    return track


_REFERRED = {"medical": "health", "legal_aid": "legal_aid"}


def _refer(track: Track, commune: str, need: str) -> Track:
    """A referral to the hospital or the legal aid centre: accepted and served, or declined."""
    t = track.teller
    to = t.province.first(_REFERRED[need])
    referral_id = f"CT-{t.new_id()[:8]}"
    sent = track.then(
        "ReferralSent",
        commune,
        {"referral_id": referral_id, "to_agency": to, "service": need, "due_at": 0},
        (1, 24),
    )
    if sent is None:
        return track
    if t.rng.random() < 0.15:
        reason = t.rng.choice(v.DECLINE_REASONS)
        track.timed(
            "ReferralDeclined",
            to,
            {"referral_id": referral_id, "reason": reason},
            "referral_service",
            sent,
        )
        return track
    track.then("ReferralAccepted", to, {"referral_id": referral_id}, (1, 20))
    fields = {"referral_id": referral_id, "item_id": "", "service": need}
    track.timed("ServiceDelivered", to, fields, "referral_service", sent)
    return track
