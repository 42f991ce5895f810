"""A distributed crawl: workers sharing one frontier in Redis and one PostgreSQL archive.

The end-to-end tests serve a generated KCNA Watch mirror on loopback, crawl it once into SQLite
the ordinary way, then with three `archiver worker` processes into PostgreSQL, and compare the
archives by natural keys. Each test uses its own database and crawl ID (tests/support/services.py) and
skips where Redis or PostgreSQL is absent.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

import pytest

from archiver.crawl.distributed import (
    CrawlConflict,
    CrawlKeys,
    ReliableQueue,
    prepare_seed,
    redis_client,
    requeue_dead_workers,
    stored_params,
)
from archiver.mirror.kcnawatch import KcnaWatchMirror, SampleArticle
from archiver.mirror.server import MirrorServer
from tests.support.archive import query
from tests.support.cli import FAST, run_archiver, start_archiver
from tests.support.services import archive_rows, sightings

SOURCES = [("kcna-en", "KCNA (EN)"), ("kass-en", "KASS (EN)"), ("naenara-en", "Naenara (En)")]
WORDS = [
    "the",
    "meeting",
    "delegation",
    "report",
    "plenary",
    "session",
    "workers",
    "party",
    "committee",
    "province",
    "farm",
    "harvest",
    "factory",
    "production",
    "grain",
    "vinalon",
    "steel",
    "coal",
    "railway",
    "hydroelectric",
    "station",
    "youth",
    "league",
    "science",
    "technology",
    "education",
    "hospital",
    "football",
    "festival",
    "exhibition",
    "anniversary",
    "friendship",
    "embassy",
]


def synthetic_articles(count: int, seed: int = 7) -> list[SampleArticle]:
    """`count` stories over three sources, hourly; every ninth a repost of an earlier one under a new address."""
    rng = random.Random(seed)
    articles: list[SampleArticle] = []
    for i in range(count):
        slug, name = SOURCES[i % len(SOURCES)]
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))).capitalize() + "."
            for _ in range(rng.randint(2, 5))
        ]
        articles.append(
            SampleArticle(
                epoch=1_700_000_000 + i * 3600,
                post_id=800_000_000 + i,
                slug=f"story-{i}",
                source_slug=slug,
                source_name=name,
                paragraphs=paragraphs,
                title=f"Story {i}: {paragraphs[0][:40]}",
                signature="KCNA",
                show_date=i % 7 != 0,
            )
        )
        if i % 9 == 8:
            original = articles[-6]
            articles.append(
                SampleArticle(
                    epoch=original.epoch + 86_400 * 2,
                    post_id=810_000_000 + i,
                    slug=f"{original.slug}-2",
                    source_slug=original.source_slug,
                    source_name=original.source_name,
                    paragraphs=list(original.paragraphs),
                    title=original.title,
                    signature="KCNA",
                )
            )
    return articles


def synthetic_site(count: int) -> dict:
    return KcnaWatchMirror(synthetic_articles(count)).build()


def slow(site: dict, delay: float):
    """The site, answering each article page only after `delay` seconds (workers keep requests in flight)."""

    def answer(target: str):
        if "/newstream/" in target and "/source/" not in target and "/page/" not in target:
            time.sleep(delay)
        return site.get(target)

    return answer


def archiver_process(*args: str, log: str | None = None) -> subprocess.Popen:
    extra = ["--log-file", log] if log else []
    return start_archiver(*args, *extra)


def worker_args(pg: str, redis: str, crawl: str, *settings: str) -> list[str]:
    return [
        "worker",
        "kcnawatch",
        "--db",
        pg,
        "--redis-url",
        redis,
        "--crawl-id",
        crawl,
        *FAST,
        "-s",
        "ARCHIVER_IDLE_BEFORE_CLOSE=1",
        *settings,
    ]


def seed(base_url: str, pg: str, redis: str, crawl: str):
    result = run_archiver(
        "crawl",
        "kcnawatch",
        "--base-url",
        base_url,
        "--db",
        pg,
        "--redis-url",
        redis,
        "--crawl-id",
        crawl,
        "--seed-only",
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"seeded new distributed crawl {crawl!r}: 1 requests queued; start workers with `archiver worker`"
    )
    return result


# Redis primitives -------------------------------------------------------------------------------
class _Spider:
    name = "kcnawatch"

    def __init__(self, crawl: str, worker: str) -> None:
        from scrapy.settings import Settings

        self.settings = Settings({"ARCHIVER_REDIS_CRAWL_ID": crawl, "ARCHIVER_WORKER_ID": worker})


def test_seeding_starts_fresh_joins_a_running_crawl_and_refuses_other_arguments(redis_url, crawl_id):
    server = redis_client(redis_url)
    keys = CrawlKeys(crawl_id)
    server.sadd(keys.dupefilter, "fingerprint-of-an-old-crawl")
    assert prepare_seed(server, keys, "kcnawatch", {"base_url": "http://a"}, "crawl") == "new"
    assert not server.exists(keys.dupefilter)  # the previous crawl was over: its filter is gone
    assert stored_params(server, keys) == {
        "spider": "kcnawatch",
        "spider_args": {"base_url": "http://a"},
        "mode": "crawl",
    }
    server.zadd(keys.requests, {b"a-request": 0})
    assert prepare_seed(server, keys, "kcnawatch", {"base_url": "http://a"}, "crawl") == "joined"
    assert server.zcard(keys.requests) == 1
    with pytest.raises(CrawlConflict):
        prepare_seed(server, keys, "kcnawatch", {"base_url": "http://a", "since": "2020-01-01"}, "backfill")
    server.close()


def test_popped_requests_stay_in_flight_until_their_worker_is_found_dead(redis_url, crawl_id):
    from scrapy import Request

    server = redis_client(redis_url)
    keys = CrawlKeys(crawl_id)
    alive = ReliableQueue(server, _Spider(crawl_id, "w-alive"), keys.requests)
    dead = ReliableQueue(server, _Spider(crawl_id, "w-dead"), keys.requests)
    for n in range(3):
        alive.push(Request(f"http://example.com/{n}", priority=n))
    server.set(keys.heartbeat("w-alive"), b"1", px=60_000)
    got_alive = alive.pop()
    got_dead = dead.pop()
    assert got_alive.url == "http://example.com/2"  # the highest priority first
    assert got_dead.url == "http://example.com/1"
    assert len(alive) == 1
    assert server.hlen(keys.inflight("w-alive")) == server.hlen(keys.inflight("w-dead")) == 1
    # Only the worker without a heartbeat gives its request back.
    assert requeue_dead_workers(server, keys, keys.requests) == 1
    assert server.hlen(keys.inflight("w-alive")) == 1
    assert not server.exists(keys.inflight("w-dead"))
    assert sorted(r.url for r in [alive.pop(), alive.pop()]) == ["http://example.com/0", "http://example.com/1"]
    assert alive.pop() is None
    server.close()


def test_worker_without_redis_is_a_usage_error():
    result = run_archiver("worker", "kcnawatch", env={"ARCHIVER_REDIS_URL": ""})
    assert result.returncode == 2
    assert result.stderr.strip() == "archiver: error: a worker needs --redis-url URL (or $ARCHIVER_REDIS_URL)"
    result = run_archiver("worker", "kcnawatch", "--redis-url", "redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert result.stderr.startswith("archiver: error: cannot reach Redis at redis://127.0.0.1:1/0")
    assert len(result.stderr.strip().splitlines()) == 1


# End to end ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site() -> dict:
    return synthetic_site(45)


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory) -> dict:
    """One ordinary crawl of the mirror into SQLite."""
    db = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite'}"
    with MirrorServer(site) as server:
        result = run_archiver("crawl", "kcnawatch", "--base-url", server.base_url, "--db", db, *FAST)
        assert result.returncode == 0, result.stderr
        base = server.base_url
    return {"rows": archive_rows(db), "sightings": sightings(db), "base": base, "db": db}


def crawled_pages(site: dict) -> set[str]:
    """The pages a crawl of the mirror asks for: all but robots.txt (asked by each worker), the
    "load more" fragment `from=0` (the source listing page shows the same entries) and a fragment
    after a short one (a short fragment ends the listing)."""
    entries = {target: page.body.count(b'class="article-desc"') for target, page in site.items()}

    def wanted(target: str) -> bool:
        if target == "/robots.txt":
            return False
        if "admin-ajax" not in target:
            return True
        start = int(target.split("from=")[1].split("&")[0])
        previous = target.replace(f"from={start}&", f"from={start - 10}&")
        return start > 0 and (start == 10 or entries.get(previous, 0) >= 10)

    return {target for target in site if wanted(target)}


def rebased(rows: dict, old: str, new: str) -> dict:
    """The rows with the mirror's address swapped (each test serves the mirror on its own port)."""
    return json.loads(json.dumps(rows, default=str).replace(old, new))


@pytest.mark.slow
def test_three_workers_end_with_the_same_rows_as_one_sqlite_crawl(site, reference, pg_url, redis_url, crawl_id):
    with MirrorServer(site) as server:
        seed(server.base_url, pg_url, redis_url, crawl_id)
        workers = [archiver_process(*worker_args(pg_url, redis_url, crawl_id)) for _ in range(3)]
        outputs = [w.communicate(timeout=240) for w in workers]
        hits = dict(server.hits)
        base = server.base_url
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert out.startswith("kcnawatch: ok in "), out
    # Every page fetched exactly once over the three workers. robots.txt: at most once per worker (a
    # worker that finds the shared queue already drained ends without requesting anything).
    assert 1 <= hits.get("/robots.txt", 0) <= 3
    assert {target: n for target, n in hits.items() if n != 1 and target != "/robots.txt"} == {}
    assert set(hits) - {"/robots.txt"} == crawled_pages(site)
    rows = archive_rows(pg_url)
    assert rebased(rows, base, "@") == rebased(reference["rows"], reference["base"], "@")
    assert {url.replace(base, "@"): n for (_, url), n in sightings(pg_url).items()} == {
        url.replace(reference["base"], "@"): n for (_, url), n in reference["sightings"].items()
    }
    runs = query(pg_url, "SELECT mode, status FROM crawl_runs ORDER BY id")
    assert runs == [("crawl", "ok")] * 3
    server_keys = redis_client(redis_url)
    keys = CrawlKeys(crawl_id)
    assert server_keys.zcard(keys.requests) == 0
    assert list(server_keys.scan_iter(match=keys.inflight_pattern)) == []
    server_keys.close()


@pytest.mark.slow
def test_killing_a_worker_mid_crawl_loses_nothing(site, reference, pg_url, redis_url, crawl_id, tmp_path):
    keys = CrawlKeys(crawl_id)
    client = redis_client(redis_url)
    with MirrorServer(slow(site, 0.15)) as server:
        seed(server.base_url, pg_url, redis_url, crawl_id)
        # Small batches (some are committed before the kill); a dead worker noticed after 4 s.
        settings = ("-s", "ARCHIVER_STORE_BATCH=10", "-s", "ARCHIVER_WORKER_TTL=4")
        victim, *survivors = [
            archiver_process(*worker_args(pg_url, redis_url, crawl_id, *settings), log=str(tmp_path / f"w{n}.log"))
            for n in range(3)
        ]
        # Kill it once it has committed some batches and holds requests in flight.
        deadline = time.monotonic() + 120
        inflight = [k for k in client.scan_iter(match=keys.inflight_pattern) if f"-{victim.pid}-".encode() in k]
        while time.monotonic() < deadline and not (
            server.total_hits > 15 and inflight and client.hlen(inflight[0]) >= 2
        ):
            time.sleep(0.05)
            inflight = [k for k in client.scan_iter(match=keys.inflight_pattern) if f"-{victim.pid}-".encode() in k]
        assert victim.poll() is None, victim.communicate()[1]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        lost_in_flight = client.hlen(inflight[0])  # taken, not committed: the others must fetch them again
        outputs = [w.communicate(timeout=240) for w in survivors]
        base = server.base_url
    for worker, (out, err) in zip(survivors, outputs):
        assert worker.returncode == 0, err
    assert lost_in_flight >= 1
    rows = archive_rows(pg_url)
    assert rebased(rows, base, "@") == rebased(reference["rows"], reference["base"], "@")
    runs = query(pg_url, "SELECT status, stats FROM crawl_runs ORDER BY id")
    # Every page of the site is among the stored snapshots, the killed worker's last ones included.
    stored_pages = {url.replace(base, "") for (url,) in query(pg_url, "SELECT DISTINCT url FROM pages")}
    assert stored_pages >= crawled_pages(site)
    # The killed worker never finished its run.
    assert sorted(status for status, _ in runs) == ["ok", "ok", "running"]
    requeued = sum(
        (json.loads(stats) if isinstance(stats, str) else stats).get("archiver/requeued_from_dead_workers", 0)
        for status, stats in runs
        if status == "ok"
    )
    assert requeued >= lost_in_flight
    assert client.zcard(keys.requests) == 0
    assert list(client.scan_iter(match=keys.inflight_pattern)) == []
    client.close()


if os.environ.get("ARCHIVER_BENCH_DISTRIBUTED"):  # pragma: no cover - a measurement, not a test

    @pytest.mark.slow
    @pytest.mark.parametrize("workers", [1, 2, 3])
    def test_measure_pages_per_second(workers, pg_url, redis_url, crawl_id):
        """ARCHIVER_BENCH_DISTRIBUTED=500 pytest -k measure -s: pages/s over the whole run (from starting
        the workers to the last one's exit) and over the crawl itself (first to last page served)."""
        pages = synthetic_site(int(os.environ["ARCHIVER_BENCH_DISTRIBUTED"]))
        served: list[float] = []

        def answer(target: str):
            served.append(time.monotonic())
            return pages.get(target)

        with MirrorServer(answer) as server:
            seed(server.base_url, pg_url, redis_url, crawl_id)
            served.clear()
            started = time.monotonic()
            procs = [archiver_process(*worker_args(pg_url, redis_url, crawl_id)) for _ in range(workers)]
            for proc in procs:
                _, err = proc.communicate(timeout=1800)
                assert proc.returncode == 0, err
            wall = time.monotonic() - started
        fetched = len(served)
        crawl = served[-1] - served[0]
        articles = query(pg_url, "SELECT COUNT(*) FROM articles")[0][0]
        print(
            f"\nBENCH workers={workers} pages={fetched} articles={articles} wall={wall:.1f}s "
            f"pages/s(wall)={fetched / wall:.1f} crawl={crawl:.1f}s pages/s(crawl)={fetched / crawl:.1f}"
        )


@pytest.mark.slow
def test_stopping_and_resuming_a_distributed_backfill(site, pg_url, redis_url, crawl_id, tmp_path):
    """SIGTERM stops a worker cleanly (nothing left in flight, the queue kept); new workers finish the
    backfill with the seeded arguments, and the archive is the one a SQLite backfill makes."""
    since = "2023-11-16"  # Pyongyang days: the mirror's first 17 hours of stories are older
    env = {"ARCHIVER_STATE_DIR": str(tmp_path / "state")}
    reference_db = f"sqlite:///{tmp_path / 'ref.sqlite'}"
    with MirrorServer(site) as server:
        result = run_archiver(
            "backfill",
            "kcnawatch",
            "--since",
            since,
            "--base-url",
            server.base_url,
            "--db",
            reference_db,
            "-q",
            *FAST,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        reference_rows, reference_base = archive_rows(reference_db), server.base_url
    assert 0 < len(reference_rows["articles"]) < 45  # the range leaves the oldest stories out

    keys = CrawlKeys(crawl_id)
    client = redis_client(redis_url)
    with MirrorServer(slow(site, 0.2)) as server:
        result = run_archiver(
            "backfill",
            "kcnawatch",
            "--since",
            since,
            "--base-url",
            server.base_url,
            "--db",
            pg_url,
            "--redis-url",
            redis_url,
            "--crawl-id",
            crawl_id,
            "--seed-only",
            *FAST,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert stored_params(client, keys)["spider_args"] == {"since": since, "base_url": server.base_url}
        first = archiver_process(*worker_args(pg_url, redis_url, crawl_id))
        deadline = time.monotonic() + 120
        while server.total_hits < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=120)
        assert first.returncode == 1, err  # interrupted
        assert out.startswith("kcnawatch: interrupted in "), out
        waiting = client.zcard(keys.requests)
        assert waiting > 0
        assert all(client.hlen(key) == 0 for key in client.scan_iter(match=keys.inflight_pattern))
        # Resume: the seeding command joins the crawl under way instead of starting afresh ...
        again = run_archiver(
            "backfill",
            "kcnawatch",
            "--since",
            since,
            "--base-url",
            server.base_url,
            "--db",
            pg_url,
            "--redis-url",
            redis_url,
            "--crawl-id",
            crawl_id,
            "--seed-only",
            *FAST,
            env=env,
        )
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith(f"joined running distributed crawl {crawl_id!r}: {waiting} requests queued")
        # ... refuses other arguments ...
        other = run_archiver(
            "backfill",
            "kcnawatch",
            "--since",
            "2020-01-01",
            "--base-url",
            server.base_url,
            "--db",
            pg_url,
            "--redis-url",
            redis_url,
            "--crawl-id",
            crawl_id,
            "--seed-only",
            *FAST,
            env=env,
        )
        assert other.returncode == 2
        assert "still under way with other arguments" in other.stderr
        # ... and workers finish it.
        workers = [archiver_process(*worker_args(pg_url, redis_url, crawl_id)) for _ in range(2)]
        for worker in workers:
            out, err = worker.communicate(timeout=240)
            assert worker.returncode == 0, err
        base = server.base_url
    assert rebased(archive_rows(pg_url), base, "@") == rebased(reference_rows, reference_base, "@")
    assert client.zcard(keys.requests) == 0
    client.close()
