"""The case aggregate: one child-protection case, the steps agencies record on it.

The rules (which step may follow which, which role may record it) come in as a
:class:`~services.cases.workflow.Workflow`; a refused command raises a
:class:`~services.cases.errors.CaseError` and triggers nothing. Applying an event never
consults the workflow, so old histories replay under a newer rule file. Imports: standard
library, ``eventsourcing.domain`` (and its ``get_topic``) and the contract's vocabulary of steps
and instants only (``events.steps``, ``events.instants``: standard library, no fastavro).

A command builds its event and applies it itself (``_new_event``, ``Case._append``) rather than
through the library's ``trigger_event`` and ``_create``: the same event object, the same state
after, at a fraction of the cost the library's generic path took per event of a batch.

Longer than 300 lines because an aggregate and its domain events belong together (the events
are nested in the aggregate class, as ``eventsourcing`` expects), so it is not split.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from events.instants import from_millis, to_millis
from events.steps import CASE_CLOSED, CASE_REOPENED
from events.steps import CASE_REPORTED as CASE_REPORTED  # still imported from here by the
from events.steps import PERSONAL_DATA_ERASED as PERSONAL_DATA_ERASED  # application service
from services.cases import errors
from services.cases.canonical import PLAIN_SCALARS, PlainDict, is_plain
from services.cases.chain import GENESIS, chain_content, content_hash
from services.cases.workflow import CLOSED, OPEN, StepRule, Workflow

PERSONAL_FIELDS = frozenset(
    {
        "child_name",
        "child_birth_date",
        "child_address",
        "child_contact",
        "reporter_name",
        "reporter_contact",
    }
)
"""Fields of the PersonalData record: they travel sealed, never in a step payload."""

Primitive = str | int | float | bool | None
PRIMITIVE_TYPES = frozenset({str, int, float, bool, type(None)})
"""The exact types of a payload's plain values, checked with one look-up."""
_PRIMITIVES = (str, int, float, bool, type(None))  # Primitive, as isinstance takes it fastest
_SEQUENCES = (list, tuple)
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Submission:
    """One step as an agency submitted it: the data of a command."""

    step: str
    payload: Mapping[str, Any]
    agency: str
    role: str
    occurred_at: int
    """Milliseconds since the epoch, UTC (the wire's timestamp-millis)."""
    submission_id: str
    sealed_personal_data: str = ""
    """Personal data already encrypted with the case's key (base64), or ""."""

    @property
    def content(self) -> str:
        """What makes it this submission and not another one sent under its id."""
        return content_digest(self.step, self.payload, self.agency, self.occurred_at)


@dataclass(frozen=True)
class Receipt:
    """Where a submission landed in the case stream."""

    sequence: int
    step: str
    submission_id: str
    hash: str
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    agency: str = field(default="", repr=False, compare=False)
    occurred_at: int = field(default=0, repr=False, compare=False)

    @cached_property
    def content(self) -> str:
        """``content_digest`` of what was recorded (personal data aside: it is sealed afresh).

        Computed when a resend asks for it, not for every event applied: replaying a case
        and recording a step would otherwise hash every payload once more."""
        return content_digest(self.step, self.payload, self.agency, self.occurred_at)


def content_digest(step: str, payload: Mapping[str, Any], agency: str, occurred_at: int) -> str:
    """A digest of a submission's step, fields, agency and time, to tell a resend apart from
    another submission under the same id."""
    text = _DIGEST_JSON.encode([step, payload, agency, occurred_at])
    return hashlib.sha256(text.encode()).hexdigest()


_last_instant = (0, from_millis(0))


def _recording_time() -> tuple[int, datetime]:
    """The recording time, the event's ``timestamp``, to the millisecond the wire and the hash
    carry, as epoch milliseconds and as a datetime: the clock ``datetime.now`` reads, floored
    to the millisecond. The datetime of the previous call's millisecond is used again (a batch
    records many events within one)."""
    global _last_instant
    millis = time.time_ns() // 1_000_000
    if millis != _last_instant[0]:
        _last_instant = (millis, from_millis(millis))
    return _last_instant


def _new_event(
    event_class: type[Case.Event],
    case_id: UUID,
    case_text: str,
    sequence: int,
    submission: Submission,
    previous: str,
    plain: bool,
    originator_topic: str = "",
) -> Any:
    """The domain event of ``submission`` at ``sequence`` of the case (``case_text`` is
    ``str(case_id)``), chained to ``previous``; ``originator_topic`` for the event that
    creates the case. ``plain``: the rules found the payload plain (``_admit``), so the event's
    copy of it is a :class:`~services.cases.canonical.PlainDict`.

    Built as the library's dataclass ``__init__`` builds it (the same attributes in field order,
    which is the order of the stored state's keys; ``hash`` last) but without its call per
    field, its keyword copies and checks: recording makes one for every event. The case id is a
    UUID (what the library's ``__post_init__`` checks). Its hash is taken over the values it is
    made of (``chain.hashed_content`` of the event, without reading them back), and known to
    be plain JSON when its payload is and its other values are exactly texts and integers (the
    case's text and the instants are made so here)."""
    if not isinstance(case_id, UUID):
        raise TypeError(f"a case id must be a UUID, not {case_id!r}")
    recorded_at, timestamp = _recording_time()
    payload = PlainDict(submission.payload) if plain else dict(submission.payload)  # its own
    event = object.__new__(event_class)
    state = vars(event)
    state["originator_id"] = case_id
    state["originator_version"] = sequence
    state["timestamp"] = timestamp
    if originator_topic:
        state["originator_topic"] = originator_topic
    state["step"] = step = submission.step
    state["payload"] = payload
    state["agency"] = agency = submission.agency
    state["role"] = role = submission.role
    state["occurred_at"] = occurred_at = submission.occurred_at
    state["submission_id"] = submission_id = submission.submission_id
    state["sealed_personal_data"] = sealed = submission.sealed_personal_data
    state["previous_hash"] = previous
    content = chain_content(
        case_text, sequence, step, payload, agency, role, occurred_at, recorded_at,
        submission_id, sealed, previous,
    )  # fmt: skip
    plain = (
        plain
        and type(step) is str
        and type(agency) is str
        and type(role) is str
        and type(occurred_at) is int
        and type(submission_id) is str
        and type(sealed) is str
        and type(previous) is str
        and type(sequence) is int
    )
    state["hash"] = content_hash(content, plain)
    return event


class Case(Aggregate):
    """A case stream: reported once, then steps until closed (and reopened)."""

    class Event(Aggregate.Event):
        """Every case event carries the step, who recorded it, and its chain link."""

        step: str
        payload: dict[str, Any]
        agency: str
        role: str
        occurred_at: int
        submission_id: str
        sealed_personal_data: str
        previous_hash: str
        hash: str

        @property
        def recorded_at(self) -> int:
            """When the event was recorded, in epoch milliseconds (covered by ``hash``)."""
            return to_millis(self.timestamp)

        def apply(self, aggregate: Any) -> None:
            aggregate._evolve(self)

    class Reported(Event, Aggregate.Created):
        """The first event: a report of abuse or risk reached an agency."""

    class StepRecorded(Event):
        """Any later step, named by its wire name in ``step``."""

    class PersonalDataErased(Event):
        """The case key was destroyed: the sealed personal data is unreadable from now on."""

    def __init__(self) -> None:
        self._status = OPEN
        self._counts: Counter[str] = Counter()
        self._payloads: dict[str, list[dict[str, Any]]] = {}
        self._recorded: dict[str, Case.Event] = {}  # by submission id: receipts, when asked
        self._last: Case.Event | None = None
        self._head = GENESIS
        self._sealed = ""
        self._erased = False
        self._text = ""  # str(self.id), once asked: the chain hashes name the case by it

    # Commands

    @classmethod
    def report(
        cls,
        case_id: UUID,
        submission: Submission,
        workflow: Workflow,
        seal: Callable[[], str] | None = None,
    ) -> Case:
        """Open a case with its first step (CaseReported).

        ``seal``, called only once the report is admitted, gives the sealed personal data the
        event carries (in place of ``submission.sealed_personal_data``): the caller makes a case
        key only for a case that opens, and the rules are asked once.
        """
        rule, plain = _admit(workflow, submission)
        if not rule.first:
            raise errors.CaseNotReported(
                submission.step, "not reported", "a case starts with a first step"
            )
        sealed = seal() if seal is not None else ""
        if sealed:
            submission = replace(submission, sealed_personal_data=sealed)
        case_text = str(case_id)
        version, topic = cls.INITIAL_VERSION, get_topic(cls)
        event = _new_event(
            cls.Reported, case_id, case_text, version, submission, GENESIS, plain, topic
        )
        case = cls.__new__(cls)  # what the library's Created.mutate does, without its look-ups
        case.__base_init__(case_id, cls.INITIAL_VERSION, event.timestamp)
        case.__init__()  # type: ignore[misc]
        case._text = case_text
        case._append(event)
        return case

    def record(self, submission: Submission, workflow: Workflow) -> None:
        """Record a later step, if the workflow allows it on the case as it stands."""
        rule, plain = _admit(workflow, submission)
        self._check(rule, submission)
        event_class = (
            self.PersonalDataErased
            if submission.step == PERSONAL_DATA_ERASED
            else self.StepRecorded
        )
        if not self._text:
            self._text = str(self.id)
        sequence = self.version + 1
        event = _new_event(
            event_class, self.id, self._text, sequence, submission, self._head, plain
        )
        self._append(event)

    # Queries

    @property
    def status(self) -> str:
        return self._status

    @property
    def head_hash(self) -> str:
        return self._head

    @property
    def sealed_personal_data(self) -> str:
        """The latest sealed personal data ("" if none was given)."""
        return self._sealed

    @property
    def personal_data_erased(self) -> bool:
        return self._erased

    @property
    def step_counts(self) -> Mapping[str, int]:
        return dict(self._counts)

    def receipt(self, submission_id: str) -> Receipt | None:
        """Where ``submission_id`` was recorded, if it was (idempotency)."""
        event = self._recorded.get(submission_id)
        return None if event is None else _receipt_of(event)

    @property
    def last_receipt(self) -> Receipt:
        """Where the latest event was recorded."""
        return _receipt_of(self.last_event)

    @property
    def last_event(self) -> Case.Event:
        """The latest event (recording answers with it without a receipt in between)."""
        if self._last is None:
            raise errors.CaseNotReported("-", "not reported", "the case has no events")
        return self._last

    # Rules

    def _check(self, rule: StepRule, submission: Submission) -> None:
        """The rules on the case as it stands, in order (the first that fails is the refusal);
        a check with nothing to look at for this rule is not called: this runs for every step."""
        if rule.first or self._status not in rule.states:
            self._check_state(rule)
        self._check_history(rule)
        if rule.choices:
            _check_choices(rule, self._status, submission.payload)
        if rule.defines:
            self._check_defines(rule, submission.payload)
        if rule.refers_to is not None:
            self._check_reference(rule, submission)
        if submission.sealed_personal_data and self._erased:
            raise errors.PersonalDataErasedError(str(self.id))

    def _check_state(self, rule: StepRule) -> None:
        if rule.first:
            raise errors.AlreadyRecorded(rule.step, self._status, "only a case's first event")
        if self._status in rule.states:
            return
        if self._status == CLOSED:
            raise errors.CaseClosedError(
                rule.step, CLOSED, "after closure only reopening, consent and erasure"
            )
        raise errors.StepNotAllowed(rule.step, self._status, f"only while {sorted(rule.states)}")

    def _check_history(self, rule: StepRule) -> None:
        counts = self._counts
        if rule.once and counts[rule.step]:
            raise errors.AlreadyRecorded(rule.step, self._status, "may be recorded only once")
        for step in rule.requires:  # a loop: the list of those missing is made only to refuse
            if not counts[step]:
                missing = [step for step in rule.requires if not counts[step]]
                why = f"needs {missing} first"
                raise errors.MissingPrerequisite(rule.step, self._status, why)
        if rule.requires_any and not any(counts[s] for s in rule.requires_any):
            why = f"needs one of {list(rule.requires_any)} first"
            raise errors.MissingPrerequisite(rule.step, self._status, why)

    def _check_defines(self, rule: StepRule, payload: Mapping[str, Any]) -> None:
        if not rule.defines:
            return
        value = _required_id(rule, self._status, payload, rule.defines)
        if self._find(rule.step, rule.defines, value) is not None:
            why = f"{rule.defines} {value!r} is already in use"
            raise errors.DuplicateReference(rule.step, self._status, why)

    def _check_reference(self, rule: StepRule, submission: Submission) -> None:
        ref = rule.refers_to
        if ref is None or (ref.optional and not submission.payload.get(ref.field)):
            return
        value = _required_id(rule, self._status, submission.payload, ref.field)
        earlier = self._find(ref.step, ref.field, value)
        if earlier is None:
            why = f"no earlier {ref.step} with {ref.field} {value!r}"
            raise errors.UnknownReference(rule.step, self._status, why)
        if ref.addressee and earlier.get(ref.addressee) not in ("", None, submission.agency):
            why = f"{ref.step} {value!r} was addressed to another agency"
            raise errors.NotAddressee(rule.step, self._status, why)

    def _find(self, step: str, key: str, value: str) -> dict[str, Any] | None:
        for payload in self._payloads.get(step, ()):
            if payload.get(key) == value:
                return payload
        return None

    # Evolution (never consults the workflow)

    def _append(self, event: Case.Event) -> None:
        """Apply a new event and keep it pending: the library's ``trigger_event`` without
        building the event (``_new_event`` did, for the next version of this very case)."""
        self._evolve(event)
        self.version = event.originator_version
        self.modified_on = event.timestamp
        self._pending_events.append(event)

    def _evolve(self, event: Case.Event) -> None:
        self._counts[event.step] += 1
        payloads = self._payloads.get(event.step)  # no list made for a step seen before
        if payloads is None:
            payloads = self._payloads[event.step] = []
        payloads.append(event.payload)  # the event's own: only read (``_find``)
        self._last = self._recorded[event.submission_id] = event
        self._head = event.hash
        if event.sealed_personal_data:
            self._sealed = event.sealed_personal_data
        self._status = _next_status(self._status, event.step)
        if event.step == PERSONAL_DATA_ERASED:
            self._erased = True


def _receipt_of(event: Case.Event) -> Receipt:
    """Where ``event`` was recorded: made when asked (a resend, ``forget``), not for every event
    applied."""
    return Receipt(
        event.originator_version,
        event.step,
        event.submission_id,
        event.hash,
        event.payload,
        event.agency,
        event.occurred_at,
    )


def _next_status(status: str, step: str) -> str:
    if step == CASE_CLOSED:
        return CLOSED
    if step == CASE_REOPENED:
        return OPEN
    return status


def _admit(workflow: Workflow, submission: Submission) -> tuple[StepRule, bool]:
    """Checks that do not depend on the case: the step, the role, the payload's shape; and
    whether the payload is plain in the stricter sense of its JSON (``canonical.is_plain``: no
    float, no tuple, no subclass), found in the same walk."""
    rule = workflow.rule(submission.step)
    if rule is None:
        raise errors.UnknownStep(submission.step)
    if submission.role not in rule.roles:
        raise errors.RoleNotAllowed(submission.role, submission.step)
    if not PERSONAL_FIELDS.isdisjoint(submission.payload):
        leaked = sorted(PERSONAL_FIELDS & set(submission.payload))
        raise errors.PersonalDataInPayload(submission.step, leaked)
    payload = submission.payload
    plain = type(payload) is dict
    for key, value in payload.items():
        if type(key) is str and (type(value) in PLAIN_SCALARS or is_plain(value)):
            continue
        plain = False
        if type(value) not in PRIMITIVE_TYPES and not _is_plain(value):
            raise errors.InvalidValue(submission.step, "-", "payload fields must be primitives")
    return rule, plain


def _is_plain(value: Any) -> bool:
    """Primitives, and lists, tuples and text-keyed dicts of them (loops, not all() over a
    generator, and isinstance with tuples, not unions: this runs for every submission)."""
    if type(value) in PRIMITIVE_TYPES:  # most fields: one look-up
        return True
    if isinstance(value, _SEQUENCES):
        for item in value:
            if type(item) not in PRIMITIVE_TYPES and not _is_plain(item):
                return False
        return True
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return False
            if type(item) not in PRIMITIVE_TYPES and not _is_plain(item):
                return False
        return True
    return isinstance(value, _PRIMITIVES)


def _check_choices(rule: StepRule, status: str, payload: Mapping[str, Any]) -> None:
    for key, allowed in rule.choices.items():
        if payload.get(key) not in allowed:
            why = f"{key} must be one of {sorted(allowed)}"
            raise errors.InvalidValue(rule.step, status, why)


def _required_id(rule: StepRule, status: str, payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise errors.InvalidValue(rule.step, status, f"{key} must be a non-empty string")
    return value
