"""The log formatter: no per-item record below DEBUG, Scrapy's own at DEBUG."""

from __future__ import annotations

import logging

from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from archiver.extensions.logformatter import QuietLogFormatter
from archiver.items import ListingEntryItem


def scraped(level) -> dict | None:
    crawler = get_crawler(settings_dict={"LOG_LEVEL": level})
    formatter = QuietLogFormatter.from_crawler(crawler)
    item = ListingEntryItem(site="kcnawatch", article_url="https://kcnawatch.org/a/", found_on="x", kind="listing")
    return formatter.scraped(item, HtmlResponse("https://kcnawatch.org/", body=b""), None)


def test_no_scraped_record_unless_debug():
    assert scraped("INFO") is None
    assert scraped("WARNING") is None
    assert scraped(logging.ERROR) is None
    record = scraped("DEBUG")
    assert record is not None and record["level"] == logging.DEBUG and "Scraped from" in record["msg"]


def test_the_project_uses_it():
    from archiver import settings

    assert settings.LOG_FORMATTER == "archiver.extensions.logformatter.QuietLogFormatter"
    assert settings.WARN_ON_GENERATOR_RETURN_VALUE is False
