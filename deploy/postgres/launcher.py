"""A private PostgreSQL cluster from Debian's ``postgresql`` package, on a loopback port.

The package is installed with apt when it is missing. The cluster is owned by the ``postgres``
OS user when we run as root (PostgreSQL refuses to run as root), otherwise by the caller.
Passwords are generated and kept in the cluster's state file (mode 0600). The superuser only
administers; the backbone's processes connect as the owner role and read-only surfaces as the
reader role (see :mod:`deploy.postgres.roles`). ``initdb`` reads the superuser's password from a
file that is owner-only from its creation and removed right after.
"""

from __future__ import annotations

import glob
import hashlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from deploy.postgres.roles import OWNER_ROLE, READER_ROLE, provision
from deploy.process import (
    PRIVATE_UMASK,
    LaunchError,
    free_port,
    private_dir,
    read_state,
    tighten,
    wait_until,
    write_private,
    write_state,
)

# The superuser of clusters made before the roles were split was called like the owner now is.
ADMIN = "backbone_admin"
LEGACY_ADMIN = "backbone"
DATABASE = "backbone"


def server_bin() -> Path:
    """The folder of Debian's PostgreSQL server binaries, installing the package if needed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _apt_install("postgresql")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise LaunchError("PostgreSQL server binaries not found after installing 'postgresql'")
    return Path(found[-1]).parent


def _apt_install(package: str) -> None:
    if os.geteuid() != 0:
        raise LaunchError(
            f"'{package}' is missing; install it with: sudo apt-get install {package}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", package], check=True, env=env, capture_output=True
    )


class LocalPostgres:
    """Start, stop and inspect the private cluster that belongs to ``home``."""

    def __init__(self, home: Path, durable: bool = True) -> None:
        self.home = home.resolve()
        self.durable = durable
        self.state_file = self.home / "state.json"
        self.running_as_root = os.geteuid() == 0
        self.data_dir = self._data_dir()

    def start(self, timeout: float = 60.0) -> str:
        """Start the cluster if needed and return the owner's SQLAlchemy URL of its database."""
        private_dir(self.home)
        tighten(self.home)
        state = self._ensure_initialised()
        if self.data_dir.exists():
            # The data dir (and, as root, its folder of clusters) is the postgres user's only.
            if self.running_as_root:
                tighten(self.data_dir.parent, any_owner=True)
            else:
                tighten(self.data_dir)
        if self._pg_ctl("status").returncode != 0:
            done = self._pg_ctl(
                "start",
                "-w",
                "-t",
                str(int(timeout)),
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                self._options(state),
            )
            if done.returncode != 0:
                raise LaunchError(f"PostgreSQL did not start: {done.stdout}{done.stderr}")
        if not wait_until(self._accepts_connections, timeout):
            raise LaunchError("PostgreSQL started but refuses connections")
        self._ensure_database(DATABASE)
        return self.url(DATABASE)

    def stop(self) -> None:
        if self.data_dir.exists() and self._pg_ctl("status").returncode == 0:
            self._pg_ctl("stop", "-m", "fast", "-w")

    def destroy(self) -> None:
        """Stop the cluster and delete its data (throw-away clusters of a test run)."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)

    def status(self) -> dict[str, object]:
        state = read_state(self.state_file)
        running = self.data_dir.exists() and self._pg_ctl("status").returncode == 0
        return {"running": running, "port": state.get("port"), "data_dir": str(self.data_dir)}

    def url(self, database: str = DATABASE) -> str:
        """The owner role's URL: what every backbone process connects with."""
        return self._url(OWNER_ROLE, "owner_password", database)

    def reader_url(self, database: str = DATABASE) -> str:
        """The reader role's URL: may only read the read models (dashboard, reports)."""
        return self._url(READER_ROLE, "reader_password", database)

    def admin_url(self, database: str = "postgres") -> str:
        """The superuser's URL: for creating databases and roles only (tests, operators)."""
        return self._url(_admin(read_state(self.state_file)), "password", database)

    def create_database(self, name: str) -> str:
        """Create an empty database (a fresh one per test) and return the owner's URL."""
        self._ensure_database(name)
        return self.url(name)

    def _url(self, role: str, secret: str, database: str) -> str:
        state = read_state(self.state_file)
        return f"postgresql+psycopg://{role}:{state[secret]}@127.0.0.1:{state['port']}/{database}"

    # -- internals -------------------------------------------------------------------------
    def _data_dir(self) -> Path:
        if not self.running_as_root:
            return self.home / "data"
        # The postgres user cannot always reach a root-owned home (e.g. pytest's tmp dirs).
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:16]
        return Path("/var/lib/postgresql/referral-backbone") / digest

    def _ensure_initialised(self) -> dict[str, object]:
        state = read_state(self.state_file)
        fresh = not state
        if fresh:
            state = {"port": free_port(), "password": secrets.token_urlsafe(24), "admin": ADMIN}
        # Clusters made before the roles were split gain the owner and reader passwords here.
        for key in ("owner_password", "reader_password"):
            state.setdefault(key, secrets.token_urlsafe(24))
        write_state(self.state_file, state)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(_admin(state), str(state["password"]))
        return state

    def _initdb(self, admin: str, password: str) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        private_dir(self.data_dir)
        pwfile = self.data_dir.with_name(self.data_dir.name + ".pw")
        try:
            # Owner-only from its first byte (and its folder is owner-only too).
            write_private(pwfile, password)
            if self.running_as_root:
                self.data_dir.parent.chmod(0o700)
                shutil.chown(self.data_dir.parent, "postgres", "postgres")
                shutil.chown(self.data_dir, "postgres", "postgres")
                shutil.chown(pwfile, "postgres", "postgres")
            done = self._run(
                str(server_bin() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                admin,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise LaunchError(f"initdb failed: {done.stdout}{done.stderr}")

    def _options(self, state: dict[str, object]) -> str:
        opts = [
            f"-p {state['port']}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.data_dir}",
            "-c max_connections=200",
            # The socket sits in the owner-only data dir; make it owner-only all the same.
            "-c unix_socket_permissions=0700",
        ]
        if not self.durable:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return " ".join(opts)

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run(str(server_bin() / "pg_ctl"), "-D", str(self.data_dir), *args)

    def _run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.running_as_root else []
        return subprocess.run(
            [*prefix, *cmd],
            capture_output=True,
            text=True,
            check=False,
            cwd="/",
            umask=PRIVATE_UMASK,
        )

    def _accepts_connections(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self._dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _ensure_database(self, name: str) -> None:
        state = read_state(self.state_file)
        passwords = {OWNER_ROLE: state["owner_password"], READER_ROLE: state["reader_password"]}
        provision(self._dsn("postgres"), name, passwords)

    def _dsn(self, database: str) -> str:
        state = read_state(self.state_file)
        return (
            f"host=127.0.0.1 port={state['port']} user={_admin(state)} "
            f"password={state['password']} dbname={database}"
        )


def _admin(state: dict[str, object]) -> str:
    return str(state.get("admin", LEGACY_ADMIN))
