"""A step's form, made from its contract (``.avsc``), the vocabulary and the workflow rule.

Each field of the Avro record becomes one input: a code list becomes a choice of its labels in
the person's language, a boolean a check box, an instant a local date and time, an id the step
defines is made in the browser, a reference offers the ids of the earlier steps it may name,
an agency field the agencies of the directory by their names in the person's language,
``personal_data`` the fields of
``PersonalData`` that the browser seals before sending, and an array of records a few rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.cases.agencies import AgencyDirectory
from services.cases.workflow import StepRule
from services.vocabulary import Vocabulary
from services.web.workbench.labels import field_title

COMMON = ("submission_id", "case_id")
ITEM_ROWS = 3  # rows offered for an array of records (empty rows are left out)


@dataclass(frozen=True)
class FormField:
    """One input of a step's form."""

    name: str
    kind: str  # text | number | flag | instant | code | codes | new_id | choice | agency
    # | personal | items
    title: str  # msgid of the field's title
    help: str  # the contract's doc (English, for the curious)
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for code, codes, choice, agency
    required: bool = True
    children: tuple[FormField, ...] = field(default=())


@dataclass(frozen=True)
class StepForm:
    step: str
    fields: tuple[FormField, ...]


def step_form(
    schema: Mapping[str, Any],
    rule: StepRule,
    vocabulary: Vocabulary,
    agencies: AgencyDirectory,
    earlier: Mapping[str, Sequence[Mapping[str, Any]]],
    lang: str,
    personal_fields: Sequence[Mapping[str, Any]],
) -> StepForm:
    """The form of step ``schema['name']``; ``earlier`` holds the case's payloads by step."""
    step = str(schema["name"])
    made = FieldMaker(step, rule, vocabulary, agencies, earlier, lang, personal_fields)
    fields = [made.field(f, step) for f in schema["fields"] if f["name"] not in COMMON]
    return StepForm(step, tuple(fields))


@dataclass(frozen=True)
class FieldMaker:
    step: str
    rule: StepRule
    vocabulary: Vocabulary
    agencies: AgencyDirectory
    earlier: Mapping[str, Sequence[Mapping[str, Any]]]
    lang: str
    personal_fields: Sequence[Mapping[str, Any]]

    def field(self, avro: Mapping[str, Any], path: str) -> FormField:
        name, kind = str(avro["name"]), avro["type"]
        where, text = f"{path}.{name}", str(avro.get("doc", ""))
        title = field_title(name)
        if name == "personal_data":
            inner = [self.field(f, "PersonalData") for f in self.personal_fields]
            return FormField(name, "personal", title, text, required=False, children=tuple(inner))
        if isinstance(kind, Mapping) and kind.get("logicalType") == "timestamp-millis":
            return FormField(name, "instant", title, text, required=name == "occurred_at")
        if isinstance(kind, Mapping) and kind.get("type") == "array":
            return self._array(name, kind["items"], where, title, text)
        if kind == "boolean":
            return FormField(name, "flag", title, text, required=False)
        if kind in ("int", "long"):
            return FormField(name, "number", title, text)
        return self._text(name, where, title, text, "default" not in avro)

    def _text(self, name: str, where: str, title: str, text: str, required: bool) -> FormField:
        choices = self.rule.choices.get(name)
        codes = self.vocabulary.list_of(where)
        if codes is not None:
            empty_ok = where in codes.may_be_empty
            allowed = [c for c in codes.codes if choices is None or c in choices]
            options = tuple((c, codes.labels[c].in_language(self.lang)) for c in allowed)
            return FormField(name, "code", title, text, options, required and not empty_ok)
        if choices is not None:
            options = tuple((c, c.replace("_", " ")) for c in sorted(choices))
            return FormField(name, "code", title, text, options, required)
        if name == self.rule.defines or name == "item_id":
            return FormField(name, "new_id", title, text)
        ref = self.rule.refers_to
        if ref is not None and name == ref.field:
            ids = [str(p.get(ref.field, "")) for p in self.earlier.get(ref.step, ())]
            options = tuple((i, f"{i[:8]}…") for i in ids if i)
            return FormField(name, "choice", title, text, options, not ref.optional)
        if name.endswith("agency"):
            options = tuple((a.id, a.name_in(self.lang)) for a in self.agencies.all())
            return FormField(name, "agency", title, text, options, required)
        return FormField(name, "text", title, text, required=required)

    def _array(self, name: str, items: Any, where: str, title: str, text: str) -> FormField:
        if isinstance(items, Mapping) and items.get("type") == "record":
            inner = tuple(self.field(f, where) for f in items["fields"])
            return FormField(name, "items", title, text, required=False, children=inner)
        codes = self.vocabulary.list_of(where)
        labels = codes.labels if codes else {}
        options = tuple((c, label.in_language(self.lang)) for c, label in labels.items())
        return FormField(name, "codes", title, text, options, required=False)
