import re

import pytest

from events import ContractError, Reason, Topics


def test_the_default_prefix_gives_the_design_names() -> None:
    topics = Topics()
    names = [topics.intake("police"), topics.rejected("police"), topics.inbox("police")]
    names += [topics.case_events, topics.alerts]
    assert names == [
        "backbone.intake.police",
        "backbone.rejected.police",
        "backbone.inbox.police",
        "backbone.case-events",
        "backbone.alerts",
    ]


def test_the_prefix_is_configurable() -> None:
    assert Topics("test-42").case_events == "test-42.case-events"


def test_the_intake_pattern_matches_intake_topics_only() -> None:
    topics = Topics()
    pattern = re.compile(topics.intake_pattern)
    assert pattern.match(topics.intake("hotline-111"))
    assert not pattern.match(topics.inbox("hotline-111"))


def test_the_agency_is_read_back_from_a_topic_name() -> None:
    assert Topics("t").agency_of("t.rejected.khanhhoa-health") == "khanhhoa-health"


def test_a_topic_of_another_prefix_has_no_agency() -> None:
    with pytest.raises(ContractError):
        Topics("t").agency_of("backbone.inbox.police")


@pytest.mark.parametrize("agency", ["", "a.b", "công-an"])
def test_an_agency_id_unfit_for_a_topic_name_is_refused(agency: str) -> None:
    with pytest.raises(ContractError) as caught:
        Topics().inbox(agency)
    assert caught.value.reason == Reason.BAD_TOPIC_NAME


def test_the_audit_log_has_a_checkpoints_and_a_cosignatures_topic() -> None:
    topics = Topics()
    assert (topics.checkpoints, topics.cosignatures) == (
        "backbone.checkpoints",
        "backbone.cosignatures",
    )
