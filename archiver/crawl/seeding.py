"""Seeding and joining a distributed crawl (see archiver/crawl/distributed.py), below the command line.

`archiver crawl|backfill --redis-url URL` seeds a crawl (or joins the one under way) through
`seed()`; `archiver worker` finds what the crawl was seeded with through `worker_job()`. Problems
the user can fix are raised as UsageError, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archiver.exceptions import UsageError
from archiver.normalize.urls import masked_url

REDIS_ENV = "ARCHIVER_REDIS_URL"


def connect(url: str) -> Any:
    """A Redis client that answers, or UsageError with a one-line reason."""
    try:
        import redis

        from archiver.crawl.distributed import redis_client
    except ImportError:
        raise UsageError("--redis-url needs the scale extra: pip install 'newsarchiver[scale]'") from None
    try:
        server = redis_client(url)
        server.ping()
    except ValueError as exc:
        raise UsageError(f"not a Redis URL: {masked_url(url)!r} ({masked_url(exc)})") from None
    except redis.RedisError as exc:
        raise UsageError(f"cannot reach Redis at {masked_url(url)}: {masked_url(exc)}") from None
    return server


def as_text_arguments(spider_args: dict) -> dict[str, str]:
    """Spider arguments as workers will receive them (the way `scrapy crawl -a` passes them: text)."""
    return {
        name: value if isinstance(value, str) else str(value)
        for name, value in spider_args.items()
        if value is not None
    }


@dataclass
class DistributedRun:
    """What `archiver crawl|backfill --redis-url` adds to a run: settings, and a line to print."""

    settings: dict
    seed_only: bool
    crawl_id: str
    redis_url: str
    state: str  # new | joined

    def seed_line(self) -> str:
        from archiver.crawl.distributed import CrawlKeys

        server = connect(self.redis_url)
        queued = server.zcard(CrawlKeys(self.crawl_id).requests)
        server.close()
        verb = "seeded new" if self.state == "new" else "joined running"
        return f"{verb} distributed crawl {self.crawl_id!r}: {queued} requests queued; start workers with `archiver worker`"

    @staticmethod
    def seed_status(summaries) -> int:
        """0 when the start requests were all read (a seeding run records no crawl_runs row)."""
        return 0 if all(s.stats.get("finish_reason") == "finished" for s in summaries) else 1


def seed(
    redis_url: str, names: list[str], spider_args: dict, mode: str, *, crawl_id: str | None, seed_only: bool
) -> DistributedRun:
    """Seed (or join) the shared crawl of the one spider in `names`."""
    if len(names) != 1:
        raise UsageError("a distributed crawl has one spider: name exactly one with --redis-url")
    crawl_id = crawl_id or names[0]
    server = connect(redis_url)  # first: it names the missing extra in one line
    from archiver.crawl.distributed import CrawlKeys, distributed_settings, prepare_seed

    try:  # CrawlConflict (a UsageError) when another crawl is under way under this ID
        state = prepare_seed(server, CrawlKeys(crawl_id), names[0], as_text_arguments(spider_args), mode)
    finally:
        server.close()
    settings = distributed_settings(redis_url, crawl_id, seed=True, seed_only=seed_only, mode=mode)
    return DistributedRun(settings, seed_only, crawl_id, redis_url, state)


@dataclass
class WorkerJob:
    """What a worker crawls with: the seeded spider arguments and mode, and its settings."""

    spider_args: dict
    mode: str
    settings: dict
    params_found: bool  # False: nothing stored for the crawl ID, the queue is worked as found


def worker_job(redis_url: str, crawl_id: str, spider: str, base_url: str | None) -> WorkerJob:
    """The job of a worker of crawl `crawl_id`, checked against what the crawl was seeded with."""
    server = connect(redis_url)  # first: it names the missing extra in one line
    from archiver.crawl.distributed import CrawlKeys, distributed_settings, stored_params

    try:
        params = stored_params(server, CrawlKeys(crawl_id))
    finally:
        server.close()
    spider_args: dict = {}
    mode = "crawl"
    if params is not None:
        if params["spider"] != spider:
            raise UsageError(f"crawl {crawl_id!r} was seeded for spider {params['spider']!r}, not {spider!r}")
        spider_args = dict(params["spider_args"])
        mode = params["mode"]  # a backfill's workers walk like a backfill (see archiver/archive/incremental.py)
    stored_base = spider_args.get("base_url")
    if base_url:
        if stored_base and stored_base.rstrip("/") != base_url:
            raise UsageError(
                f"crawl {crawl_id!r} was seeded with --base-url {stored_base}; "
                f"its queued requests point there, not at {base_url}"
            )
        spider_args["base_url"] = base_url
    settings = distributed_settings(redis_url, crawl_id, seed=False, mode=mode)
    return WorkerJob(spider_args, mode, settings, params is not None)
