"""Runs spiders in one Scrapy CrawlerProcess with the archiver's settings, and summarizes each run."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from archiver import settings as archiver_settings


class RunError(Exception):
    """A crawl that cannot start; the message is meant for the user."""


def base_settings(db_url: str, mode: str = "crawl", overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(archiver_settings, priority="project")
    settings.set("ARCHIVER_DB_URL", db_url, priority="cmdline")
    settings.set("ARCHIVER_MODE", mode, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def spider_names() -> list[str]:
    return sorted(SpiderLoader.from_settings(base_settings("sqlite://")).list())


def check_spiders(names: list[str]) -> None:
    known = spider_names()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RunError(f"unknown spider {', '.join(unknown)} (known: {', '.join(known)})")


def check_reachable(base_url: str, timeout: float = 10.0) -> None:
    """Fail early, in one line, when --base-url is not an http(s) URL or nothing answers there."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RunError(f"--base-url must be an http(s) URL, got {base_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise RunError(f"cannot reach {base_url}: {exc.strerror or exc}") from None


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
        return self.get("log_count/ERROR") + sum(
            int(v) for k, v in self.stats.items() if k.startswith("archiver/http_errors/")
        )

    def line(self) -> str:
        duration = self.stats.get("elapsed_time_seconds") or 0
        return (
            f"{self.spider}: {self.status} in {duration:.1f}s: "
            f"{self.get('downloader/request_count')} requests, {self.get('response_received_count')} pages fetched; "
            f"articles {self.get('archiver/articles/new')} new, {self.get('archiver/articles/updated')} updated, "
            f"{self.get('archiver/articles/folded') + self.get('archiver/article_urls/folded_by_teaser')} reposts folded; "
            f"listing entries {self.get('archiver/listing_entries/new')} new, "
            f"{self.get('archiver/listing_entries/seen_again')} seen again; "
            f"{self.get('archiver/dates/unparsed') + self.get('archiver/dates/implausible')} dates left empty; "
            f"{self.errors} errors"
        )


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
    process = CrawlerProcess(base_settings(db_url, mode, settings))
    crawlers = []
    for name, arguments in spiders.items():
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **arguments)
    process.start()
    return [RunSummary(c.spidercls.name, dict(c.stats.get_stats())) for c in crawlers]


def exit_status(summaries: list[RunSummary]) -> int:
    """0 when every run ended ok, 1 when one finished with errors or was interrupted."""
    return 0 if all(s.status == "ok" for s in summaries) else 1
