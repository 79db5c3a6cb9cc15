"""The `create-admin` command: an admin account to sign in with, on a new database or an old one."""

import argparse
import asyncio
import getpass
import os
import sys
from typing import cast

from .settings import AccountSettings


def create_admin(args: argparse.Namespace, settings: AccountSettings) -> int:
    # Imported when the command runs, not for every command line (`serve` included).
    from ..db.database import Database
    from ..db.engine import DatabaseSettings
    from ..db.errors import exit_when_out_of_reach
    from .service import create_admin as create_admin_user

    # The service's Settings (settings.py) combine every part's, the database's too.
    database_settings = cast(DatabaseSettings, settings)

    password = args.password or os.environ.get("ADMIN_PASSWORD") or ""
    if not password:
        if not sys.stdin.isatty():
            print("No password: pass --password, set ADMIN_PASSWORD, or run in a terminal.")
            return 2
        password = getpass.getpass("Password for the admin: ")

    async def run() -> str:
        async with Database(database_settings) as database:
            user = await create_admin_user(database, settings, args.email, password)
            return user.email

    with exit_when_out_of_reach(database_settings.database_url):
        email = asyncio.run(run())
    print(f"Admin {email} is ready.")
    return 0


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("create-admin", help="create or promote an admin user")
    parser.add_argument("--email", required=True, help="the admin's e-mail address")
    parser.add_argument(
        "--password", help="the admin's password (default: ADMIN_PASSWORD, else a prompt)"
    )
    parser.set_defaults(handler=create_admin)
