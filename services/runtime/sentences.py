"""Refusals and errors in the reader's language, from the same message catalogue as the labels.

Errors are raised as English sentences built from the templates below (a code's message, a
rejection's ``detail`` on the wire): logs, the wire contract and scripts keep the English and the
machine ``reason``. What a *person* reads passes through :func:`localize`, which recognises the
template a sentence was made from, takes its values back out and puts them into the template's
translation in ``backbone.po``. Values (ids, codes, paths, commands) are never translated; a
placeholder named in :data:`NESTED` holds a word or a sentence of its own and is localised too.
A sentence that fits no template is shown as it is: English is better than a wrong sentence.
An instant (a placeholder named in :data:`INSTANTS`) is made in UTC for the wire; a person reads
it on the province's clock, written the way their language writes dates.

A unit test keeps every template translated with the same placeholders, and the tests of each
surface raise the real errors and read them in both languages, so a template that drifts from
the code that makes the sentence is caught.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from string import Formatter
from typing import Protocol

NESTED = frozenset({"kind", "hint", "problem", "instead", "why", "state", "more", "what"})
# Placeholders whose value is one word: they must not swallow the rest of a joined sentence
# (``unknown field A.b; missing field A.c`` is two problems, not one field named ``A.b; ...``).
NARROW = {"field_path": r"[\w.]+"}
# Placeholders holding an ISO 8601 instant with its offset (``2026-03-03T02:00:00Z``).
INSTANTS = frozenset({"at"})

TEMPLATES: tuple[str, ...] = (
    # services/commands/errors.py
    "unknown {kind} {given}.{hint} See all with: {listing}",
    " Did you mean: {names}?",
    "a setting is wrong ({wrong}); fix the variable",
    "no broker configured in {home}; start it first",
    "unexpected {kind}; the details are in {where}",
    "{problem}: start the backbone with `backbone run` (or only the broker with "
    "`backbone kafka start`)",
    "the broker at {address} does not answer; start it with `backbone run` (or `backbone kafka "
    "start`), or set BACKBONE_KAFKA_BOOTSTRAP_SERVERS",
    # services/commands/*.py
    "a --field value does not fit its field: {problem}",
    "cannot read --json {source} as text; check the path and that it is UTF-8 JSON",
    "--json {source} is not JSON (line {line}, column {column}); write the fields as one JSON "
    "object with names in double quotes",
    "--json {source} holds no JSON object of fields; write the fields as one JSON object with "
    "names in double quotes",
    "--head anchors a single case: give one case id",
    "--as-of {at} is in the future; give a past instant, or leave it out for now",
    "{given} is not a case id; a case id is a UUID such as 3e99acc3-5b1f-4c58-9d0e-1a2b3c4d5e6f "
    "(list cases with `backbone stalled`)",
    "no case {case_id} in the read model; check the id (cases are listed by `backbone stalled`), "
    "or wait a moment if it was just reported",
    "the backbone is already running on {home} (pid {pid}); watch it in its terminal, stop it "
    "there with Ctrl-C, or run another one with a different BACKBONE_HOME",
    "{step} has no field {names}; its fields are: {allowed}",
    "{step} needs --field {needed}=...; its fields are: {allowed}",
    "the two passwords differ; nothing was changed",
    # services/cases/errors.py
    "{step} is not a step of the workflow",
    "an agency with role {role} may not record {step}",
    "{step} carries personal data fields {fields} outside personal_data",
    "personal data fields {fields} are unknown or not text",
    "case {case_id} was already reported",
    "case {case_id} does not exist",
    "case id {case_id} is not a UUID",
    "agency {agency} is not in the agency directory",
    "agency {agency} did not exist on {day}",
    "agency {agency} did not exist on {day}; {successor} acts for it from then on",
    "agency {agency} did not exist on {day}; {instead}",
    "use --agency {successor}, which took over its cases",
    "it has no successor; filter by --area instead",
    "{agency} may not read personal data",
    "the personal data of case {case_id} was erased",
    "submission id {submission_id} was already recorded on case {case_id} with other content; "
    "send this submission under a new submission id",
    # the intake's refusals (events/limits.py, services/intake/bounds.py, services/vocabulary.py)
    "{field} = {value} is not a code of the list {where}; use one of the codes listed there",
    "{field} must be `true` or `false`, not {value}",
    "{where} is {sizes}; shorten it and send again",
    "{count} characters, at most {most}",
    "{count} bytes, at most {most}",
    "{count} items, at most {most}",
    "{name} in {file}",
    "{count} minutes",
    "{where} holds a control character (other than tab or line break); remove it and send again",
    "occurred_at {at} is more than {minutes} after the backbone's clock; send when the step "
    "happened (UTC), or fix the sender's clock",
    "occurred_at {at} is before {floor}, the earliest date the backbone accepts; check the date "
    "(milliseconds, not seconds, since 1970)",
    "the message is {size} bytes, at most {most} are accepted; send one step per message within "
    "the contract's field limits",
    # the workflow's refusals (services/cases/domainmodel.py, services/cases/application.py)
    "{step} not allowed while the case is {state}: {why}",
    "open",
    "closed",
    "any",
    "not reported",
    "a case starts with a first step",
    "the case has no events",
    "only a case's first event",
    "after closure only reopening, consent and erasure",
    "only while {states}",
    "may be recorded only once",
    "needs {steps} first",
    "needs one of {steps} first",
    "{field} {value} is already in use",
    "no earlier {step} with {field} {value}",
    "{step} {value} was addressed to another agency",
    "payload fields must be primitives",
    "{field} must be one of {allowed}",
    "{field} must be a non-empty string",
    "only an erasure order (backbone forget) records it",
    "case {case_id} kept changing; gave up after {attempts} attempts",
    # services/intake/refusals.py
    "the backbone failed while reading this submission (an internal error); send it again later "
    "and tell the backbone's operator",
    # schema violations and unreadable messages (events/records.py, events/codec.py,
    # events/topics.py, services/api/records.py)
    "{field} must be {expected}, got {got}",
    "unknown field {field_path}",
    "missing field {field_path}",
    "{problem}; {more}",
    "{naive} is a datetime without a time zone",
    "no schema named {wire_name}",
    "expected marker C3 01 and an 8-byte fingerprint, got {count} bytes starting {start}",
    "no known schema has fingerprint {fingerprint}",
    "{reader} cannot read {writer} ({fingerprint}): {error}",
    "{wire_name} body: {what}",
    "ends too soon",
    "{count} bytes after the {wire_name} record",
    "{wire_name} body is not a record",
    "{step} is not a step an agency submits",
    "{path} must be ISO 8601 text or milliseconds",
    "{path} needs a UTC offset",
    "{path} must be base64 text",
    "{topic} is not a per-agency topic",
    "agency id {agency} may hold only letters, digits, _ and -",
    # the workbench's own refusals (services/web/workbench/routes.py)
    "the body needs a step and its record",
    "a {role} agency may not record {step}",
    "there is no such case among your agency's",
    # services/reports/render_pdf.py (backbone report)
    "{path} is missing: install the Debian package fonts-dejavu-core",
    # the kinds of names an unknown-name refusal is about
    "agency",
    "area",
    "role",
    "step",
)
NESTED_TEMPLATES = {
    "{where} is {sizes}; shorten it and send again": "sizes",
    "{field} = {value} is not a code of the list {where}; use one of the codes listed there": (
        "where"
    ),
    "occurred_at {at} is more than {minutes} after the backbone's clock; send when the step "
    "happened (UTC), or fix the sender's clock": "minutes",
}
_FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^}]*)?\}")


class Gettext(Protocol):
    """What localising needs of a translator: its messages and its local date and time."""

    def gettext(self, message: str) -> str: ...

    def datetime(self, instant: datetime, *, seconds: bool = False) -> str: ...


def localize(sentence: str, translator: Gettext) -> str:
    """``sentence`` in the translator's language when a template fits it, else as it is."""
    for template, pattern in _patterns():
        found = pattern.fullmatch(sentence)
        if found is not None:
            return _fill(template, found.groupdict(), translator)
    return sentence


def _fill(template: str, found: dict[str, str], translator: Gettext) -> str:
    """The template's translation with the values a sentence held (nested ones localised)."""
    nested = NESTED | {NESTED_TEMPLATES.get(template, "")}
    values = {name: _value(name, value, nested, translator) for name, value in found.items()}
    return _FIELD.sub(lambda field: values.get(field[1], field[0]), translator.gettext(template))


def _value(name: str, value: str, nested: frozenset[str], translator: Gettext) -> str:
    if name in nested and value:
        return localize(value, translator)
    if name in INSTANTS:
        return _local_instant(value, translator)
    return value


def _local_instant(text: str, translator: Gettext) -> str:
    """An ISO instant on the reader's clock; text that is not one with an offset stays as is."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    return translator.datetime(instant) if instant.tzinfo is not None else text


def placeholders(template: str) -> set[str]:
    """The names of a template's (or a translation's) placeholders."""
    return {field[1] for field in _FIELD.finditer(template)}


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each template as a regular expression; the most literal text first, so the most specific
    template wins (``... did not exist on {day}; {successor} acts ...`` before ``... on {day}``)."""
    compiled = [(template, re.compile(_regex(template), re.DOTALL)) for template in TEMPLATES]
    return sorted(compiled, key=lambda pair: -len(_FIELD.sub("", pair[0])))


def _regex(template: str) -> str:
    parts = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P<{name}>{NARROW.get(name, '.*?')})")
    return "".join(parts)
