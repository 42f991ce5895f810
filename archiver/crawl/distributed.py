"""A distributed crawl: many workers share one frontier in Redis (scrapy-redis) and write one archive.

Scrapy-redis provides the shared scheduler queue and duplicate filter. This module adds what a
crawl of the archive needs on top of it, in Scrapy's own extension points:

- Keys per crawl: everything of crawl ID lives under `archiver:ID:` (ID defaults to the spider's
  name): `requests` (the queue), `dupefilter`, `params` (spider, spider arguments and mode, written
  by the seeding command so that workers crawl with the same arguments), `inflight:WORKER` and
  `worker:WORKER` (a heartbeat with a time to live).
- Nothing is lost when a worker dies: popping a request moves it, atomically, from the queue into
  the worker's `inflight` hash; it leaves that hash only once every item it produced is committed
  to the database (or the worker stops cleanly). The hash of a worker whose heartbeat has expired
  (killed, machine lost) is put back into the queue by the other workers.
- Workers stop when the crawl is done, not when their own queue runs dry: a worker exits once the
  queue is empty and no live worker has a request in flight (they could still add requests), for
  ARCHIVER_IDLE_BEFORE_CLOSE seconds in a row.
- The seeding command (`archiver crawl|backfill --redis-url`) starts a fresh crawl when the
  previous one under the same ID is over (empty queue, nothing in flight): it clears the duplicate
  filter and stores the parameters; while a crawl is still under way it joins it instead.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from archiver import settings as archiver_settings
from archiver.crawl.scrapy_private import wake_engine
from archiver.exceptions import CrawlConflict
from archiver.middlewares.snapshots import SnapshotRecorder
from pipelines.store import StorePipeline

logger = logging.getLogger(__name__)

KEY_PREFIX = "archiver"
INFLIGHT_META = "archiver_inflight"
#: Sent by the InflightTracker when every item of a response has passed the pipelines.
request_processed = object()

# Pop the best request and remember it in the worker's in-flight hash, in one step.
POP_SCRIPT = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local field = redis.sha1hex(found[1])
redis.call('HSET', KEYS[2], field, found[2] .. '|' .. found[1])
return {found[1], field}
"""

# Put a worker's in-flight requests back into the queue: a dead worker's (its heartbeat KEYS[2] is
# gone) or, with ARGV[1] = 'own', the caller's own on an unclean stop.
REQUEUE_SCRIPT = """
if ARGV[1] ~= 'own' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[1])
for i = 2, #entries, 2 do
  local value = entries[i]
  local sep = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[3], string.sub(value, 1, sep - 1), string.sub(value, sep + 1))
end
redis.call('DEL', KEYS[1])
return #entries / 2
"""


@dataclass(frozen=True)
class CrawlKeys:
    """The Redis keys of one distributed crawl."""

    crawl_id: str

    @property
    def prefix(self) -> str:
        return f"{KEY_PREFIX}:{self.crawl_id}"

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def params(self) -> str:
        return f"{self.prefix}:params"

    def inflight(self, worker: str) -> str:
        return f"{self.prefix}:inflight:{worker}"

    def heartbeat(self, worker: str) -> str:
        return f"{self.prefix}:worker:{worker}"

    @property
    def inflight_pattern(self) -> str:
        return f"{self.prefix}:inflight:*"

    def worker_of(self, inflight_key: str) -> str:
        return inflight_key.removeprefix(f"{self.prefix}:inflight:")


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def distributed_settings(
    redis_url: str, crawl_id: str, *, seed: bool, seed_only: bool = False, mode: str | None = None
) -> dict[str, Any]:
    """Scrapy settings that make a crawl one worker of the distributed crawl `crawl_id`.

    `seed`: the spider's start requests go into the shared queue (the seeding command); workers
    started with `archiver worker` leave them out. `seed_only`: enqueue them and stop at once.
    """
    keys = CrawlKeys(crawl_id)
    pipelines = {
        ("archiver.crawl.distributed.AckingStorePipeline" if path == "pipelines.store.StorePipeline" else path): order
        for path, order in archiver_settings.ITEM_PIPELINES.items()
    }
    settings: dict[str, Any] = {
        "SCHEDULER": "archiver.crawl.distributed.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "archiver.crawl.distributed.ReliableQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue outlives any one worker: stop and resume at will
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "REDIS_URL": redis_url,
        "ARCHIVER_REDIS_CRAWL_ID": crawl_id,
        "ARCHIVER_WORKER_ID": new_worker_id(),
        "ARCHIVER_SEED": seed,
        "ARCHIVER_SEED_ONLY": seed_only,
        "ITEM_PIPELINES": pipelines,
        "SPIDER_MIDDLEWARES": {
            **getattr(archiver_settings, "SPIDER_MIDDLEWARES", {}),
            "archiver.crawl.distributed.InflightTracker": 1,
        },
        "EXTENSIONS": {**archiver_settings.EXTENSIONS, "archiver.crawl.distributed.WorkerLifecycle": 200},
    }
    if seed_only:  # a seeding run crawls nothing: no crawl_runs row for it
        settings["EXTENSIONS"]["archiver.extensions.crawlrun.CrawlRunRecorder"] = None
    if mode:
        settings["ARCHIVER_MODE"] = mode
    return settings


# Crawl parameters: written by the seeding command, read by workers -------------------------------
def crawl_pending(server, keys: CrawlKeys) -> bool:
    """True while the crawl has requests queued or in flight."""
    if server.zcard(keys.requests):
        return True
    return any(server.hlen(key) for key in server.scan_iter(match=keys.inflight_pattern))


def stored_params(server, keys: CrawlKeys) -> dict | None:
    raw = server.get(keys.params)
    return json.loads(raw) if raw else None


def prepare_seed(server, keys: CrawlKeys, spider: str, spider_args: dict, mode: str) -> str:
    """Start a fresh crawl under `keys` (returns "new"), or join the one under way ("joined")."""
    params = {"spider": spider, "spider_args": spider_args, "mode": mode}
    if crawl_pending(server, keys):
        current = stored_params(server, keys)
        if current is not None and current != params:
            raise CrawlConflict(
                f"crawl {keys.crawl_id!r} is still under way with other arguments ({json.dumps(current)}); "
                f"let it finish, or use another --crawl-id"
            )
        server.set(keys.params, json.dumps(params))
        return "joined"
    pipe = server.pipeline()
    pipe.delete(keys.dupefilter, keys.requests)
    pipe.set(keys.params, json.dumps(params))
    pipe.execute()
    return "new"


def clear_crawl(server, keys: CrawlKeys) -> int:
    """Delete every key of the crawl (queue, duplicate filter, parameters, in-flight, heartbeats)."""
    found = list(server.scan_iter(match=f"{keys.prefix}:*"))
    return server.delete(*found) if found else 0


# Scrapy components ------------------------------------------------------------------------------
class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler; a seeding-only run enqueues its start requests and hands out none."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = cls.from_settings(crawler.settings)
        scheduler.seed_only = crawler.settings.getbool("ARCHIVER_SEED_ONLY")
        scheduler.crawler_stats = crawler.stats  # counted here: scrapy-redis passes a deprecated argument
        return scheduler

    def open(self, spider):
        with warnings.catch_warnings():  # scrapy-redis logs "Resuming crawl" through a deprecated API
            warnings.simplefilter("ignore", ScrapyDeprecationWarning)
            super().open(spider)

    def enqueue_request(self, request) -> bool:
        queued = super().enqueue_request(request)
        if queued:
            self.crawler_stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self):
        if self.seed_only:
            return None
        request = super().next_request()
        if request is not None:
            self.crawler_stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return False if self.seed_only else super().has_pending_requests()

    def close(self, reason):
        if self.seed_only:
            return
        if reason == "finished":
            # Idle: every request popped was processed and its items committed (or it failed).
            self.server.delete(self.queue.inflight_key)
        else:
            requeued = self.queue.requeue_own()
            if requeued:
                logger.info("Put %d unfinished requests back into the shared queue", requeued)


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps the request in the worker's in-flight hash."""

    def __init__(self, server, spider, key, serializer=None) -> None:
        super().__init__(server, spider, key, serializer)
        settings = spider.settings
        self.keys = CrawlKeys(settings.get("ARCHIVER_REDIS_CRAWL_ID"))
        self.worker = settings.get("ARCHIVER_WORKER_ID")
        self.inflight_key = self.keys.inflight(self.worker)
        self._pop = server.register_script(POP_SCRIPT)
        self._requeue = server.register_script(REQUEUE_SCRIPT)

    def pop(self, timeout=0):
        found = self._pop(keys=[self.key, self.inflight_key])
        if not found:
            return None
        data, field = found
        request = self._decode_request(data)
        request.meta[INFLIGHT_META] = field.decode() if isinstance(field, bytes) else field
        return request

    def requeue_own(self) -> int:
        return int(self._requeue(keys=[self.inflight_key, self.keys.heartbeat(self.worker), self.key], args=["own"]))


def requeue_dead_workers(server, keys: CrawlKeys, queue_key: str, exclude: str | None = None) -> int:
    """Put the in-flight requests of workers whose heartbeat expired back into the queue."""
    script = server.register_script(REQUEUE_SCRIPT)
    total = 0
    for raw in list(server.scan_iter(match=keys.inflight_pattern)):
        inflight = raw.decode() if isinstance(raw, bytes) else raw
        worker = keys.worker_of(inflight)
        if worker == exclude:
            continue
        moved = int(script(keys=[inflight, keys.heartbeat(worker), queue_key], args=["dead"]))
        if moved > 0:
            logger.warning("Worker %s stopped answering: put its %d requests back into the queue", worker, moved)
            total += moved
    return total


class InflightTracker:
    """Spider middleware: tells when a popped request is done (its callback ran and all its items passed
    the pipelines); leaves the spider's start requests out unless this run seeds the crawl."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.seed = crawler.settings.getbool("ARCHIVER_SEED")
        self.pending: dict[str, list[int]] = {}  # field → [items yielded, items through, output ended]
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_done, signal=signal)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_start(self, start):
        async for item_or_request in start:
            if self.seed:
                yield item_or_request

    def process_spider_output(self, response, result, spider=None):
        field = response.meta.get(INFLIGHT_META) if response is not None else None
        counts = self._open(field)
        for output in result:
            if counts is not None and not isinstance(output, Request):
                counts[0] += 1
            yield output
        self._ended(field, counts)

    async def process_spider_output_async(self, response, result, spider=None):
        field = response.meta.get(INFLIGHT_META) if response is not None else None
        counts = self._open(field)
        async for output in result:
            if counts is not None and not isinstance(output, Request):
                counts[0] += 1
            yield output
        self._ended(field, counts)

    def _open(self, field: str | None) -> list[int] | None:
        if field is None:
            return None
        return self.pending.setdefault(field, [0, 0, 0])

    def _ended(self, field: str | None, counts: list[int] | None) -> None:
        if counts is not None and field is not None:  # counts come with a field (see _open)
            counts[2] = 1
            self._maybe_done(field)

    def item_done(self, item=None, response=None, **_) -> None:
        field = response.meta.get(INFLIGHT_META) if response is not None else None
        if field is not None and field in self.pending:
            self.pending[field][1] += 1
            self._maybe_done(field)

    def _maybe_done(self, field: str) -> None:
        yielded, through, ended = self.pending[field]
        if ended and through >= yielded:
            del self.pending[field]
            self.crawler.signals.send_catch_log(request_processed, field=field)


class AckingStorePipeline(StorePipeline):
    """The store pipeline of a worker: after each committed batch (and the page snapshots recorded
    so far), the requests whose items it held leave the worker's in-flight hash; when the worker
    idles it writes what it holds at once."""

    redis: Any
    inflight_key: str
    processed: list[str]
    crawler: Any

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = super().from_crawler(crawler)
        settings = crawler.settings
        pipeline.redis = redis_client(settings.get("REDIS_URL"))
        pipeline.inflight_key = CrawlKeys(settings.get("ARCHIVER_REDIS_CRAWL_ID")).inflight(
            settings.get("ARCHIVER_WORKER_ID")
        )
        pipeline.processed = []
        pipeline.crawler = crawler
        crawler.signals.connect(pipeline.request_processed, signal=request_processed)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    def request_processed(self, field: str) -> None:
        self.processed.append(field)

    def flush(self) -> None:
        done, self.processed = self.processed, []
        for recorder in self.snapshot_recorders():  # their pages first: a request acked keeps its snapshot
            recorder.flush()
        super().flush()
        if done:
            self.redis.hdel(self.inflight_key, *done)

    def snapshot_recorders(self) -> list:
        downloader = getattr(self.crawler.engine, "downloader", None)
        middlewares = getattr(getattr(downloader, "middleware", None), "middlewares", ())
        return [m for m in middlewares if isinstance(m, SnapshotRecorder)]

    def spider_idle(self, spider=None) -> None:
        # Idle: nothing is being downloaded or parsed, so everything popped is processed.
        self.flush()
        self.redis.delete(self.inflight_key)

    def close_spider(self, spider=None) -> None:
        super().close_spider(spider)
        self.redis.close()


class WorkerLifecycle:
    """Extension: the worker's heartbeat, requeueing dead workers' requests, and closing the spider
    only when the whole crawl is idle (queue empty, nothing in flight anywhere) for a while."""

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.seed_only = settings.getbool("ARCHIVER_SEED_ONLY")
        self.keys = CrawlKeys(settings.get("ARCHIVER_REDIS_CRAWL_ID"))
        self.worker = settings.get("ARCHIVER_WORKER_ID")
        self.queue_key = settings.get("SCHEDULER_QUEUE_KEY")
        self.ttl = settings.getfloat("ARCHIVER_WORKER_TTL", 60.0)
        self.interval = settings.getfloat("ARCHIVER_WORKER_CHECK_INTERVAL", 1.0)
        self.idle_before_close = settings.getfloat("ARCHIVER_IDLE_BEFORE_CLOSE", 5.0)
        self.idle_since: float | None = None
        self.redis = redis_client(settings.get("REDIS_URL"))
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider=None) -> None:
        if self.seed_only:
            return
        self.beat()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)
        self.crawler.stats.set_value("archiver/worker_id", self.worker)

    def beat(self) -> None:
        self.redis.set(self.keys.heartbeat(self.worker), b"1", px=int(self.ttl * 1000))

    def tick(self) -> None:
        try:
            self.beat()
            requeued = requeue_dead_workers(self.redis, self.keys, self.queue_key, exclude=self.worker)
            if requeued:
                self.crawler.stats.inc_value("archiver/requeued_from_dead_workers", requeued)
        except Exception as exc:  # Redis briefly unreachable: try again at the next tick (one line, no traceback)
            logger.warning("Redis heartbeat failed: %s", exc, extra={"spider": self.crawler.spider})
            return
        # Let the engine look at the queue (and call spider_idle) now rather than at its 5 s heartbeat.
        wake_engine(self.crawler.engine)

    def crawl_idle(self) -> bool:
        if self.redis.zcard(self.queue_key):
            return False
        mine = self.keys.inflight(self.worker)
        for raw in self.redis.scan_iter(match=self.keys.inflight_pattern):
            key = raw.decode() if isinstance(raw, bytes) else raw
            if key != mine and self.redis.hlen(key):
                return False
        return True

    def spider_idle(self, spider=None) -> None:
        if self.seed_only:
            return
        if not self.crawl_idle():
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_before_close:
            raise DontCloseSpider

    def spider_closed(self, spider=None, reason: str = "") -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not self.seed_only:
            self.redis.delete(self.keys.heartbeat(self.worker))
        self.redis.close()
