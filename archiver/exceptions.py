"""The project's exceptions, one home for all of them (a base module: every layer may import it).

Every exception whose message is meant for the user derives from UsageError: the command line
prints it as one line, `archiver: error: …`, and exits with status 2 (see archiver/cli/__init__.py).
"""

from __future__ import annotations


class ArchiverError(Exception):
    """Base of every exception the archiver raises on purpose."""


class UsageError(ArchiverError):
    """Bad input from the user: printed as one line, exit status 2."""


class DatabaseError(UsageError):
    """A database URL or file that cannot be used; the message is meant for the user."""


class RunError(UsageError):
    """A crawl that cannot start; the message is meant for the user."""


class ResumeMismatch(UsageError):
    """--resume with other parameters than the interrupted backfill had; the message says which."""


class CrawlConflict(UsageError):
    """A crawl with other parameters is still under way under the same ID; meant for the user."""


class SearchSyntaxError(UsageError, ValueError):
    """The terms are not a valid FTS5 query; the message is one line meant for the user."""


class CompressionUnavailable(ArchiverError):
    """zstd was asked for but the `zstandard` package is not installed."""
