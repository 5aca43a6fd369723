"""Tell one case's story: who reported it, what happened, when, and whether it stalled.

:func:`tell` is pure: the same seeded random source, province, due clock and ``now`` give the
same story. Every story follows the workflow (deploy/config/workflow.toml) and times its
governed steps against the deadline policy; a case may have one deviation, a late step (it
stalls, then recovers) or a missing one (it stays stalled).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from random import Random

from services.simulator import codeweights as v
from services.simulator import criminal, personas, social
from services.simulator.province import Province
from services.simulator.story import Deviation, Story
from services.simulator.timing import DueClock
from services.simulator.tracks import Teller, Track, joined

REPORTERS: v.Weighted[str] = (
    ("hotline", 0.5),
    ("commune", 0.2),
    ("education", 0.15),
    ("police", 0.15),
)
CHANNELS = {
    "hotline-111": "hotline_111",
    "hotline-18008079": "hotline_18008079",
    "education": "school",
    "commune": "commune_officer",
    "police": "police",
}
DEVIATIONS: v.Weighted[Deviation] = (("none", 0.6), ("late", 0.25), ("missing", 0.15))
# How long before ``now`` a story began: (share, fewest days, most days).
AGES = ((0.45, 1 / 24, 6.0), (0.35, 6.0, 45.0), (0.20, 45.0, 300.0))
PROVINCE_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh keeps UTC+7 all year
CRIMINAL_FORMS = frozenset({"sexual_abuse", "trafficking"})


def tell(
    rng: Random, province: Province, clock: DueClock, now: datetime, lookahead: timedelta
) -> Story:
    """One case, back-dated to begin before ``now``; steps after ``now`` are its future."""
    teller = Teller(rng, clock, province, now, lookahead, v.pick(rng, DEVIATIONS))
    case_id = teller.new_id()
    # No case before the day the province's communes and agencies began (a 2025 merger).
    track = Track(teller, max(now - _age(rng), _first_instant(province.since, now)))
    intake = _report(track)
    tracks = _tell_tracks(track, intake)
    done = joined(tracks)
    plan_id = social.plan_id_of(track)
    if done is not None and plan_id is not None:
        track.at = done
        social.review_and_close(track, intake.commune.agency, plan_id)
    steps = sorted((s for t in tracks for s in t.steps), key=lambda s: s.occurred_at)
    return Story(case_id, now, tuple(steps), teller.deviated, tuple(teller.missed))


def _first_instant(day: date, now: datetime) -> datetime:
    """The start of ``day`` in the province (UTC+7, no daylight saving), as an aware instant."""
    if day == date.min:  # no start known: nothing limits the age
        return now - timedelta(days=AGES[-1][2])
    return datetime.combine(day, time(0), tzinfo=UTC) - PROVINCE_OFFSET


def _age(rng: Random) -> timedelta:
    share = rng.random()
    for weight, low, high in AGES:
        if share < weight:
            return timedelta(days=rng.uniform(low, high))
        share -= weight
    return timedelta(days=AGES[-1][2])


def _report(track: Track) -> social.ReportedFacts:
    t = track.teller
    commune = t.rng.choice(t.province.communes)
    role = v.pick(t.rng, REPORTERS)
    reporter = commune.agency if role == "commune" else t.rng.choice(t.province.agencies[role])
    sex, age_group = v.pick(t.rng, v.SEXES), v.pick(t.rng, v.AGE_GROUPS)
    forms, risk = v.pick_some(t.rng, v.FORMS_OF_ABUSE), v.pick(t.rng, v.RISK_LEVELS)
    fields = {
        "channel": CHANNELS.get(reporter, CHANNELS.get(role, role)),
        "forms_of_abuse": forms,
        "setting": v.pick(t.rng, v.SETTINGS),
        "child_sex": sex,
        "child_age_group": age_group,
        "province_code": t.province.code,
        "district_code": commune.district_code,
        "commune_code": commune.code,
        "risk_level": risk,
    }
    person = personas.personal_data(t.rng, sex, age_group, commune.name, track.at.date())
    at = track.add("CaseReported", reporter, fields, track.at, personal_data=person)
    return social.ReportedFacts(at, reporter, commune, tuple(forms), risk)


def _tell_tracks(track: Track, intake: social.ReportedFacts) -> list[Track]:
    """Every track of the case; ``track`` (the social one) comes first."""
    t = track.teller
    criminal_case = bool(CRIMINAL_FORMS & set(intake.forms)) or (
        "violence" in intake.forms and t.rng.random() < 0.25
    )
    crime = criminal.prosecute(track.fork(), intake.reported_at) if criminal_case else []
    social.first_response(track, intake)
    medical = track.fork()
    if {"sexual_abuse", "violence"} & set(intake.forms) and t.rng.random() < 0.7:
        social.medical(medical, intake.commune.agency)
    needs = _needs(t.rng, medical.steps != [], criminal_case)
    forks = social.support_plan(track, intake, needs)
    return [track, medical, *forks, *crime]


def _needs(rng: Random, examined: bool, criminal_case: bool) -> list[str]:
    needs = ["counselling"]
    if examined or rng.random() < 0.2:
        needs.append("medical")
    if criminal_case or rng.random() < 0.1:
        needs.append("legal_aid")
    if rng.random() < 0.4:
        needs.append(rng.choice(["education_support", "family_support"]))
    return needs
