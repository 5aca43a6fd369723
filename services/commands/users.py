"""``backbone users add|passwd|list``: the dashboard's users, their roles and scopes."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from services.commands.common import add_command_group, print_json, settings_for
from services.web.users import ROLES, UserBook, UserRecordError, make_user


def register(subparsers: Any) -> None:
    text = "manage the dashboard's users (roles, supervised area, language, password)"
    actions = add_command_group(subparsers, "users", text)
    text = "add a user, or replace one with the same name"
    add = actions.add_parser("add", help=text, description=text)
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--area", default="", help="province or district code the user supervises")
    add.add_argument(
        "--agency",
        default="",
        help="the supervisor's office (records follow-ups), or an agency officer's agency",
    )
    add.add_argument("--language", default="vi", choices=("vi", "en"))
    _password_flag(add)
    add.set_defaults(func=add_user)
    text = "set a user's password"
    passwd = actions.add_parser("passwd", help=text, description=text)
    passwd.add_argument("name")
    _password_flag(passwd)
    passwd.set_defaults(func=set_password)
    text = "list the users (no password hashes)"
    actions.add_parser("list", help=text, description=text).set_defaults(func=list_users)


def _password_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise UserRecordError("passwords_differ", "the two passwords differ; nothing was changed")
    return first


def add_user(args: argparse.Namespace) -> int:
    book = UserBook(settings_for(args).effective_users_file)
    try:
        user = make_user(
            args.name, args.role, args.area, _password(args), args.agency, args.language
        )
    except UserRecordError as error:
        return _refused(error)
    book.put(user)
    print_json({"added": user.name, "role": user.role, "area": user.area})
    return 0


def set_password(args: argparse.Namespace) -> int:
    book = UserBook(settings_for(args).effective_users_file)
    try:
        book.set_password(args.name, _password(args))
    except UserRecordError as error:
        return _refused(error)
    print_json({"password_changed": args.name})
    return 0


def list_users(args: argparse.Namespace) -> int:
    book = UserBook(settings_for(args).effective_users_file)
    keys = ("name", "role", "area", "agency", "language")
    print_json([{key: getattr(user, key) for key in keys} for user in book.all()])
    return 0


def _refused(error: UserRecordError) -> int:
    print_json({"error": error.reason, "detail": str(error)})
    return 2
