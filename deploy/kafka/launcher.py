"""A real single-node Apache Kafka 4 broker (KRaft) from Maven Central, without Docker.

The jars are resolved once with the machine's Maven into a cache outside git
(``$BACKBONE_CACHE_DIR`` or ``~/.cache/referral-backbone``). Each broker home keeps its
``server.properties``, its ports, its generated passwords and its KRaft log dir, so a
stopped broker comes back on the same port with its data intact.

Security: both listeners authenticate (SCRAM for clients, PLAIN for the controller listener),
the backbone's principal is the only super user, the home is owner-only (tightened at every
start), and no password ever appears on a command line: the storage tool reads its SCRAM
credential from an owner-only Java argument file that is deleted afterwards.

Longer than 300 lines because one class owns a broker's whole life (resolving the jars, writing
its configuration and credentials, formatting, starting, waiting, stopping) around one state
file; the steps share that state, so they stay together.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.process import (
    PRIVATE_UMASK,
    LaunchError,
    free_port,
    is_running,
    private_dir,
    read_state,
    spawn,
    terminate,
    tighten,
    wait_until,
    write_private,
    write_state,
)

HERE = Path(__file__).resolve().parent
KAFKA_VERSION = "4.1.1"
SUPER_USER = "backbone"
MECHANISM = "SCRAM-SHA-256"


def cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "referral-backbone"
    return Path(os.environ.get("BACKBONE_CACHE_DIR", default))


def resolve_jars() -> Path:
    """Resolve the broker's runtime classpath with Maven (once) and return the jar folder."""
    lib = cache_root() / f"kafka-{KAFKA_VERSION}" / "lib"
    if (lib / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        return lib
    if shutil.which("mvn") is None:
        raise LaunchError("Maven (mvn) is needed to fetch the Kafka broker jars")
    tmp = lib.with_name("lib.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(HERE / "pom.xml"),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={tmp}",
        f"-Dkafka.version={KAFKA_VERSION}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LaunchError(f"mvn could not resolve the broker: {done.stdout[-2000:]}")
    tmp.replace(lib)
    return lib


def failed_login_classes(lib: Path) -> Path:
    """Compile ``authlog/FailedLoginLogger.java`` against the broker's jars, once per version of
    the source: it names the user of each refused login in auth.log (Kafka logs only the
    address). A JDK's ``javac`` is needed, as Maven is for the jars."""
    source = HERE / "authlog" / "FailedLoginLogger.java"
    out = lib.parent / f"authlog-{hashlib.sha256(source.read_bytes()).hexdigest()[:16]}"
    if out.exists():
        return out
    if shutil.which("javac") is None:
        raise LaunchError("javac (a JDK, e.g. openjdk-17-jdk-headless) is needed by the broker")
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")  # brokers may start at once
    cmd = ["javac", "--release", "17", "-nowarn", "-cp", f"{lib}/*", "-d", str(partial)]
    done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LaunchError(f"javac could not build the failed-login logger: {done.stderr[-2000:]}")
    try:
        partial.rename(out)
    except OSError:  # another start built it first: the same source, the same classes
        shutil.rmtree(partial, ignore_errors=True)
    return out


@dataclass(frozen=True)
class BrokerEndpoint:
    """How clients reach a running broker."""

    bootstrap_servers: str
    username: str
    password: str
    security_protocol: str = "SASL_PLAINTEXT"
    sasl_mechanism: str = MECHANISM


class LocalKafka:
    """Start, stop and inspect the broker that lives in ``home``."""

    def __init__(self, home: Path, heap: str = "512m") -> None:
        self.home = home.resolve()
        self.heap = heap
        self.state_file = self.home / "state.json"
        self.data_dir = self.home / "data"
        self.log_file = self.home / "broker.log"
        self.auth_log = self.home / "auth.log"

    # -- public commands -------------------------------------------------------------------
    def start(self, timeout: float = 120.0) -> BrokerEndpoint:
        """Start the broker if it is not running and wait until it answers metadata requests."""
        self.launch()
        return self.wait_answering(timeout)

    def launch(self) -> None:
        """Format the log dir the first time and start the broker's JVM unless it runs."""
        private_dir(self.home)
        tighten(self.home)
        state = self._ensure_configured()
        if not is_running(state.get("pid")):
            lib = resolve_jars()
            if not (self.data_dir / "meta.properties").exists():
                self._format(lib, state)
            state["pid"] = spawn(
                self._java(lib, "kafka.Kafka", str(self._properties())), self.log_file
            )
            write_state(self.state_file, state)

    def wait_answering(self, timeout: float) -> BrokerEndpoint:
        """Wait until this broker answers metadata requests on its own listener."""
        endpoint = self.endpoint()
        if not wait_until(lambda: self._answers(endpoint), timeout, interval=0.5):
            raise LaunchError(f"broker did not answer within {timeout}s; see {self.log_file}")
        return endpoint

    def stop(self, timeout: float = 60.0) -> None:
        state = read_state(self.state_file)
        terminate(state.get("pid"), timeout)
        state.pop("pid", None)
        if state:
            write_state(self.state_file, state)

    def status(self) -> dict[str, object]:
        state = read_state(self.state_file)
        running = is_running(state.get("pid"))
        return {
            "running": running,
            "pid": state.get("pid") if running else None,
            "bootstrap_servers": f"127.0.0.1:{state['port']}" if state else None,
            "home": str(self.home),
            "version": KAFKA_VERSION,
        }

    def endpoint(self) -> BrokerEndpoint:
        state = read_state(self.state_file)
        if not state:
            raise LaunchError(f"no broker configured in {self.home}; start it first")
        return BrokerEndpoint(f"127.0.0.1:{state['port']}", SUPER_USER, state["password"])

    # -- internals -------------------------------------------------------------------------
    def _ensure_configured(self) -> dict[str, Any]:
        state = read_state(self.state_file)
        missing = {key: make() for key, make in self._fresh().items() if key not in state}
        if missing:
            state |= missing
            write_state(self.state_file, state)
        write_private(self._properties(), self._render(state))
        return state

    def _fresh(self) -> dict[str, Callable[[], Any]]:
        """How each missing state value is made (a node of a cluster takes the cluster's)."""
        return {
            "port": free_port,
            "controller_port": free_port,
            "password": lambda: secrets.token_urlsafe(24),
            # Homes made before the controller listener authenticated gain its password here.
            "controller_password": lambda: secrets.token_urlsafe(24),
            "cluster_id": kafka_uuid,
        }

    def _render(self, state: dict[str, Any]) -> str:
        node = NodeConfig(1, int(state["port"]), int(state["controller_port"]), self.data_dir)
        return render_node(node, [node], state)

    def _quorum_args(self, state: dict[str, Any]) -> list[str]:
        """How the storage tool learns the controller quorum: this node alone."""
        return ["--standalone"]

    def _properties(self) -> Path:
        return self.home / "server.properties"

    def _format(self, lib: Path, state: dict[str, Any]) -> None:
        scram = f"{MECHANISM}=[name={SUPER_USER},password={state['password']}]"
        args = [
            "format",
            *self._quorum_args(state),
            "-t",
            str(state["cluster_id"]),
            "-c",
            str(self._properties()),
            "--add-scram",
            scram,
        ]
        # The password goes to the tool in an owner-only argument file, never on its command
        # line (which every local user can read in /proc).
        argfile = self.home / f".format.{os.getpid()}.args"
        try:
            write_private(argfile, java_argfile(["kafka.tools.StorageTool", *args]))
            done = subprocess.run(
                [*self._java(lib), f"@{argfile}"],
                capture_output=True,
                text=True,
                check=False,
                umask=PRIVATE_UMASK,
            )
        finally:
            argfile.unlink(missing_ok=True)
        if done.returncode != 0:
            said = f"{done.stdout}{done.stderr}".replace(str(state["password"]), "***")
            raise LaunchError(f"formatting the KRaft log dir failed: {said}")

    def _java(self, lib: Path, *main_and_args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}",
            f"-Dbackbone.kafka.auth.log={self.auth_log}",
            "-cp",
            f"{lib}/*:{failed_login_classes(lib)}",
            *main_and_args,
        ]

    def _answers(self, endpoint: BrokerEndpoint) -> bool:
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        host, port = endpoint.bootstrap_servers.split(",")[0].rsplit(":", 1)
        if not _listening(host, int(port)):
            return False
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=endpoint.bootstrap_servers,
                security_protocol=endpoint.security_protocol,
                sasl_mechanism=endpoint.sasl_mechanism,
                sasl_plain_username=endpoint.username,
                sasl_plain_password=endpoint.password,
                request_timeout_ms=5000,
            )
        except (KafkaError, OSError):
            return False
        try:
            admin.describe_cluster()
            return True
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()


@dataclass(frozen=True)
class NodeConfig:
    """One KRaft node: its id, its two loopback ports and its log dir."""

    node_id: int
    port: int
    controller_port: int
    data_dir: Path


def render_node(node: NodeConfig, voters: list[NodeConfig], secrets_: dict[str, Any]) -> str:
    """The ``server.properties`` of ``node`` in a cluster whose controllers are ``voters``.

    Every node of one cluster shares the cluster's passwords (``password`` for SCRAM,
    ``controller_password`` for the controller listener): write the result owner-only.
    """
    template = (HERE / "server.properties.template").read_text()
    replicas = min(3, len(voters))  # the internal topics' copies: three on a cluster
    return template.format(
        internal_replication=replicas,
        min_insync=max(1, replicas - 1),
        node_id=node.node_id,
        quorum=",".join(f"127.0.0.1:{voter.controller_port}" for voter in voters),
        port=node.port,
        controller_port=node.controller_port,
        password=secrets_["password"],
        controller_password=secrets_["controller_password"],
        user=SUPER_USER,
        log_dirs=node.data_dir,
    )


def java_argfile(args: list[str]) -> str:
    """A Java launcher ``@argfile`` holding ``args``, each quoted, one per line."""
    quoted = ('"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"' for arg in args)
    return "\n".join(quoted) + "\n"


def _listening(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def kafka_uuid() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding."""
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not value.startswith("-"):
            return value
