"""`archiver search "TERMS"`: full-text search of the archive, best hits first, with snippets."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import database_error, open_readonly
from archiver.cli.options import add_date_range, add_db_option, add_format_option, check_date_range, positive
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows
from archiver.research.search import (
    CJK_INDEX,
    GROUPS,
    HIT_COLUMNS,
    TEXT_INDEX,
    Hit,
    SearchSyntaxError,
    count,
    count_by,
    search,
)

BOLD = ("\033[1m", "\033[0m")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "search",
        help="full-text search of titles, bodies and teasers",
        description="Search titles, bodies and teasers, best matches first (bm25). TERMS use the FTS5 "
        'syntax: words (all must occur), "exact phrase", OR, NOT, prefix*, NEAR(a b, 5), '
        "title:word, body:word, teaser:word.",
    )
    parser.add_argument("terms", metavar="TERMS", help="what to look for, e.g. '\"Juche idea\" Russia'")
    parser.add_argument("--site", help="only this site (e.g. kcnawatch)")
    parser.add_argument("--source", help='only this source (e.g. "KCNA (EN)")')
    parser.add_argument("--language", metavar="LANG", help="only this language code (e.g. en, ru)")
    add_date_range(parser, "published")
    parser.add_argument("--limit", type=positive, default=20, metavar="N", help="at most N hits (default: 20)")
    parser.add_argument(
        "--count-by",
        type=count_groups,
        metavar="GROUPS",
        help="instead of hits, count the matching articles per month, source and/or language "
        "(comma-separated, e.g. month,source)",
    )
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def count_groups(text_: str) -> tuple[str, ...]:
    groups = tuple(g.strip() for g in text_.split(",") if g.strip())
    unknown = [g for g in groups if g not in GROUPS]
    if not groups or unknown:
        raise argparse.ArgumentTypeError(f"count by month, source and/or language (comma-separated), got {text_!r}")
    if len(set(groups)) != len(groups):
        raise argparse.ArgumentTypeError(f"a group named twice: {text_!r}")
    return groups


def require_search_index(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    for index, what in ((TEXT_INDEX, "search index"), (CJK_INDEX, "index for Chinese, Japanese and Korean")):
        if not connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = :name"), {"name": index}).first():
            raise UsageError(f"this archive has no {what} yet: run `archiver db upgrade` on it first")


def print_hits(hits: list[Hit], out) -> None:
    """The human format: one block per hit (date, source, title; URL; snippet)."""
    if not hits:
        out.write("no hits\n")
    for number, hit in enumerate(hits, 1):
        out.write(
            f"{number}. {hit.published_on or '(no date)'}  {hit.source or hit.site}  {hit.title or '(no title)'}\n"
        )
        out.write(f"   {hit.url}\n")
        if hit.snippet:
            out.write(f"   {hit.snippet}\n")
        out.write("\n")


def handle(args: argparse.Namespace) -> int:
    check_date_range(args)
    human = args.format == "table"
    mark = BOLD if human and sys.stdout.isatty() else ("**", "**")
    engine = open_readonly(args.db)
    try:
        with engine.connect() as connection:
            require_search_index(connection)
            filters = {
                "site": args.site,
                "source": args.source,
                "language": args.language,
                "since": args.since,
                "until": args.until,
            }
            if args.count_by:
                rows = count_by(connection, args.terms, args.count_by, **filters)
                return print_counts(args, rows)
            hits = search(connection, args.terms, limit=args.limit, mark=mark, **filters)
            total = count(connection, args.terms, **filters) if len(hits) == args.limit else len(hits)
    except SearchSyntaxError as exc:
        raise UsageError(str(exc)) from None
    except DBAPIError as exc:
        raise UsageError(f"cannot search this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    try:
        if human:
            print_hits(hits, sys.stdout)
            if total > len(hits):
                print(f"{len(hits)} of {total} matching articles shown (--limit {total} shows all)")
        else:
            write_rows(HIT_COLUMNS, (hit.row() for hit in hits), args.format)
            sys.stdout.flush()
            if total > len(hits):  # stdout is data: the note goes to stderr
                print(
                    f"archiver: {len(hits)} of {total} matching articles (--limit {total} gives all)", file=sys.stderr
                )
    except BrokenPipeError:
        return reader_went_away()
    return 0


def print_counts(args: argparse.Namespace, rows: list[tuple]) -> int:
    """The --count-by result: one row per group, then (in the table format) the total."""
    shown = [tuple("(none)" if v is None and args.format == "table" else v for v in row) for row in rows]
    try:
        write_rows((*args.count_by, "articles"), shown, args.format)
        if args.format == "table":
            print(f"{sum(row[-1] for row in rows)} matching articles")
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    return 0
