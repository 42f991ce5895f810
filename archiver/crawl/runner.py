"""Runs spiders in one Scrapy CrawlerProcess with the archiver's settings, and summarizes each run."""

from __future__ import annotations

import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from archiver import settings as archiver_settings
from archiver.archive.causes import causes_text
from archiver.archive.runlog import dates_left_empty, errors_of
from archiver.archive.sources import COVERAGE_GAPS
from archiver.exceptions import RunError
from archiver.normalize.urls import masked_url


def base_settings(db_url: str, mode: str = "crawl", overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(archiver_settings, priority="project")
    settings.set("ARCHIVER_DB_URL", db_url, priority="cmdline")
    settings.set("ARCHIVER_MODE", mode, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def spider_loader(overrides: dict | None = None):
    """The project's spider loader (built-in spiders and site profiles) under these settings."""
    return get_spider_loader(base_settings("sqlite://", overrides=overrides))


def spider_names(overrides: dict | None = None) -> list[str]:
    return sorted(spider_loader(overrides).list())


def check_spiders(names: list[str], overrides: dict | None = None) -> None:
    """RunError unless every name is a spider; a profile that does not validate says why, in one line."""
    loader = spider_loader(overrides)
    known = sorted(loader.list())
    errors = getattr(loader, "errors", {})
    for name in names:
        if name not in known and name in errors:
            raise RunError(f"site profile {errors[name]}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RunError(f"unknown spider {', '.join(unknown)} (known: {', '.join(known)})")


def check_spider_arguments(names: list[str], arguments: dict, overrides: dict | None = None) -> None:
    """Fail early, in one line, when a spider refuses its arguments (`-a since=yesterday`).

    The spider is built once here without a crawler: its constructor only checks and stores them.
    """
    loader = spider_loader(overrides)
    for name in names:
        try:
            loader.load(name)(**arguments)
        except (TypeError, ValueError) as exc:
            raise RunError(f"{name}: bad spider argument: {exc}") from None


def check_reachable(base_url: str, timeout: float = 10.0) -> None:
    """Fail early, in one line, when --base-url is not an http(s) URL or nothing answers there (for
    https: nothing that speaks TLS, e.g. a plain-HTTP server on that port)."""
    shown = masked_url(base_url)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RunError(f"--base-url must be an http(s) URL, got {shown!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        connection = socket.create_connection((parts.hostname, port), timeout=timeout)
    except OSError as exc:
        raise RunError(f"cannot reach {shown}: {exc.strerror or exc}") from None
    with connection:
        if parts.scheme == "https":
            check_tls(connection, parts.hostname, shown)


def check_tls(connection: socket.socket, hostname: str, shown: str) -> None:
    """RunError when the server at the other end of `connection` does not complete a TLS handshake.
    Certificates are not checked here (nor by Scrapy's default context): only that TLS is spoken."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        context.wrap_socket(connection, server_hostname=hostname).close()
    except ssl.SSLError as exc:
        raise RunError(f"cannot reach {shown}: no TLS there ({exc.reason or exc}); is it an http:// server?") from None
    except OSError as exc:
        reason = "no TLS answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise RunError(f"cannot reach {shown}: {reason}; is it an http:// server?") from None


@dataclass
class RunSummary:
    spider: str
    stats: dict

    def get(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    @property
    def status(self) -> str:
        return self.stats.get("archiver/status", "interrupted")

    @property
    def errors(self) -> int:
        return errors_of(self.stats)

    def errors_part(self) -> str:
        """`N errors`, with the commonest causes when there are any (archiver/archive/causes.py)."""
        return causes_text(self.stats)

    @property
    def ended_at(self) -> datetime:
        """When the run ended (Scrapy's finish_time), in UTC."""
        finished = self.stats.get("finish_time")
        if isinstance(finished, datetime):
            return finished.astimezone(UTC) if finished.tzinfo else finished.replace(tzinfo=UTC)
        return datetime.now(UTC)

    @property
    def yield_warnings(self) -> list[str]:
        """The field-yield monitor's findings: one line each (archiver/extensions/fieldyield.py)."""
        return list(self.stats.get("archiver/field_yield/warnings") or [])

    @property
    def coverage_gaps(self) -> list[str]:
        """The listings the run left part of: one line each (archiver/archive/sources.py)."""
        return list(self.stats.get(COVERAGE_GAPS) or [])

    def line(self) -> str:
        """The run in one line, with the time it ended (UTC) so that a cron log reads by date."""
        duration = self.stats.get("elapsed_time_seconds") or 0
        gone = self.get("archiver/articles/gone")
        gone_part = (
            f"{gone} article{'s' if gone != 1 else ''} gone for good (404/410 on several runs); " if gone else ""
        )
        return (
            f"{self.spider}: {self.status} in {duration:.1f}s, ended {self.ended_at:%Y-%m-%d %H:%M:%S}Z: "
            f"{self.get('response_received_count')} pages fetched ({self.get('downloader/request_count')} requests); "
            f"articles {self.get('archiver/articles/new')} new, {self.get('archiver/articles/updated')} updated, "
            f"{self.get('archiver/articles/folded') + self.get('archiver/article_urls/folded_by_teaser')} reposts folded; "
            f"listing entries {self.get('archiver/listing_entries/new')} new, "
            f"{self.get('archiver/listing_entries/seen_again')} seen again; "
            f"{dates_left_empty(self.stats)} dates left empty; "
            f"{''.join(f'{note}; ' for note in self.notes)}"
            f"{self.revisits_part}{gone_part}{self.errors_part()}"
            + (f"; {len(self.yield_warnings)} field-yield warnings (above)" if self.yield_warnings else "")
            + (f"; {len(self.coverage_gaps)} coverage gaps (above)" if self.coverage_gaps else "")
        )

    @property
    def revisits_part(self) -> str:
        """`12 revisited (2 edited, 1 removed); ` when the run revisited or edited anything (spiders/revisit.py)."""
        revisited, edited = self.get("archiver/revisits/fetched"), self.get("archiver/articles/edited")
        if not revisited and not edited:
            return ""
        details = [f"{edited} edited", f"{self.get('archiver/revisits/removed')} removed"]
        for key, words in (("removal_seen", "to confirm next run"), ("restored", "restored")):
            if self.get(f"archiver/revisits/{key}"):
                details.append(f"{self.get(f'archiver/revisits/{key}')} {words}")
        return f"{revisited} revisited ({', '.join(details)}); "

    @property
    def notes(self) -> list[str]:
        """What a spider said the reader of the summary must know (archiver/notes), e.g. a fallback it took."""
        notes = self.stats.get("archiver/notes") or []
        return [notes] if isinstance(notes, str) else list(notes)

    def warnings(self) -> list[str]:
        """What went wrong without failing the run, one line each (printed after the summary)."""
        lines = []
        no_body = self.get("archiver/articles/no_body")
        if no_body:
            urls = list(self.stats.get("archiver/no_body_urls") or [])
            shown = ", ".join(urls[:3]) + (", …" if no_body > 3 else "")
            pages = "page" if no_body == 1 else "pages"
            lines.append(f"{self.spider}: warning: {no_body} article {pages} gave no body and were not stored: {shown}")
        return lines


#: Loggers that print the same block at every start (versions, overridden settings, the lists of
#: enabled middlewares, extensions and pipelines): without those records, unless ARCHIVER_LOG_STARTUP.
STARTUP_LOGGERS = (
    "scrapy.utils.log",
    "scrapy.crawler",
    "scrapy.middleware",
    "scrapy.addons",
    "scrapy.extensions.telnet",
)


STARTUP_MESSAGES = ("Scrapy ", "Versions", "Overridden settings", "Enabled ")


def warnings_and_up(record: logging.LogRecord) -> bool:
    """Keep every record but the startup block's (e.g. "Received SIGINT, shutting down gracefully" stays)."""
    return record.levelno >= logging.WARNING or not str(record.msg).startswith(STARTUP_MESSAGES)


def quiet_startup() -> None:
    """A filter, not a level: Scrapy's logging setup resets the levels of scrapy.* loggers, not their filters."""
    for name in STARTUP_LOGGERS:
        logger = logging.getLogger(name)
        if warnings_and_up not in logger.filters:
            logger.addFilter(warnings_and_up)


class SpiderLogRecord(logging.LogRecord):
    """A log record that starts with the name of the spider it is about (`rstv: Gave up on …`), unless
    its logger is the spider's own (named after it).

    Scrapy and the archiver pass the spider as `extra={"spider": …}` (a spider's own `self.logger`
    does it too); extras are set after the record is made, so the name is added when the message is.
    With `crawl --all` several spiders log at once, and each line says whose it is.
    """

    def getMessage(self) -> str:
        message = super().getMessage()
        name = getattr(self.__dict__.get("spider"), "name", None)
        if isinstance(name, str) and name and self.name != name and not message.startswith(f"{name}: "):
            return f"{name}: {message}"
        return message


def name_spiders_in_log() -> None:
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(SpiderLogRecord)


def run_spiders(
    spiders: dict[str, dict],
    *,
    db_url: str,
    mode: str = "crawl",
    settings: dict | None = None,
) -> list[RunSummary]:
    """Crawl with each spider (name → its arguments), concurrently in this process; one summary each.

    Scrapy's reactor runs once per process, so every spider of a command runs in this one call.
    """
    merged = base_settings(db_url, mode, settings)
    if not merged.getbool("ARCHIVER_LOG_STARTUP"):
        quiet_startup()
    name_spiders_in_log()
    process = CrawlerProcess(merged)
    crawlers = []
    for name, arguments in spiders.items():
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **arguments)
    process.start()
    return [RunSummary(c.spidercls.name, dict(c.stats.get_stats())) for c in crawlers]


def exit_status(summaries: list[RunSummary]) -> int:
    """0 when every run ended ok, 1 when one was degraded, finished with errors or was interrupted."""
    return 0 if all(s.status == "ok" for s in summaries) else 1
