"""Words people read for the codes of the read model: rule titles, levels, roles.

The English titles are the message ids of the one catalogue (``services/runtime/i18n.py``);
the Vietnamese is in its ``backbone.po``. Every surface (CLI, web dashboard, reports) labels
the same code the same way through these functions. A code without a title shows as itself.
"""

from __future__ import annotations

from services.runtime.sentences import Gettext

RULE_TITLES = {
    "report_to_commune": "Report passed to the commune",
    "emergency_intervention": "Emergency intervention",
    "support_plan_drafted": "Support plan drafted",
    "support_plan_approved": "Support plan approved",
    "support_plan_item": "Support plan item delivered",
    "referral_service": "Referred service delivered",
    "medical_examination": "Medical examination",
    "legal_aid_assigned": "Legal aid assigned",
    "police_settle_report": "Police settle the report",
    "police_settle_recommendation": "Police settle the recommendation",
    "investigation_less_serious": "Investigation (less serious crime)",
    "investigation_serious": "Investigation (serious crime)",
    "investigation_very_serious": "Investigation (very serious crime)",
    "investigation_especially_serious": "Investigation (especially serious crime)",
    "prosecution_less_serious": "Prosecution decision (less serious crime)",
    "prosecution_serious": "Prosecution decision (serious crime)",
    "prosecution_very_serious": "Prosecution decision (very serious crime)",
    "prosecution_especially_serious": "Prosecution decision (especially serious crime)",
    "trial_preparation_less_serious": "Trial preparation (less serious crime)",
    "trial_preparation_serious": "Trial preparation (serious crime)",
    "trial_preparation_very_serious": "Trial preparation (very serious crime)",
    "trial_preparation_especially_serious": "Trial preparation (especially serious crime)",
    "trial_opens": "Trial opens",
    "juvenile_accused": "Juvenile accused: shortened time limit",
}

LEVELS = {0: "in time", 1: "overdue", 2: "ESCALATED"}

ROLE_TITLES = {
    "receiving_point": "receiving point",
    "commune_chairman": "commune chairman",
    "commune_child_protection_officer": "commune child-protection officer",
    "health_facility": "health facility",
    "state_legal_aid_centre": "state legal aid centre",
    "police_investigation_agency": "police investigation agency",
    "investigation_agency": "investigation agency",
    "referral_recipient": "referral recipient",
    "plan_agency": "agency named in the plan",
    "procuracy": "procuracy",
    "court": "court",
}


def rule_title(rule_id: str, t: Gettext) -> str:
    """The rule's title in the person's language (the id when it has none)."""
    title = RULE_TITLES.get(rule_id)
    return t.gettext(title) if title else rule_id


def level_label(level: int, t: Gettext) -> str:
    return t.gettext(LEVELS.get(level, str(level)))


def role_label(role: str, t: Gettext) -> str:
    title = ROLE_TITLES.get(role)
    return t.gettext(title) if title else role
