"""Nobody without the controller password may administer the cluster through its controller.

Each attack is one raw request on the controller listener (``bootstrap.controllers``), sent
without logging in, as a local process on the same machine could. Before the listener
authenticated, every one of them succeeded.
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError
from kafka.protocol.admin.acl import (
    CreateAclsRequest,
    CreateAclsResponse,
    DescribeAclsRequest,
    DescribeAclsResponse,
)
from kafka.protocol.admin.configs import (
    IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
)
from kafka.protocol.admin.topics import CreateTopicsRequest, CreateTopicsResponse
from kafka.protocol.admin.users import (
    AlterUserScramCredentialsRequest,
    AlterUserScramCredentialsResponse,
)

from deploy.process import read_state
from events.topics import Topics
from services.kafka.acls import grant_agency
from services.runtime.kafkaclients import client_config
from tests.integration.security.conftest import FirstStart
from tests.integration.security.rawkafka import Dropped, RawKafka
from tests.kafkatools import poll_until

pytestmark = pytest.mark.integration

INTRUDER = "intruder"
INTRUDERS_PASSWORD = "chosen-by-the-intruder"
TOPIC = "intruders-topic"
ANY, TOPIC_RESOURCE, BROKER_RESOURCE, LITERAL, ALL, ALLOW, SET = 1, 2, 4, 3, 2, 3, 0


def describe_acls() -> Any:
    return DescribeAclsRequest(
        resource_type_filter=ANY,
        resource_name_filter=None,
        pattern_type_filter=ANY,
        principal_filter=None,
        host_filter=None,
        operation=ANY,
        permission_type=ANY,
    )


def create_acl() -> Any:
    grant = CreateAclsRequest.AclCreation(
        resource_type=TOPIC_RESOURCE,
        resource_name="*",
        resource_pattern_type=LITERAL,
        principal=f"User:{INTRUDER}",
        host="*",
        operation=ALL,
        permission_type=ALLOW,
    )
    return CreateAclsRequest(creations=[grant])


def alter_broker_config() -> Any:
    shrink = IncrementalAlterConfigsRequest.AlterConfigsResource.AlterableConfig(
        name="message.max.bytes", config_operation=SET, value="100"
    )
    resource = IncrementalAlterConfigsRequest.AlterConfigsResource(
        resource_type=BROKER_RESOURCE, resource_name="1", configs=[shrink]
    )
    return IncrementalAlterConfigsRequest(resources=[resource], validate_only=False)


def add_scram_user() -> Any:
    salt = b"intruders-salt!!"
    salted = hashlib.pbkdf2_hmac("sha256", INTRUDERS_PASSWORD.encode(), salt, 4096)
    user = AlterUserScramCredentialsRequest.ScramCredentialUpsertion(
        name=INTRUDER, mechanism=1, iterations=4096, salt=salt, salted_password=salted
    )
    return AlterUserScramCredentialsRequest(deletions=[], upsertions=[user])


def create_topic() -> Any:
    topic = CreateTopicsRequest.CreatableTopic(
        name=TOPIC, num_partitions=1, replication_factor=1, assignments=[], configs=[]
    )
    return CreateTopicsRequest(topics=[topic], timeout_ms=5000, validate_only=False)


ATTACKS: dict[str, tuple[Callable[[], Any], Any]] = {
    "describe ACLs": (describe_acls, DescribeAclsResponse),
    "create an ACL": (create_acl, CreateAclsResponse),
    "alter the broker's config": (alter_broker_config, IncrementalAlterConfigsResponse),
    "create a SCRAM user": (add_scram_user, AlterUserScramCredentialsResponse),
    "create a topic": (create_topic, CreateTopicsResponse),
}


def controllers(started: FirstStart) -> str:
    return f"127.0.0.1:{read_state(started.kafka.state_file)['controller_port']}"


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_an_anonymous_client_is_refused_on_the_controller_listener(
    first_start: FirstStart, attack: str
) -> None:
    request, response = ATTACKS[attack]
    with RawKafka(controllers(first_start)) as anonymous, pytest.raises(Dropped):
        anonymous.call(request(), response)


def test_a_wrong_controller_password_is_refused(first_start: FirstStart) -> None:
    with RawKafka(controllers(first_start)) as client:
        error, _ = client.login_plain("backbone", "guessed")
        assert error != 0, "the controller accepted a guessed password"
        with pytest.raises(Dropped):
            client.call(describe_acls(), DescribeAclsResponse)


def test_the_backbone_alone_administers_through_the_controller(first_start: FirstStart) -> None:
    password = read_state(first_start.kafka.state_file)["controller_password"]
    with RawKafka(controllers(first_start)) as client:
        assert client.login_plain("backbone", password) == (0, "")
        acls = client.call(describe_acls(), DescribeAclsResponse)
    assert acls.error_code == 0
    assert not any(INTRUDER in str(resource) for resource in acls.resources), "an ACL was added"


def test_the_attacks_left_no_topic(first_start: FirstStart) -> None:
    admin = KafkaAdminClient(**client_config(first_start.kafka.endpoint()))
    try:
        assert TOPIC not in admin.list_topics()
    finally:
        admin.close()


def test_the_intruders_scram_user_cannot_log_in(first_start: FirstStart) -> None:
    as_intruder = replace(
        first_start.kafka.endpoint(), username=INTRUDER, password=INTRUDERS_PASSWORD
    )
    with pytest.raises(KafkaError):
        KafkaAdminClient(**client_config(as_intruder), request_timeout_ms=5000).close()


def test_refused_logins_are_logged_owner_only_without_the_password(
    first_start: FirstStart,
) -> None:
    guess = "guessed-for-the-log-test"
    with RawKafka(controllers(first_start)) as client:
        client.login_plain("backbone", guess)
    wrong = replace(first_start.kafka.endpoint(), password=guess)
    with pytest.raises(KafkaError):
        KafkaAdminClient(**client_config(wrong), request_timeout_ms=5000).close()
    log = first_start.kafka.auth_log

    def logged() -> list[str]:
        return [line for line in log.read_text().splitlines() if "Failed authentication" in line]

    poll_until(lambda: any("listenerType=BROKER" in line for line in logged()), 20, "the log")
    lines = logged()
    assert any("listenerType=CONTROLLER" in line and "/127.0.0.1" in line for line in lines)
    assert all(
        re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) ", line) for line in lines
    )
    assert guess not in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_refused_operation_is_logged_with_who_and_from_where(first_start: FirstStart) -> None:
    endpoint = first_start.kafka.endpoint()
    spy = grant_agency(endpoint, Topics("security"), "spy-agency").endpoint(endpoint)
    admin = KafkaAdminClient(**client_config(spy))
    try:
        admin.create_topics([NewTopic("spied-topic", 1, 1)])
    except KafkaError:
        pass  # refused: what matters is what the broker wrote down
    finally:
        admin.close()
    log = first_start.kafka.auth_log

    def denied() -> list[str]:
        return [
            line
            for line in log.read_text().splitlines()
            if "User:spy-agency" in line and "Denied" in line
        ]

    poll_until(lambda: bool(denied()), 20, "the refusal in auth.log")
    assert "127.0.0.1" in denied()[0]
    assert spy.password not in log.read_text()


def test_a_refused_login_names_the_user_it_tried_and_its_address_beside_it(
    first_start: FirstStart,
) -> None:
    guess = "guessed-for-the-user-test"
    with RawKafka(controllers(first_start)) as client:
        client.login_plain("intruder-on-controller", guess)
    stranger = replace(first_start.kafka.endpoint(), username="intruder-scram", password=guess)
    with pytest.raises(KafkaError):
        KafkaAdminClient(**client_config(stranger), request_timeout_ms=5000).close()
    log = first_start.kafka.auth_log

    def refused(user: str) -> list[tuple[str, str]]:
        """Each 'Refused ... login for user = USER' line, with the line after it."""
        lines = log.read_text().splitlines()
        return [
            (line, after)
            for line, after in pairwise(lines)
            if line.endswith(f"login for user = {user} (backbone.kafka.auth)")
        ]

    poll_until(lambda: bool(refused("intruder-scram")), 20, "the SCRAM user in auth.log")
    poll_until(lambda: bool(refused("intruder-on-controller")), 20, "the PLAIN user")
    for user, mechanism in (
        ("intruder-scram", "SCRAM-SHA-256"),
        ("intruder-on-controller", "PLAIN"),
    ):
        line, after = refused(user)[0]
        assert f"Refused {mechanism} login" in line
        assert "Failed authentication with /127.0.0.1" in after  # where from, same thread
        assert thread_of(line) == thread_of(after)
    assert guess not in log.read_text()


def thread_of(line: str) -> str:
    """The ``[thread]`` of an auth.log line."""
    found = re.search(r"\[([^\]]+)\]", line)
    assert found, line
    return found[1]
