"""archiver/crawl/scrapy_private.py against the Scrapy installed: the private attributes it relies
on are still there and still do what it expects (the first test to fail on a Scrapy upgrade)."""

from __future__ import annotations

import subprocess
import sys

from scrapy import Spider
from scrapy.utils.test import get_crawler

from archiver.crawl.scrapy_private import PipelineMethodHook, wake_engine
from tests.support.cli import PROJECT


class Upper:
    """A pipeline with the two methods the hook wraps, and one it leaves alone."""

    def open_spider(self, spider=None) -> None:
        pass

    def process_item(self, item, spider=None):
        return {key: value.upper() for key, value in item.items()}

    def close_spider(self, spider=None) -> None:
        pass


class Recording(PipelineMethodHook):
    def __init__(self, *args, **kwargs) -> None:
        self.wrapped: list[str] = []
        super().__init__(*args, **kwargs)

    def wrap_method(self, pipeline, name, method):
        self.wrapped.append(name)

        def wrapper(*args):
            return {"wrapped": "yes", **method(*args)}

        return wrapper


def test_pipeline_hook_wraps_process_item_and_close_spider_in_place() -> None:
    crawler = get_crawler(Spider, {"ITEM_PIPELINES": {f"{__name__}.Upper": 100}})
    manager = Recording.from_crawler(crawler)
    assert manager.wrapped == ["process_item", "close_spider"]
    [process_item] = manager.methods["process_item"]
    assert process_item({"title": "juche"}) == {"wrapped": "yes", "title": "JUCHE"}
    assert len(manager.methods["close_spider"]) == 1
    assert manager.methods["close_spider"][0] is not Upper.close_spider
    assert len(manager.methods["open_spider"]) == 1  # not wrapped, still registered


def test_wake_engine_needs_an_open_spider() -> None:
    class NoEngine:
        pass

    assert wake_engine(None) is False
    assert wake_engine(NoEngine()) is False


WAKE_SCRIPT = """
from scrapy import Spider, signals
from scrapy.crawler import CrawlerProcess
from archiver.crawl.scrapy_private import wake_engine

class Idle(Spider):
    name = "idle"
    start_urls = []

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    def idle(self):
        self.crawler.stats.set_value("woke", wake_engine(self.crawler.engine))

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False})
crawler = process.create_crawler(Idle)
process.crawl(crawler)
process.start()
print("woke:", crawler.stats.get_value("woke"))
"""


def test_wake_engine_schedules_the_running_engine() -> None:
    done = subprocess.run([sys.executable, "-c", WAKE_SCRIPT], capture_output=True, text=True, timeout=60, cwd=PROJECT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "woke: True"
