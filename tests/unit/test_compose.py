"""docker-compose.yml parses, sets only settings the code reads, and runs real sub-commands."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from services.cli import build_parser
from services.runtime.settings import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_compose_file_parses_with_kafka_postgres_and_the_processes() -> None:
    services = _compose()["services"]
    assert {"kafka", "postgres", "intake", "relay", "projections"} <= set(services)


def test_every_backbone_variable_in_compose_is_a_setting() -> None:
    fields = {f"BACKBONE_{name.upper()}" for name in Settings.model_fields}
    for name, service in _compose()["services"].items():
        variables = {k for k in service.get("environment", {}) if k.startswith("BACKBONE_")}
        assert variables <= fields, f"{name} sets unknown {variables - fields}"


def test_compose_environment_is_accepted_by_the_settings(monkeypatch: Any) -> None:
    for key, value in _compose()["services"]["relay"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.effective_database_url.startswith("postgresql+psycopg://")


def test_compose_commands_are_backbone_subcommands() -> None:
    parser = build_parser()
    for _name, service in _compose()["services"].items():
        command = service.get("command")
        if command and command[0] == "backbone":
            parser.parse_args(command[1:])  # exits (fails the test) on an unknown command


# -- a compose file that works (issue 18.4): checked against the code without a Docker engine --

ROOT = COMPOSE.parent
LONG_RUNNING = ("kafka", "postgres", "intake", "relay", "projections", "checkpointer", "alerts")
BACKBONE_SERVICES = ("intake", "relay", "projections", "checkpointer", "alerts", "web")


def _services() -> dict[str, Any]:
    services: dict[str, Any] = _compose()["services"]
    return services


def _kafka_properties() -> dict[str, str]:
    """The apache/kafka image's reading of its KAFKA_* variables: ``___`` is ``-``, ``__`` is
    ``_``, ``_`` is ``.``, lower case."""
    env = _services()["kafka"]["environment"]
    return {
        key[len("KAFKA_") :].lower().replace("___", "-").replace("__", "\0").replace("_", ".")
        .replace("\0", "_"): str(value)
        for key, value in env.items()
        if key.startswith("KAFKA_")
    }  # fmt: skip


def _start_order() -> list[str]:
    """Services in an order that respects every depends_on (fails on a cycle)."""
    waits = {name: set(s.get("depends_on", {})) for name, s in _services().items()}
    order: list[str] = []
    while waits:
        free = sorted(name for name, deps in waits.items() if deps <= set(order))
        assert free, f"depends_on has a cycle among {sorted(waits)}"
        order += free
        waits = {name: deps for name, deps in waits.items() if name not in free}
    return order


def test_provisioning_is_a_one_shot_after_kafka_and_postgres_are_healthy() -> None:
    provision = _services()["provision"]
    build_parser().parse_args(provision["command"][1:])
    assert provision["command"][1:] == ["agencies", "provision"]
    assert provision["restart"] == "no"
    assert provision["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }


def test_every_process_waits_for_provisioning_to_finish() -> None:
    for name in BACKBONE_SERVICES:
        depends = _services()[name]["depends_on"]
        assert depends["provision"] == {"condition": "service_completed_successfully"}, name
    order = _start_order()
    assert order.index("provision") > max(order.index("kafka"), order.index("postgres"))
    assert all(order.index(name) > order.index("provision") for name in BACKBONE_SERVICES)


def test_compose_runs_every_process_that_backbone_run_supervises() -> None:
    from services.commands.run import PROCESSES

    commands = {tuple(s["command"][1:]) for s in _services().values() if "command" in s}
    for name, argv in PROCESSES.items():
        if name == "web":
            assert any(c[0] == "serve" for c in commands)
        else:
            assert tuple(argv) in commands, f"{name} ({argv}) has no service"


def test_every_long_running_service_restarts_and_has_a_health_check() -> None:
    for name in (*LONG_RUNNING, "web"):
        service = _services()[name]
        assert service["restart"] == "unless-stopped", name
        check = service["healthcheck"]
        assert not check.get("disable") and check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_the_dashboard_and_api_are_published_on_the_port_they_listen_on() -> None:
    web = _services()["web"]
    args = build_parser().parse_args(web["command"][1:])
    assert args.command == "serve" and args.host == "0.0.0.0"
    assert web["ports"] == [f"{args.port}:{args.port}"]
    assert f":{args.port}/api/" in " ".join(web["healthcheck"]["test"])


def test_volumes_sit_where_the_images_write() -> None:
    services = _services()
    kafka_dirs = _kafka_properties()["log.dirs"]
    assert f"kafka-data:{kafka_dirs}" in services["kafka"]["volumes"]
    # postgres:16 keeps its cluster in PGDATA, /var/lib/postgresql/data by default.
    assert services["postgres"]["image"] == "postgres:16"
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in BACKBONE_SERVICES:
        home = services[name]["environment"]["BACKBONE_HOME"]
        assert f"backbone-home:{home}" in services[name]["volumes"], name


def test_the_processes_user_owns_its_home_in_the_image() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    home = _services()["relay"]["environment"]["BACKBONE_HOME"]
    assert f"--home-dir {home}" in dockerfile
    assert f"install -d -o backbone -g backbone -m 0700 {home}" in dockerfile
    assert "USER backbone" in dockerfile and "USER nobody" not in dockerfile


def test_kafka_in_compose_authenticates_like_the_embedded_broker() -> None:
    props = _kafka_properties()
    listeners = [entry.split("://")[0] for entry in props["listeners"].split(",")]
    protocols = dict(pair.split(":") for pair in props["listener.security.protocol.map"].split(","))
    assert all(protocols[name].startswith("SASL_") for name in listeners), protocols
    env = _services()["relay"]["environment"]
    user, mechanism = env["BACKBONE_KAFKA_USERNAME"], env["BACKBONE_KAFKA_SASL_MECHANISM"]
    assert env["BACKBONE_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert mechanism in props["sasl.enabled.mechanisms"].split(",")
    assert "SCRAM-SHA-256" in props["sasl.enabled.mechanisms"]  # agencies' provisioned users
    assert props["super.users"] == f"User:{user}"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    for name in listeners:  # every listener has a login module for each of its mechanisms
        enabled = props.get(f"listener.name.{name.lower()}.sasl.enabled.mechanisms")
        for mech in (enabled or props["sasl.enabled.mechanisms"]).split(","):
            assert f"listener.name.{name.lower()}.{mech.lower()}.sasl.jaas.config" in props


def test_passwords_come_from_the_environment_not_the_file() -> None:
    text = COMPOSE.read_text()
    env = _services()["relay"]["environment"]
    assert env["BACKBONE_KAFKA_PASSWORD"].startswith("${KAFKA_PASSWORD:?")
    assert "${POSTGRES_APP_PASSWORD:?" in env["BACKBONE_DATABASE_URL"]
    assert "${POSTGRES_READER_PASSWORD:?" in env["BACKBONE_READER_DATABASE_URL"]
    assert _services()["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_ADMIN_PASSWORD:?"
    )
    assert "backbone:backbone@" not in text


def test_the_build_context_leaves_out_keys_state_and_the_venv() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".backbone", ".git", "*.key", ".env"} <= set(ignored)
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    for package in ("events", "services", "projections", "deploy"):
        assert f"COPY {package} {package}" in dockerfile
        assert package not in ignored


def test_the_readme_commands_for_compose_are_backbone_commands_of_compose_services() -> None:
    readme = (ROOT / "README.md").read_text()
    lines = [line.split() for line in readme.splitlines() if line.startswith("docker compose ")]
    assert lines, "the README shows no supervisor's command in compose"
    for words in lines:
        if "backbone" not in words:
            continue
        at = words.index("backbone")
        assert words[at - 1] in _services(), words  # the service it runs in exists
        build_parser().parse_args(words[at + 1 :])


# -- every process's health check asks the process itself (its /healthz endpoints) -------------

PROCESS_SERVICES = (*BACKBONE_SERVICES, "simulator")


def _process_name(command: list[str]) -> str:
    """The name the command's handler gives its health endpoints (``watch(settings, "...")``
    or ``watch_server(settings, "...")`` in its source): what picks the port offset."""
    handler = build_parser().parse_args(command[1:]).func
    found = re.findall(r'watch(?:_server)?\(settings, "([a-z]+)"', inspect.getsource(handler))
    assert len(found) == 1, f"{command}: no single health endpoint in {handler.__qualname__}"
    return str(found[0])


def _health_urls(service: dict[str, Any]) -> list[str]:
    check = " ".join(service["healthcheck"]["test"])
    return re.findall(r"http://127\.0\.0\.1:(\d+)(/healthz/[a-z{}]+)", check)


def test_every_process_health_check_asks_its_own_health_endpoint() -> None:
    from services.ops.health import PORT_OFFSETS

    for name in PROCESS_SERVICES:
        service = _services()[name]
        settings_port = int(service["environment"]["BACKBONE_METRICS_PORT"])
        assert settings_port > 0, "the endpoints are off"
        process = _process_name(service["command"])
        urls = _health_urls(service)
        assert urls, f"{name}'s health check does not ask the process itself"
        for port, _path in urls:
            assert int(port) == settings_port + PORT_OFFSETS[process], (name, process, port)
        check = " ".join(service["healthcheck"]["test"])
        assert "ready" in check, name  # started its work and not stopping
        if name != "web":  # a server's liveness is its answering; the loops' is their turning
            assert "live" in check, name


def _run_check(service: str, port: int) -> int:
    """Run ``service``'s health check command here, aimed at ``port`` instead of its own."""
    test = _services()[service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    own = _health_urls(_services()[service])[0][0]
    code = test[3].replace(f"127.0.0.1:{own}/", f"127.0.0.1:{port}/")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30).returncode


def test_the_health_check_passes_on_a_turning_loop_and_fails_on_a_stuck_one() -> None:
    from deploy.process import free_port
    from services.ops.health import PORT_OFFSETS, Health, serve_health

    base = free_port() - PORT_OFFSETS["relay"]
    settings = Settings(metrics_port=base)
    health = Health(stale_after=60)
    server = serve_health(settings, "relay", health)
    assert server is not None
    try:
        assert _run_check("relay", base) != 0  # not ready: the loop has not turned yet
        health.beat()
        assert _run_check("relay", base) == 0
        health.turned_at = time.monotonic() - 61  # the loop last turned 61 s ago: stuck
        assert _run_check("relay", base) != 0
        health.beat()
        health.stopping = True
        assert _run_check("relay", base) != 0
    finally:
        server.shutdown()
        server.server_close()


# -- PostgreSQL: the processes are not the database superuser ----------------------------------

ROLES_SCRIPT = "./deploy/postgres/compose-roles.sh"


def test_the_processes_connect_as_the_owner_role_not_the_superuser() -> None:
    from deploy.postgres.roles import OWNER_ROLE, READER_ROLE

    postgres = _services()["postgres"]
    admin = postgres["environment"]["POSTGRES_USER"]
    for name in PROCESS_SERVICES:
        env = _services()[name]["environment"]
        owner = sa.make_url(env["BACKBONE_DATABASE_URL"].replace("${", "").replace("}", ""))
        reader = sa.make_url(env["BACKBONE_READER_DATABASE_URL"].replace("${", "").replace("}", ""))
        assert (owner.username, reader.username) == (OWNER_ROLE, READER_ROLE), name
        assert admin not in (owner.username, reader.username), name
        assert owner.database == reader.database == "backbone"
    assert (
        f"{ROLES_SCRIPT}:/docker-entrypoint-initdb.d/10-backbone-roles.sh:ro" in postgres["volumes"]
    )
    script = (ROOT / ROLES_SCRIPT).read_text()
    assert f"CREATE ROLE {OWNER_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" in script
    assert f"CREATE DATABASE backbone OWNER {OWNER_ROLE};" in script
    for name in ("app", "reader"):
        variable = f"POSTGRES_{name.upper()}_PASSWORD"
        assert f"\\getenv {name}_password {variable}" in script  # not on a command line
        assert variable in postgres["environment"]
    assert f"-U {OWNER_ROLE} -d backbone" in " ".join(postgres["healthcheck"]["test"])
