"""What a person sees when a command cannot do what was asked: one line, never a traceback.

Every sub-command runs through :func:`run_guarded`. A mistake the person can fix
(:class:`UserError`, a refused step, a broken contract, a broker that does not answer) prints
one line on stderr saying what was wrong and what to do, and exits 2 (3 for an unreachable
broker); with ``--json`` a JSON object with the reason goes to stdout as well. Ctrl-C exits 130
quietly. Anything unexpected prints one line naming the log file that holds the traceback.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from events import ContractError

USER_MISTAKE = 2
BROKER_DOWN = 3
INTERRUPTED = 130
UNEXPECTED = 70  # EX_SOFTWARE
ERROR_LOG = "logs/cli-errors.log"


class UserError(Exception):
    """A mistake in what was asked: ``reason`` for machines, a sentence that says what to do."""

    def __init__(self, reason: str, message: str, code: int = USER_MISTAKE) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = code


def close_names(given: str, known: Iterable[str]) -> str:
    """' Did you mean: a, b?' for the known names close to ``given`` (else the empty string)."""
    close = difflib.get_close_matches(given, sorted(known), n=3, cutoff=0.6)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def unknown_name(kind: str, given: str, known: Iterable[str], listing: str) -> UserError:
    """An unknown agency, area, role, step... with the close names and where to see them all."""
    hint = close_names(given, known)
    message = f"unknown {kind} {given!r}.{hint} See all with: {listing}"
    return UserError(f"unknown_{kind.replace(' ', '_')}", message)


def run_guarded(args: argparse.Namespace, home: Path | None = None) -> int:
    """Run the chosen sub-command; turn every failure into one line and an exit code."""
    try:
        code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        return INTERRUPTED
    except UserError as error:
        return report(args, error.reason, str(error), error.code)
    except ContractError as error:
        return report(args, str(error.reason), error.detail, USER_MISTAKE)
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except Exception as error:
        translated = _known_failure(error)
        if translated is not None:
            return report(args, translated.reason, str(translated), translated.code)
        where = _log_traceback(home or Path(".backbone"))
        message = f"unexpected {type(error).__name__}; the details are in {where}"
        return report(args, "unexpected_error", message, UNEXPECTED)


def report(args: argparse.Namespace, reason: str, message: str, code: int) -> int:
    """One line on stderr in the person's language; with ``--json``, a JSON object on stdout
    too: the reason, the English ``detail`` scripts may match, and the ``message`` shown."""
    from services.runtime.i18n import translator
    from services.runtime.sentences import localize

    shown = localize(message, translator(_language(args), "UTC"))
    if getattr(args, "json", False) is True:
        error = {"error": reason, "detail": message, "message": shown}
        json.dump(error, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    print(f"backbone: {shown}", file=sys.stderr)
    return code


def _language(args: argparse.Namespace) -> str:
    """``--lang``, else ``BACKBONE_LANG``, else Vietnamese (also when the setting is wrong: the
    message then names the variable)."""
    from services.runtime.i18n import LANGUAGES

    for code in (getattr(args, "lang", None), os.environ.get("BACKBONE_LANG")):
        if code in LANGUAGES:
            return str(code)
    return "vi"


def _known_failure(error: Exception) -> UserError | None:
    """Failures of the surroundings a person can fix, recognised by type."""
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError
    from pydantic import ValidationError

    from deploy.process import LaunchError
    from services.cases.errors import CaseError
    from services.kafka.agency import NotProvisioned
    from services.runtime.tomlfile import ConfigFileError

    if isinstance(error, ConfigFileError):
        return UserError(error.reason, str(error))
    if isinstance(error, ValidationError):
        wrong = "; ".join(
            f"BACKBONE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        return UserError("bad_setting", f"a setting is wrong ({wrong}); fix the variable")
    if isinstance(error, CaseError):
        return UserError(error.reason, str(error))
    if isinstance(error, NotProvisioned):
        return UserError("not_provisioned", str(error))
    if isinstance(error, LaunchError) and "start it first" in str(error):
        return UserError(
            "broker_not_started",
            f"{error}: start the backbone with `backbone run` (or only the broker with "
            "`backbone kafka start`)",
            BROKER_DOWN,
        )
    if isinstance(error, KafkaConnectionError | KafkaTimeoutError):
        return UserError("broker_unreachable", _broker_message(), BROKER_DOWN)
    return None


def _broker_message(address: str | None = None) -> str:
    from services.commands.common import current_broker_address

    return (
        f"the broker at {address or current_broker_address()} does not answer; start it with "
        "`backbone run` (or `backbone kafka start`), or set BACKBONE_KAFKA_BOOTSTRAP_SERVERS"
    )


def broker_unreachable(address: str) -> UserError:
    return UserError("broker_unreachable", _broker_message(address), BROKER_DOWN)


def _log_traceback(home: Path) -> Path:
    path = home / ERROR_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n")
            log.write(traceback.format_exc())
    except OSError:
        return Path("(no log: the home is not writable)")
    return path.resolve()
