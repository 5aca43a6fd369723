"""Agency API commands: serve it, manage agencies' API keys, print the backbone's public key."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from events import ContractError
from services.api.apikeys import KeyFile
from services.cases.agencies import load_agencies
from services.commands.common import add_command_group, print_json, settings_for
from services.kafka.sealingkeys import backbone_keypair, register_agency_public_key
from services.runtime.settings import Settings


def register(subparsers: Any) -> None:
    text = "the HTTP API for agency systems"
    actions = add_command_group(subparsers, "api", text)
    text = "serve the agency API at /api (HTTPS with BACKBONE_API_TLS_CERT_FILE/_KEY_FILE)"
    serving = actions.add_parser("serve", help=text, description=text)
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=8081)
    serving.set_defaults(func=serve)


def register_agency_actions(actions: Any) -> None:
    """``backbone agencies public-key`` and ``backbone agencies api-key ...``."""
    text = "print the backbone's public sealing key (base64) alone"
    actions.add_parser("public-key", help=text, description=text).set_defaults(func=public_key)
    text = "register the agency's own inbox public key (base64); the backbone keeps no private key"
    inbox_key = actions.add_parser("inbox-key", help=text, description=text)
    inbox_key.add_argument("agency")
    inbox_key.add_argument("public_key")
    inbox_key.set_defaults(func=register_inbox_key)
    text = "an agency's webhook: set URL (prints the signing secret once), remove, failures"
    webhook = actions.add_parser("webhook", help=text, description=text)
    verbs = webhook.add_subparsers(dest="verb", required=True, metavar="VERB")
    setting = verbs.add_parser("set", help="register the URL; a new secret")
    setting.add_argument("agency")
    setting.add_argument("url")
    removing = verbs.add_parser("remove", help="stop delivering to the agency")
    removing.add_argument("agency")
    for parser in (setting, removing):
        parser.set_defaults(func=webhook_change)
    text = "deliveries set aside after too many failures"
    verbs.add_parser("failures", help=text, description=text).set_defaults(func=webhook_failures)
    text = "an agency system's API keys: create, rotate (old key lives on a while), revoke, list"
    keys = actions.add_parser("api-key", help=text, description=text)
    verbs = keys.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, what in (
        ("create", "make another key for the agency; prints it once"),
        ("rotate", "make a new key; the agency's others end after the grace period"),
        ("revoke", "end the agency's keys (or one, --key-id) now"),
    ):
        parser = verbs.add_parser(verb, help=what, description=what)
        parser.add_argument("agency")
        if verb == "revoke":
            parser.add_argument("--key-id", default="")
        if verb == "rotate":
            parser.add_argument("--grace-hours", type=float, help="default: the settings'")
        parser.set_defaults(func=api_key)
    listing = verbs.add_parser("list", help="the keys (ids, agencies, validity; never secrets)")
    listing.set_defaults(func=list_keys)


def serve(args: argparse.Namespace) -> int:
    from services.api.serve import serve as run
    from services.api.wiring import build_api

    settings = settings_for(args)
    run(settings, args.host, args.port, build_api(settings))
    return 0


def webhook_change(args: argparse.Namespace) -> int:
    from services.kafka.webhooks import HookFile

    settings = settings_for(args)
    _known(settings, args.agency)
    hooks = HookFile(settings.effective_webhooks_file)
    if args.verb == "remove":
        print_json({"agency": args.agency, "removed": hooks.remove(args.agency)})
        return 0
    try:
        hook = hooks.register(args.agency, args.url)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    print_json(vars(hook))
    return 0


def webhook_failures(args: argparse.Namespace) -> int:
    from services.kafka.webhooks import failed_deliveries
    from services.runtime.database import database_engine

    rows = failed_deliveries(database_engine(settings_for(args)))
    print_json([{k: v for k, v in row.items() if k != "body"} for row in rows])
    return 0


def public_key(args: argparse.Namespace) -> int:
    print(backbone_keypair(settings_for(args)).public_key)
    return 0


def register_inbox_key(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    _known(settings, args.agency)
    try:
        path = register_agency_public_key(settings, args.agency, args.public_key)
    except ContractError as error:
        raise SystemExit(f"{error.reason}: {error.detail}") from None
    print_json({"agency": args.agency, "public_key": args.public_key, "file": str(path)})
    return 0


def _known(settings: Settings, agency: str) -> None:
    if load_agencies(settings.config_dir).get(agency) is None:
        raise SystemExit(f"{agency} is not in the agency directory")


def api_key(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    _known(settings, args.agency)
    keys = KeyFile(settings.effective_api_keys_file)
    if args.verb == "revoke":
        print_json({"agency": args.agency, "revoked": keys.revoke(args.agency, args.key_id)})
        return 0
    if args.verb == "rotate":
        hours = settings.api_rotation_grace_hours if args.grace_hours is None else args.grace_hours
        issued = keys.rotate(args.agency, timedelta(hours=hours))
    else:
        issued = keys.create(args.agency)
    print_json({"agency": issued.agency, "key_id": issued.key_id, "key": issued.key})
    return 0


def list_keys(args: argparse.Namespace) -> int:
    keys = KeyFile(settings_for(args).effective_api_keys_file).keys()
    print_json([{k: v for k, v in vars(key).items() if k != "sha256"} for key in keys])
    return 0
