"""A step read before what it builds on waits for it; records are read in causal order.

Several agencies publish on their own topics, so a referral may be read before the report it
builds on. Within a batch the records are merged by publication time; across batches a "not
yet" refusal is held (not rejected) for ``HOLD_S`` seconds counted from when this process first
read it, and the records after it on its partition wait with it.
"""

from __future__ import annotations

from services.cases import errors
from services.cases.views import RecordedStep
from services.intake.holding import HELD, after_holds, held_offsets, in_time_order
from services.intake.rejection import Outgoing
from services.intake.translator import Disposition
from tests.unit.events.samples import SAMPLES
from tests.unit.intake.given import HOLD_S, Clock, Record, decided, sent, translator

CASE = SAMPLES["CaseClosed"]["case_id"]
NOT_FOUND = errors.CaseNotFound(CASE)
POLICE = "backbone.intake.police-khanh-hoa"


def test_a_step_whose_case_is_not_found_yet_is_held_not_rejected() -> None:
    assert decided(translator(), sent("CaseClosed"), NOT_FOUND) is HELD


def test_a_held_step_whose_case_still_is_not_found_after_the_hold_is_rejected() -> None:
    clock = Clock()
    the_translator = translator(clock=clock)
    assert decided(the_translator, sent("CaseClosed"), NOT_FOUND) is HELD
    clock.now += HOLD_S - 0.001
    assert decided(the_translator, sent("CaseClosed"), NOT_FOUND) is HELD
    clock.now += 0.001
    rejected = decided(the_translator, sent("CaseClosed"), NOT_FOUND)
    assert isinstance(rejected, Outgoing)


def test_a_held_step_whose_case_has_arrived_meanwhile_is_recorded() -> None:
    clock = Clock()
    the_translator = translator(clock=clock)
    assert decided(the_translator, sent("CaseClosed"), NOT_FOUND) is HELD
    clock.now += 1
    recorded = RecordedStep(CASE, 2, "CaseClosed", "s", "", duplicate=False)
    assert decided(the_translator, sent("CaseClosed"), recorded) is None


def test_the_hold_counts_from_the_first_reading_not_from_the_agencys_clock() -> None:
    clock = Clock()
    the_translator = translator(clock=clock)
    old = sent("CaseClosed")
    old.timestamp = 0  # sent in 1970 as far as the broker's timestamp goes
    assert decided(the_translator, old, NOT_FOUND) is HELD


def test_the_hold_is_counted_per_record() -> None:
    clock = Clock()
    the_translator = translator(clock=clock)
    decided(the_translator, sent("CaseClosed"), NOT_FOUND)
    clock.now += HOLD_S
    later = sent("CaseClosed")
    later.offset += 1
    assert decided(the_translator, later, NOT_FOUND) is HELD


def test_a_refusal_that_is_final_is_rejected_at_once() -> None:
    duplicate = errors.DuplicateCase(CASE)
    assert isinstance(decided(translator(), sent("CaseClosed"), duplicate), Outgoing)


def test_the_records_after_a_held_one_on_its_partition_wait_with_it_and_others_go_on() -> None:
    held, after, elsewhere = Record(b"", offset=4), Record(b"", offset=5), Record(b"", POLICE)
    outcomes: list[Disposition] = [HELD, None, None]
    assert after_holds([held, after, elsewhere], outcomes) == [HELD, HELD, None]


def test_a_partition_is_read_again_from_its_first_held_record() -> None:
    records = [Record(b"", offset=4), Record(b"", offset=5), Record(b"", POLICE, offset=9)]
    assert held_offsets(records, [None, HELD, None]) == {("backbone.intake.hotline-111", 0): 5}
    assert held_offsets(records, [HELD, HELD, HELD]) == {
        ("backbone.intake.hotline-111", 0): 4,
        (POLICE, 0): 9,
    }


def test_first_readings_before_the_committed_offsets_are_forgotten() -> None:
    the_translator = translator()
    for offset in (3, 4, 5):
        the_translator.holds.waited(Record(b"", offset=offset))
    the_translator.holds.waited(Record(b"", POLICE, offset=1))
    the_translator.holds.forget_committed({("backbone.intake.hotline-111", 0): 5})
    assert the_translator.holds.remembered == 2  # offset 5 (held) and the police record


def test_a_batch_is_read_in_publication_order_across_agencies_topics() -> None:
    hotline = [Record(b"report", timestamp=10), Record(b"assessed", offset=8, timestamp=30)]
    police = [Record(b"report received", POLICE, timestamp=20)]
    merged = in_time_order({"police": police, "hotline": hotline})
    assert [r.value for r in merged] == [b"report", b"report received", b"assessed"]


def test_a_partitions_own_order_is_kept_when_timestamps_tie() -> None:
    first, second = Record(b"1", offset=1, timestamp=5), Record(b"2", offset=2, timestamp=5)
    police = Record(b"p", POLICE, timestamp=5)
    merged = in_time_order({"hotline": [first, second], "police": [police]})
    assert merged.index(first) < merged.index(second)
