"""The vocabulary file: every coded field of the contract has a list, each code two labels."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from events import SCHEMA_DIR, ContractError
from services.cases.agencies import ROLES
from services.cases.workflow import load_workflow
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.runtime.tomlfile import ConfigFileError
from services.vocabulary import (
    Vocabulary,
    VocabularyError,
    load_vocabulary,
    parse_vocabulary,
)
from tests.unit.events.samples import SAMPLES, STEPS

VOCABULARY = load_vocabulary(DEFAULT_CONFIG_DIR)
AREAS = tomllib.loads((DEFAULT_CONFIG_DIR / "areas.toml").read_text(encoding="utf-8"))


def _schema_fields() -> dict[str, Any]:
    """Every field of every schema as "Record.field" (and "Record.array.field") -> field."""
    found: dict[str, Any] = {}
    for path in SCHEMA_DIR.glob("*.avsc"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        for field in schema["fields"]:
            found[f"{schema['name']}.{field['name']}"] = field
            kind = field["type"]
            if isinstance(kind, dict) and isinstance(kind.get("items"), dict):
                for inner in kind["items"]["fields"]:
                    found[f"{schema['name']}.{field['name']}.{inner['name']}"] = inner
    return found


SCHEMA_FIELDS = _schema_fields()
AREA_FIELDS = ("province_code", "district_code", "commune_code")


def test_every_field_the_schemas_call_coded_takes_a_list_of_the_vocabulary() -> None:
    coded = {
        name
        for name, field in SCHEMA_FIELDS.items()
        if "from the vocabulary" in field.get("doc", "") or name.split(".")[-1] in AREA_FIELDS
    }
    coded = {name for name in coded if not name.startswith("Alert.")}  # the backbone's output
    unbound = sorted(name for name in coded if VOCABULARY.list_of(name) is None)
    assert unbound == []


def test_every_bound_field_is_a_text_field_of_a_schema() -> None:
    bound = [field for code_list in VOCABULARY.lists.values() for field in code_list.fields]
    for name in bound:
        kind = SCHEMA_FIELDS[name]["type"]
        assert kind == "string" or kind == {"type": "array", "items": "string"}, name


def test_each_code_has_a_vietnamese_and_an_english_label() -> None:
    assert VOCABULARY.label("CaseReported.child_sex", "female", "vi") == "Nữ"
    assert VOCABULARY.label("CaseReported.child_sex", "female", "en") == "Female"
    assert VOCABULARY.label("risk_level", "high", "en") == "High"
    assert VOCABULARY.label("commune", "22738", "en") == "Phường Phủ Hà (sample)"
    assert VOCABULARY.label("risk_level", "no-such-code", "en") == "no-such-code"


def test_the_workflow_choices_and_the_agency_roles_are_codes_of_the_vocabulary() -> None:
    workflow = load_workflow(DEFAULT_CONFIG_DIR / "workflow.toml")
    for rule in workflow.steps.values():
        for field, allowed in rule.choices.items():
            code_list = VOCABULARY.list_of(f"{rule.step}.{field}")
            assert code_list is not None and set(code_list.codes) == allowed, rule.step
    assert set(VOCABULARY.codes("role")) == ROLES


def test_the_areas_come_from_the_area_file() -> None:
    assert set(VOCABULARY.codes("commune")) == {unit["code"] for unit in AREAS["commune"]}
    assert set(VOCABULARY.codes("province")) == {unit["code"] for unit in AREAS["province"]}


@pytest.mark.parametrize("wire_name", sorted(STEPS))
def test_the_contract_samples_use_only_known_codes(wire_name: str) -> None:
    VOCABULARY.check(wire_name, SAMPLES[wire_name])


@pytest.mark.parametrize(
    ("wire_name", "field", "value"),
    [
        ("CaseReported", "child_sex", "x"),
        ("CaseReported", "risk_level", "x"),
        ("CaseReported", "channel", "x"),
        ("CaseReported", "district_code", "x"),
        ("CaseReported", "commune_code", ""),
        ("CaseReported", "forms_of_abuse", ["neglect", "x"]),
        ("InitialRiskAssessed", "risk_level", "extreme"),
    ],
)
def test_an_unknown_code_is_refused_naming_the_field_and_the_value(
    wire_name: str, field: str, value: object
) -> None:
    with pytest.raises(ContractError) as refused:
        VOCABULARY.check(wire_name, SAMPLES[wire_name] | {field: value})
    assert refused.value.reason == "unknown_code"
    assert f"{wire_name}.{field} = " in refused.value.detail
    assert repr(value[-1] if isinstance(value, list) else value) in refused.value.detail


def test_a_code_inside_a_plan_item_is_checked() -> None:
    items = [dict(SAMPLES["SupportPlanDrafted"]["items"][0], responsible_role="dolisa")]
    with pytest.raises(ContractError, match=r"SupportPlanDrafted\.items\.responsible_role"):
        VOCABULARY.check("SupportPlanDrafted", SAMPLES["SupportPlanDrafted"] | {"items": items})


def test_an_empty_district_is_allowed_as_not_given() -> None:
    VOCABULARY.check("CaseReported", SAMPLES["CaseReported"] | {"district_code": ""})


GOOD: dict[str, Any] = {
    "sex": {"fields": ["CaseReported.child_sex"], "codes": {"f": {"vi": "Nữ", "en": "Female"}}}
}


@pytest.mark.parametrize(
    ("document", "names"),
    [
        ({"sex": GOOD["sex"] | {"feilds": []}}, ("sex", "feilds")),
        ({"sex": GOOD["sex"] | {"fields": "CaseReported.child_sex"}}, ("sex", "fields")),
        ({"sex": GOOD["sex"] | {"codes": {"f": {"vi": "Nữ"}}}}, ("sex", "codes.f")),
        ({"sex": GOOD["sex"] | {"codes": {"F x": {"vi": "a", "en": "b"}}}}, ("sex", "codes.F x")),
        ({"sex": GOOD["sex"] | {"codes": {"f": {"vi": 1, "en": "b"}}}}, ("sex", "codes.f.vi")),
        ({"sex": GOOD["sex"], "sex2": GOOD["sex"]}, ("sex2", "CaseReported.child_sex")),
        ({"sex": GOOD["sex"] | {"may_be_empty": ["X.y"]}}, ("sex", "may_be_empty")),
        ({"areas": {"communes": []}}, ("areas", "communes")),
        ({"commune": GOOD["sex"]}, ("commune", "commune")),
        ({"sex": 3}, ("sex", "sex")),
    ],
)
def test_a_mistake_in_the_file_names_file_table_and_key(
    document: dict[str, Any], names: tuple[str, str]
) -> None:
    with pytest.raises(VocabularyError) as error:
        parse_vocabulary(document, AREAS)
    assert (error.value.file, error.value.table, error.value.key) == ("vocabulary.toml", *names)


def test_a_unit_without_a_name_in_the_area_file_is_named_there() -> None:
    with pytest.raises(VocabularyError, match=r"areas.toml: \[commune #2\] name"):
        parse_vocabulary(GOOD, {"commune": [{"code": "1", "name": "a"}, {"code": "2"}]})


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.toml").write_text("[sex\n", encoding="utf-8")
    (tmp_path / "areas.toml").write_text("", encoding="utf-8")
    with pytest.raises(ConfigFileError, match=r"vocabulary\.toml"):
        load_vocabulary(tmp_path)


def test_a_good_document_reads_into_lists() -> None:
    vocabulary = parse_vocabulary(GOOD, {})
    assert isinstance(vocabulary, Vocabulary)
    assert vocabulary.codes("sex") == ("f",)
    with pytest.raises(KeyError, match="no vocabulary list 'age'"):
        vocabulary.codes("age")
