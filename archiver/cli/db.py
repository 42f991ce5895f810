"""`archiver db upgrade`: create or upgrade the archive's schema with Alembic."""

from __future__ import annotations

import argparse

from archiver.archive.engine import current_revision, open_archive
from archiver.cli.options import add_db_option, db_url
from archiver.normalize.urls import masked_url


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="create or upgrade the schema to the newest migration")
    add_db_option(upgrade)
    upgrade.set_defaults(handler=handle_upgrade)


def handle_upgrade(args: argparse.Namespace) -> int:
    url = db_url(args)
    engine = open_archive(url)
    print(
        f"database at revision {current_revision(engine)}: {masked_url(engine.url.render_as_string(hide_password=False))}"
    )
    engine.dispose()
    return 0
