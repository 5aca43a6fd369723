"""The workbench offers only the steps a role may record now, as forms made from the contract."""

from __future__ import annotations

import pytest

from services.cases.agencies import load_agencies
from services.cases.application import WORKFLOW_FILE
from services.cases.workflow import Workflow, load_workflow
from services.runtime.i18n import translator
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.vocabulary import load_vocabulary
from services.web.workbench.forms import FormField, StepForm, step_form
from services.web.workbench.labels import STEP_TITLES, step_title
from services.web.workbench.offered import may_record, offered_steps
from services.web.workbench.service import _schema

REPORTED = ["CaseReported"]


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return load_workflow(DEFAULT_CONFIG_DIR / WORKFLOW_FILE)


def form(
    workflow: Workflow, step: str, lang: str = "vi", **earlier: list[dict[str, str]]
) -> StepForm:
    rule = workflow.rule(step)
    assert rule is not None
    personal = _schema("PersonalData")["fields"]
    vocabulary, agencies = load_vocabulary(DEFAULT_CONFIG_DIR), load_agencies(DEFAULT_CONFIG_DIR)
    return step_form(_schema(step), rule, vocabulary, agencies, earlier, lang, personal)


def field(found: StepForm, name: str) -> FormField:
    return next(f for f in found.fields if f.name == name)


def test_a_commune_may_assess_the_risk_and_draft_the_plan_of_a_reported_case(
    workflow: Workflow,
) -> None:
    offered = offered_steps(workflow, "commune", REPORTED)
    assert {"InitialRiskAssessed", "SupportPlanDrafted"} <= set(offered)
    assert "CaseReported" not in offered  # a report opens a case; it never follows one


def test_the_police_are_not_offered_the_communes_plan(workflow: Workflow) -> None:
    offered = offered_steps(workflow, "police", REPORTED)
    assert "SupportPlanDrafted" not in offered and "InitialRiskAssessed" not in offered
    assert "PoliceReportReceived" in offered
    assert not may_record(workflow, "police", "SupportPlanDrafted")


def test_a_step_that_answers_an_earlier_one_waits_for_it(workflow: Workflow) -> None:
    assert "SupportPlanApproved" not in offered_steps(workflow, "commune", REPORTED)
    drafted = [*REPORTED, "SupportPlanDrafted"]
    assert "SupportPlanApproved" in offered_steps(workflow, "commune", drafted)


def test_a_closed_case_offers_only_what_closure_allows(workflow: Workflow) -> None:
    closed = offered_steps(workflow, "commune", [*REPORTED, "CaseClosed"])
    assert "SupportPlanDrafted" not in closed
    reopened = offered_steps(workflow, "commune", [*REPORTED, "CaseClosed", "CaseReopened"])
    assert "SupportPlanDrafted" in reopened


def test_a_coded_field_offers_the_vocabularys_codes_in_the_persons_language(
    workflow: Workflow,
) -> None:
    vi = field(form(workflow, "InitialRiskAssessed", "vi"), "risk_level")
    en = field(form(workflow, "InitialRiskAssessed", "en"), "risk_level")
    assert vi.kind == "code" and [c for c, _ in vi.options] == [c for c, _ in en.options]
    assert vi.options != en.options  # the labels differ by language
    assert field(form(workflow, "InitialRiskAssessed"), "serious_danger").kind == "flag"


def test_the_plan_form_makes_its_id_and_offers_rows_of_items(workflow: Workflow) -> None:
    plan = form(workflow, "SupportPlanDrafted", "en")
    assert field(plan, "plan_id").kind == "new_id"
    items = field(plan, "items")
    assert items.kind == "items"
    kinds = {c.name: c.kind for c in items.children}
    assert kinds == {
        "item_id": "new_id",
        "service": "code",
        "responsible_role": "code",
        "due_at": "instant",
    }
    assert ("counselling", "Counselling") in next(
        c for c in items.children if c.name == "service"
    ).options


def test_a_workflow_choice_narrows_the_codes(workflow: Workflow) -> None:
    reason = field(form(workflow, "SupportPlanNotRequired", "en"), "reason")
    assert {code for code, _ in reason.options} == {"not_needed", "emergency"}


def test_a_reference_offers_the_ids_the_case_has(workflow: Workflow) -> None:
    plan_id = "0f0e1d2c-0000-4000-8000-000000000001"
    approved = form(workflow, "SupportPlanApproved", SupportPlanDrafted=[{"plan_id": plan_id}])
    choice = field(approved, "plan_id")
    assert choice.kind == "choice" and [v for v, _ in choice.options] == [plan_id]


def test_a_report_asks_for_personal_data_to_seal(workflow: Workflow) -> None:
    reported = form(workflow, "CaseReported", "en")
    personal = field(reported, "personal_data")
    assert personal.kind == "personal"
    assert [c.name for c in personal.children][:2] == ["child_name", "child_birth_date"]
    assert field(reported, "forms_of_abuse").kind == "codes"


@pytest.mark.parametrize(("step", "name"), [("ReferralSent", "to_agency"),
                                            ("ProsecutionRecommended", "to_agency"),
                                            ("SupervisorFollowedUp", "chased_agency")])  # fmt: skip
def test_an_agency_is_offered_by_its_name_in_the_persons_language(
    workflow: Workflow, step: str, name: str
) -> None:
    vi = dict(field(form(workflow, step, "vi"), name).options)
    en = dict(field(form(workflow, step, "en"), name).options)
    assert vi["police-khanh-hoa"] == "Công an tỉnh Khánh Hòa"
    assert en["police-khanh-hoa"] != vi["police-khanh-hoa"]
    assert vi.keys() == en.keys()


def test_every_form_an_agency_may_fill_reads_in_vietnamese(workflow: Workflow) -> None:
    """Each title of a field has its Vietnamese in the catalogue, and no option is shown as its
    bare code or as the English name of an agency."""
    vi = translator("vi", "UTC")
    english_names = {a.name for a in load_agencies(DEFAULT_CONFIG_DIR).all()}
    left: list[str] = []
    for step in (s for s, rule in workflow.steps.items() if rule.roles):
        if step not in STEP_TITLES:
            continue  # not a step an agency records by form (an erasure order, say)
        left += [f"{step}: step title"] * (vi.gettext(step_title(step)) == step_title(step))
        for f in _every_field(form(workflow, step, "vi").fields):
            left += [f"{step}.{f.name}: title"] * (vi.gettext(f.title) == f.title)
            shown = [label for code, label in f.options if f.kind != "choice"]
            left += [f"{step}.{f.name}: {label}" for label in shown if label in english_names]
            codes = {code for code, _ in f.options}
            left += [f"{step}.{f.name}: {label}" for label in shown if label in codes]
    assert not left


def _every_field(fields: tuple[FormField, ...]) -> list[FormField]:
    return [x for f in fields for x in (f, *_every_field(f.children))]
