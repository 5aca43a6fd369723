"""What every sub-command needs: the settings and the logger, set up once; the person's
language and the province's clock; checks of ids and instants typed on the command line."""

from __future__ import annotations

import argparse
import json
import socket
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.process import tighten
from services.commands.errors import UserError, broker_unreachable
from services.runtime.i18n import LANGUAGES, Translator, translator
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings, load_settings

# A clock a little ahead of the machine's is no reason to refuse "as of now".
AS_OF_SKEW = timedelta(minutes=1)
BROKER_PROBE_SECONDS = 3.0


def settings_for(args: argparse.Namespace) -> Settings:
    """Read the environment once and configure logging for this process."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    # A home made by an earlier version (or another umask) becomes owner-only again.
    tighten(settings.home)
    return settings


def print_json(value: Any) -> None:
    """JSON for scripts: UTF-8 as is (Vietnamese names stay readable), instants in ISO 8601."""
    json.dump(value, sys.stdout, indent=2, default=_jsonable, ensure_ascii=False)
    sys.stdout.write("\n")


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def parse_instant(text: str) -> datetime:
    """An ISO date or time from the command line; UTC when it names no zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date or time; write e.g. 2026-03-04 or 2026-03-04T09:30+07:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def past_instant(at: datetime | None) -> datetime | None:
    """An ``--as-of`` instant, refused when it lies in the future (nothing is on record yet)."""
    if at is not None and at > datetime.now(UTC) + AS_OF_SKEW:
        raise UserError(
            "as_of_in_future",
            f"--as-of {at.isoformat()} is in the future; give a past instant, or leave it out "
            "for now",
        )
    return at


def case_uuid(text: str) -> str:
    """A case id as typed: refused with a clear line unless it is a UUID."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise UserError(
            "malformed_case_id",
            f"{text!r} is not a case id; a case id is a UUID such as "
            "3e99acc3-5b1f-4c58-9d0e-1a2b3c4d5e6f (list cases with `backbone stalled`)",
        ) from None


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    """``--lang`` for commands that print for people (default: BACKBONE_LANG, else vi)."""
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="language of labels and times: vi or en (default: BACKBONE_LANG, else vi)",
    )


def add_command_group(subparsers: Any, name: str, text: str) -> Any:
    """A sub-command ``name`` whose own sub-commands (its actions) the caller adds to the
    returned group; one of them is required."""
    parser = subparsers.add_parser(name, help=text, description=text)
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="JSON for scripts")


def add_as_of_option(
    parser: argparse.ArgumentParser, text: str = "ISO date or time (UTC if no zone)"
) -> None:
    parser.add_argument("--as-of", type=parse_instant, help=text)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``--json`` for scripts, else ``--lang`` for the person reading."""
    add_json_option(parser)
    add_lang_option(parser)


def people(args: argparse.Namespace, settings: Settings) -> Translator:
    """The person's language (``--lang``, then ``BACKBONE_LANG``) on the province's clock."""
    from services.cases.agencies import load_agencies

    code = getattr(args, "lang", None) or settings.lang
    return translator(code, load_agencies(settings.config_dir).zone)


def require_broker(settings: Settings, timeout: float = BROKER_PROBE_SECONDS) -> None:
    """Refuse within a few seconds when no bootstrap address of the broker takes a connection
    (kafka-python would wait 30 s and then say only "unable to bootstrap")."""
    from services.runtime.kafkaclients import broker_endpoint

    address = broker_endpoint(settings).bootstrap_servers
    for server in address.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return
        except (OSError, ValueError):
            continue
    raise broker_unreachable(address)


def current_broker_address() -> str:
    """The broker this process would talk to, for a message saying it does not answer."""
    settings = load_settings()
    if settings.kafka_bootstrap_servers:
        return settings.kafka_bootstrap_servers
    from deploy.kafka.cluster import local_kafka

    try:
        return local_kafka(settings.home / "kafka").endpoint().bootstrap_servers
    except Exception:
        return f"(local broker of {settings.home})"
