"""Scrapy's log formatter without the per-item "Scraped from" record when it would not be shown.

Scrapy builds a DEBUG log record for every scraped item and leaves it to the handler to drop it
below LOG_LEVEL. A listing page gives 20 to 40 items, so at the usual INFO or WARNING level
that is thousands of records a minute for nothing. At LOG_LEVEL=DEBUG the line is logged as before.
"""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class QuietLogFormatter(LogFormatter):
    def __init__(self, log_level: int = logging.DEBUG) -> None:
        super().__init__()
        self.log_scraped = log_level <= logging.DEBUG

    @classmethod
    def from_crawler(cls, crawler):
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        return cls(level if isinstance(level, int) else logging.getLevelName(str(level).upper()))

    def scraped(self, item, response, spider):
        return super().scraped(item, response, spider) if self.log_scraped else None
