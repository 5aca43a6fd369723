"""Values mean what they say where a person or an agency system enters them: the command line
and the Python agency client refuse what the intake would refuse, before sending anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deploy.kafka.launcher import BrokerEndpoint
from events import Codec, ContractError, Topics
from services.commands.agency import _typed
from services.kafka.agency import AgencyClient
from tests.casefactory import PERSONAL, payload

CODEC = Codec.from_directory()
ASSESSED = CODEC.schema("InitialRiskAssessed")


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False)])
def test_a_boolean_on_the_command_line_is_true_or_false(text: str, value: bool) -> None:
    assert _typed(ASSESSED, {"serious_danger": text}) == {"serious_danger": value}


@pytest.mark.parametrize("text", ["maybe", "yes", "1", "0", "True", ""])
def test_any_other_word_for_a_boolean_is_refused_not_read_as_false(text: str) -> None:
    with pytest.raises(ContractError) as refused:
        _typed(ASSESSED, {"serious_danger": text})
    assert refused.value.reason == "not_a_boolean"
    assert "serious_danger must be `true` or `false`" in refused.value.detail


def test_a_number_field_that_is_not_a_number_names_the_field() -> None:
    with pytest.raises(SystemExit, match="schema_violation: due_at must be an ISO 8601 time"):
        _typed(CODEC.schema("ReferralSent"), {"due_at": "next tuesday"})


def _client() -> AgencyClient:
    endpoint = BrokerEndpoint("127.0.0.1:1", "hotline", "unused")  # never reached
    return AgencyClient("hotline-111", endpoint, Topics(), "unused", None, CODEC)


def test_the_client_refuses_a_boolean_that_is_not_one() -> None:
    fields = payload("InitialRiskAssessed") | {"serious_danger": "maybe"}
    with pytest.raises(ContractError, match="schema_violation"):
        _client().submit("InitialRiskAssessed", "c", fields, datetime.now(UTC))


def test_the_client_refuses_a_step_dated_2030() -> None:
    with pytest.raises(ContractError, match="occurred_in_future"):
        _client().submit(
            "CaseClosed", "c", {"reason": "goals_met"}, datetime(2030, 1, 1, tzinfo=UTC)
        )


def test_the_client_accepts_a_clock_a_few_minutes_ahead_but_not_more() -> None:
    client = _client()
    ahead = datetime.now(UTC) + timedelta(minutes=11)
    with pytest.raises(ContractError, match="occurred_in_future"):
        client.submit("CaseClosed", "c", {"reason": "goals_met"}, ahead)


def test_the_client_refuses_a_200000_character_submission_id() -> None:
    with pytest.raises(ContractError, match="field_too_long"):
        _client().submit("CaseClosed", "c", {"reason": "goals_met"}, None, None, "s" * 200_000)


def test_the_client_refuses_personal_data_beyond_its_limit() -> None:
    with pytest.raises(ContractError, match=r"PersonalData\.child_name is 201 characters"):
        _client().submit(
            "CaseClosed", "c", {"reason": "goals_met"}, None, PERSONAL | {"child_name": "n" * 201}
        )
