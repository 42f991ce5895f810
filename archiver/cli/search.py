"""`archiver search "TERMS"`: full-text search of the archive, best hits first, with snippets."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from archiver.archive.engine import resolve_db_url
from archiver.archive.readonly import database_error, open_readonly
from archiver.archive.statedir import sqlite_file
from archiver.cli.options import add_date_range, add_db_option, add_format_option, check_date_range, positive
from archiver.exceptions import UsageError
from archiver.research.changes import has_versions
from archiver.research.outfile import OutputRefused, archive_files
from archiver.research.output import reader_went_away, write_rows
from archiver.research.plot import PlotError, check_target, plot_series
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
from archiver.research.series import fill
from archiver.research.versions_search import count_all_versions, search_all_versions

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
        help="instead of hits, count the matching articles per year, month, source and/or language "
        "(comma-separated, e.g. month,source)",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="with --count-by month (or year): also draw the counts over time, a line per source "
        "(or per language when counted by language), to FILE.png, .svg or .html (needs the plot extra)",
    )
    parser.add_argument(
        "--all-versions",
        action="store_true",
        help="search every version of edited articles too, not only their latest text (adds a version column)",
    )
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def count_groups(text_: str) -> tuple[str, ...]:
    groups = tuple(g.strip() for g in text_.split(",") if g.strip())
    unknown = [g for g in groups if g not in GROUPS]
    if not groups or unknown:
        raise argparse.ArgumentTypeError(
            f"count by year, month, source and/or language (comma-separated), got {text_!r}"
        )
    if len(set(groups)) != len(groups):
        raise argparse.ArgumentTypeError(f"a group named twice: {text_!r}")
    return groups


def require_search_index(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    for index, what in ((TEXT_INDEX, "search index"), (CJK_INDEX, "index for Chinese, Japanese and Korean")):
        if not connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = :name"), {"name": index}).first():
            raise UsageError(f"this archive has no {what} yet: run `archiver db upgrade` on it first")


def require_versions_index(connection) -> None:
    if not has_versions(connection):
        raise UsageError("this archive has no index of versions yet: run `archiver db upgrade` on it first")


def print_hits(hits: list[Hit], out) -> None:
    """The human format: one block per hit (date, source, title; URL; snippet)."""
    if not hits:
        out.write("no hits\n")
    for number, hit in enumerate(hits, 1):
        version = f"  (version {hit.version})" if hit.version is not None else ""
        out.write(
            f"{number}. {hit.published_on or '(no date)'}  {hit.source or hit.site}  {hit.title or '(no title)'}"
            f"{version}\n"
        )
        out.write(f"   {hit.url}\n")
        if hit.snippet:
            out.write(f"   {hit.snippet}\n")
        out.write("\n")


def plot_groups(args: argparse.Namespace) -> tuple[str, str] | None:
    """(time group, series group) of the picture --plot asks for, None without --plot; UsageError
    before any work when it cannot be drawn."""
    if not args.plot:
        return None
    try:
        check_target(args.plot)
    except PlotError as exc:
        raise UsageError(str(exc)) from None
    groups = args.count_by or ()
    time = next((g for g in groups if g in ("month", "year")), None)
    if time is None:
        raise UsageError("--plot draws counts over time: give --count-by month (or year), e.g. --count-by month")
    others = [g for g in groups if g in ("source", "language")]
    if len(others) > 1:
        raise UsageError("--plot draws one line per source or per language: count by one of them, not both")
    return time, (others[0] if others else "source")


def handle(args: argparse.Namespace) -> int:
    check_date_range(args)
    plot = plot_groups(args)
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
                if args.all_versions:
                    raise UsageError("--count-by counts articles by their latest text: leave out --all-versions")
                rows = count_by(connection, args.terms, args.count_by, **filters)
                drawn = count_by(connection, args.terms, plot, **filters) if plot else []
                status = print_counts(args, rows)
                if plot:
                    draw(args, plot, drawn)
                return status
            if args.all_versions:
                require_versions_index(connection)
                hits = search_all_versions(connection, args.terms, limit=args.limit, mark=mark, **filters)
                counter = count_all_versions
            else:
                hits = search(connection, args.terms, limit=args.limit, mark=mark, **filters)
                counter = count
            total = counter(connection, args.terms, **filters) if len(hits) == args.limit else len(hits)
    except (SearchSyntaxError, PlotError, OutputRefused) as exc:
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
            if args.all_versions:
                write_rows((*HIT_COLUMNS, "version"), ((*hit.row(), hit.version) for hit in hits), args.format)
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


def draw(args: argparse.Namespace, groups: tuple[str, str], rows: list[tuple]) -> None:
    """The --plot picture: counts per period per source (or language), every period between the
    first and the last (or --since/--until) drawn, zero where nothing matched."""
    time, name = groups
    width = 4 if time == "year" else 7
    bounds = [d.isoformat()[:width] if d else None for d in (args.since, args.until)]
    series = fill(rows, first=bounds[0], last=bounds[1])
    per = {"source": "per source", "language": "per language"}[name]
    plot_series(
        series,
        args.plot,
        title=f"{args.terms}: matching articles per {time} {per}",
        protected=archive_files(sqlite_file(resolve_db_url(args.db))),
    )
    print(f"archiver: plot written to {args.plot}", file=sys.stderr)
