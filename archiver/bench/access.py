"""Benchmark of researcher access: full-text search latency, export throughput and export memory.

Builds a synthetic archive of N articles (default 100,000) directly with bulk inserts through
the models, the full-text indexes kept by their triggers as in a real crawl: every article has one
address and a listing entry with a teaser, every tenth a second address (a repost); a tenth of
the articles are Korean (archiver/bench/korean.py). Then it times a fixed set of searches (median
and 95th percentile over repeated runs, through `archiver.research.search.search` on a read-only
connection), Korean searches beside the substring scan they replace (the same hits, checked), the
size of each index, and one full JSONL export (rows per second,
through the same code as `archiver export`), sampling the process's resident memory during the
export to show it stays flat; and `--count-by month` counts. Targets at 1,000,000 articles:
search median < 50 ms and p95 < 200 ms, export >= 50,000 rows/s with flat memory (issue 21);
Korean terms of two or more syllables median < 200 ms (issue 27).

    python -m archiver.bench.access [--articles N] [--db FILE] [--repeat R]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import insert, text

from archiver.archive.engine import open_archive
from archiver.archive.models import Article, ArticleUrl, ListingEntry
from archiver.archive.readonly import open_readonly
from archiver.bench import korean
from archiver.research.export import write_export
from archiver.research.search import FILTER_INDEX, FILTERS, match_expression, search

SEED = 20241023
CHUNK = 5000
FIRST_DAY = date(2015, 1, 1)
DAYS = (date(2025, 12, 31) - FIRST_DAY).days
SITES = (
    ("kcnawatch", ("KCNA (EN)", "KASS (EN)", "Naenara (En)", "Rodong (EN)"), "en", 0.8),
    ("rstv", ("RSTV",), None, 0.2),
)
RSTV_LANGUAGES = ("ru", "en", "de", "zh")
# Words with a meaning, each given to a share of the articles, so queries have known selectivity.
TOPICS = {
    "missile": 0.05,
    "harvest": 0.08,
    "delegation": 0.15,
    "juche": 0.10,
    "congratulatory": 0.03,
    "typhoon": 0.01,
    "neocolonialism": 0.002,
    "satellite": 0.02,
    "football": 0.01,
    "sanctions": 0.04,
}
# (kind, terms, filters): the kinds are reported apart, since their costs differ.
CLASSIFIED_QUERIES: list[tuple[str, str, dict]] = [
    ("one word", "missile", {}),
    ("one word", "delegation", {}),
    ("one word", "neocolonialism", {}),
    ("phrase", '"missile launch"', {}),
    ("phrase", '"launch was reported"', {}),
    ("filtered", "harvest", {"site": "kcnawatch"}),
    ("filtered", "congratulatory", {"since": date(2020, 1, 1), "until": date(2020, 12, 31)}),
    ("filtered", "title: missile", {"source": "KCNA (EN)"}),
    ("filtered", "delegation harvest", {"language": "en"}),
    ("filtered", "football", {"site": "rstv", "language": "ru"}),
    ("boolean", "typhoon OR satellite", {}),
    ("boolean", "juche NOT delegation", {}),
    ("boolean", "sanct*", {}),
]
QUERIES: list[tuple[str, dict]] = [(terms, filters) for _, terms, filters in CLASSIFIED_QUERIES]
# `archiver search --count-by month` over these (the SQL of count_by_month below).
COUNT_QUERIES: list[tuple[str, dict]] = [
    ("delegation", {}),
    ('"missile launch"', {}),
    ("harvest", {"site": "kcnawatch", "since": date(2018, 1, 1)}),
]
TARGET_MEDIAN_MS = 50
TARGET_P95_MS = 200
TARGET_EXPORT_ROWS_PER_S = 50_000


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    syllables = ["ka", "ro", "mi", "tel", "san", "dor", "pyo", "vin", "lu", "gen", "tra", "sol", "ber", "ny", "chu"]
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(size * 2)}
    return sorted(words)[:size]


class TextMaker:
    """Deterministic, Zipf-like English-looking text with topic words sprinkled in.

    Bodies are drawn from a pool of sentences (drawing every word afresh would make building the
    archive take longer than measuring it); a numbered sentence keeps every body distinct.
    """

    def __init__(self, rng: random.Random, pool: int = 20_000) -> None:
        self.rng = rng
        self.words = vocabulary(rng)
        cum_weights, total = [], 0.0
        for rank in range(1, len(self.words) + 1):
            total += 1.0 / rank
            cum_weights.append(total)
        self.sentences = [
            " ".join(rng.choices(self.words, cum_weights=cum_weights, k=rng.randint(8, 20))).capitalize() + "."
            for _ in range(pool)
        ]
        self.number = 0

    def sentence(self, topics: list[str]) -> str:
        words = self.rng.choice(self.sentences).split(" ")
        for topic in topics:
            words.insert(self.rng.randrange(len(words)), topic)
        return " ".join(words)

    def article(self) -> tuple[str, str]:
        self.number += 1
        topics = [t for t, share in TOPICS.items() if self.rng.random() < share]
        title = " ".join(self.sentence(topics[:1]).split(" ")[:8]).rstrip(".")
        paragraphs = [
            " ".join([self.sentence(topics), *self.rng.choices(self.sentences, k=2)])
            for _ in range(self.rng.randint(3, 6))
        ]
        if "missile" in topics and self.rng.random() < 0.3:
            paragraphs[-1] += " The missile launch was reported."
        paragraphs[-1] += f" Report number {self.number}."
        return title, "\n\n".join(paragraphs)


def build(engine, articles: int, out: TextIO) -> float:
    """Fill an empty archive with `articles` synthetic articles; returns the seconds it took."""
    rng = random.Random(SEED)
    maker = TextMaker(rng)
    korean_maker = korean.KoreanTextMaker(rng, pool=min(20_000, max(1_000, articles // 5)))  # 20,000 at a million
    now = datetime(2025, 1, 31, 3, 0)
    started = time.perf_counter()
    next_id = 1
    while next_id <= articles:
        batch_articles, batch_urls, batch_entries = [], [], []
        for article_id in range(next_id, min(next_id + CHUNK, articles + 1)):
            if rng.random() < korean.SHARE:
                site, source, language = "kcnawatch", rng.choice(korean.SOURCES), "ko"
                title, body = korean_maker.article()
            else:
                site, sources, site_language, _ = SITES[0] if rng.random() < SITES[0][3] else SITES[1]
                source = rng.choice(sources)
                language = site_language or rng.choice(RSTV_LANGUAGES)
                title, body = maker.article()
            day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            url = f"https://{site}.example/newstream/{article_id}/story-{article_id}/"
            batch_articles.append(
                {
                    "id": article_id,
                    "site": site,
                    "source": source,
                    "url": url,
                    "title": title,
                    "body": body,
                    "language": language,
                    "published_on": day,
                    "content_hash": hashlib.sha256(body.encode()).hexdigest(),  # bodies are clean already
                    "teaser": body[:130],  # what the triggers on listing_entries keep (see below)
                    "tags": ["synthetic"],
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            )
            addresses = [url] + ([url.replace("/story-", "/repost-")] if article_id % 10 == 0 else [])
            for address in addresses:
                batch_urls.append(
                    {"url": address, "article_id": article_id, "listed_on": day, "fetched": True, "first_seen_at": now}
                )
                teaser = body[:130]
                batch_entries.append(
                    {
                        "site": site,
                        "source": source,
                        "article_url": address,
                        "article_id": article_id,
                        "title": title,
                        "teaser": teaser,
                        "teaser_raw": teaser,
                        "teaser_truncated": True,
                        "teaser_key": hashlib.sha256(teaser.encode()).hexdigest(),
                        "listed_on": day,
                        "times_seen": 1 + article_id % 7,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
        with engine.begin() as connection:
            # Entries first, already tied to their (not yet inserted) articles: their triggers find no
            # article to give the teaser to, and each article's index rows are written once, with the
            # teaser set above (what those triggers would have set). Foreign keys are checked at commit.
            # An explicit BEGIN: pysqlite would run the PRAGMA outside the transaction, where SQLite may
            # drop it (it did on a fresh connection to a table altered by a migration).
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            connection.execute(insert(ListingEntry), batch_entries)
            connection.execute(insert(Article), batch_articles)
            connection.execute(insert(ArticleUrl), batch_urls)
        next_id += CHUNK
        out.write(f"\r  built {min(next_id - 1, articles):,} articles")
        out.flush()
    out.write("\n")
    return time.perf_counter() - started


def time_searches(url: str, repeat: int) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int]]:
    """Per query: latencies (wall clock) and CPU times, `repeat` of each; how many articles its terms match."""
    engine = open_readonly(url)
    latencies: dict[str, list[float]] = {terms: [] for terms, _ in QUERIES}
    cpu: dict[str, list[float]] = {terms: [] for terms, _ in QUERIES}
    hits: dict[str, int] = {}
    with engine.connect() as connection:
        for terms, filters in QUERIES:  # one warm-up round: the page cache, as on a used machine
            search(connection, terms, **filters)
            hits[terms] = connection.execute(
                text("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH :q"), {"q": match_expression(terms)}
            ).scalar_one()
        for _ in range(repeat):
            for terms, filters in QUERIES:
                started, cpu_started = time.perf_counter(), time.process_time()
                search(connection, terms, **filters)
                latencies[terms].append(time.perf_counter() - started)
                cpu[terms].append(time.process_time() - cpu_started)
    engine.dispose()
    return latencies, cpu, hits


def count_by_month(connection, terms: str, **filters) -> list[tuple[str, int]]:
    """Matching articles per month of publication: what `archiver search --count-by month` asks
    SQLite (the filters and the covering index of search.py; no ranking, no snippets)."""
    params = {
        "q": match_expression(terms),
        **{k: v.isoformat() if isinstance(v, date) else v for k, v in filters.items()},
    }
    where = "".join(f" AND {FILTERS[name]}" for name in filters)
    sql = (
        "SELECT substr(a.published_on, 1, 7) AS month, COUNT(*) AS articles "
        f"FROM articles_fts JOIN articles a INDEXED BY {FILTER_INDEX} ON a.id = articles_fts.rowid "
        f"WHERE articles_fts MATCH :q{where} GROUP BY month ORDER BY month"
    )
    return [(month, count) for month, count in connection.execute(text(sql), params)]


def time_counts(url: str, repeat: int) -> dict[str, list[float]]:
    """Per count-by-month query: latencies over `repeat` runs (after one warm-up)."""
    engine = open_readonly(url)
    latencies: dict[str, list[float]] = {terms: [] for terms, _ in COUNT_QUERIES}
    with engine.connect() as connection:
        for terms, filters in COUNT_QUERIES:
            count_by_month(connection, terms, **filters)
        for _ in range(repeat):
            for terms, filters in COUNT_QUERIES:
                started = time.perf_counter()
                count_by_month(connection, terms, **filters)
                latencies[terms].append(time.perf_counter() - started)
    engine.dispose()
    return latencies


def median_p95(times: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    if len(times) == 1:
        return times[0] * 1000, times[0] * 1000
    return statistics.median(times) * 1000, statistics.quantiles(times, n=20, method="inclusive")[-1] * 1000


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class MemorySampler(threading.Thread):
    """Samples the process's resident memory every `interval` seconds until stopped."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[int] = [rss_bytes()]
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.samples.append(rss_bytes())

    def stop(self) -> list[int]:
        self.done.set()
        self.join()
        self.samples.append(rss_bytes())
        return self.samples


def time_export(url: str, target: Path) -> tuple[int, float, float, list[int]]:
    """(rows, seconds, CPU seconds, resident memory sampled during the export), through the
    same code as `archiver export --format jsonl --out FILE`."""
    engine = open_readonly(url)
    with engine.connect() as connection:
        sampler = MemorySampler()
        sampler.start()
        started, cpu = time.perf_counter(), time.process_time()
        with open(target, "w", encoding="utf-8") as out:
            count = write_export(connection, "jsonl", out)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        samples = sampler.stop()
    engine.dispose()
    return count, seconds, cpu, samples


def machine_speed() -> tuple[float, float]:
    """Wall and CPU seconds of a fixed pure-Python loop (about 0.15-0.2 s on an idle laptop), to
    read the other figures against: a loaded, shared machine is several times slower."""
    started, cpu = time.perf_counter(), time.process_time()
    sum(range(10_000_000))
    return time.perf_counter() - started, time.process_time() - cpu


def run(articles: int = 100_000, *, out: TextIO = sys.stdout, db: str | None = None, repeat: int = 5) -> dict:
    """Build the archive (or reuse `db` if it already holds one), measure, print and return the figures."""
    with tempfile.TemporaryDirectory(prefix="archiver-bench-") as folder:
        path = Path(db) if db else Path(folder) / "bench.sqlite"
        url = f"sqlite:///{path}"
        engine = open_archive(url)
        with engine.connect() as connection:
            present = connection.exec_driver_sql("SELECT COUNT(*) FROM articles").scalar_one()
        built = None
        if present == 0:
            out.write(f"building a synthetic archive of {articles:,} articles at {path}\n")
            built = build(engine, articles, out)
            out.write(
                f"  built in {built:.1f} s ({articles / built:,.0f} articles/s, full-text index included); "
                f"{path.stat().st_size / 2**20:,.0f} MiB\n"
            )
        else:
            articles = present
            out.write(f"reusing {path}: {present:,} articles\n")
        engine.dispose()

        wall, cpu = machine_speed()
        out.write(
            f"machine: sum(range(10**7)) took {wall:.2f} s ({cpu:.2f} s CPU); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
        )
        latencies, cpu_times, hits = time_searches(url, repeat)
        every = [t for times in latencies.values() for t in times]
        every_cpu = [t for times in cpu_times.values() for t in times]
        median, p95 = median_p95(every)
        cpu_median, cpu_p95 = median_p95(every_cpu)
        out.write(
            f"search at {articles:,} articles: {len(QUERIES)} queries x {repeat}: median {median:.1f} ms, "
            f"p95 {p95:.1f} ms, max {max(every) * 1000:.1f} ms "
            f"(targets at 1,000,000: median < {TARGET_MEDIAN_MS} ms, p95 < {TARGET_P95_MS} ms); "
            f"CPU time median {cpu_median:.1f} ms, p95 {cpu_p95:.1f} ms; load {os.getloadavg()[0]:.1f}\n"
        )
        by_kind: dict[str, dict[str, float]] = {}
        for kind in dict.fromkeys(k for k, _, _ in CLASSIFIED_QUERIES):
            times = [t for k, terms, _ in CLASSIFIED_QUERIES if k == kind for t in latencies[terms]]
            kind_median, kind_p95 = median_p95(times)
            by_kind[kind] = {"median_ms": kind_median, "p95_ms": kind_p95}
            out.write(f"  {kind + ':':<10} median {kind_median:6.1f} ms, p95 {kind_p95:6.1f} ms\n")
        for _kind, terms, filters in CLASSIFIED_QUERIES:
            shown = " ".join(f"--{k} {v}" for k, v in filters.items())
            out.write(
                f"    {statistics.median(latencies[terms]) * 1000:6.1f} ms  {terms} {shown}"
                f"  (terms match {hits[terms]:,} articles)\n"
            )
        counts = time_counts(url, repeat)
        count_median, count_p95 = median_p95([t for times in counts.values() for t in times])
        out.write(
            f"search --count-by month: {len(COUNT_QUERIES)} queries x {repeat}: median {count_median:.1f} ms, "
            f"p95 {count_p95:.1f} ms\n"
        )
        for terms, filters in COUNT_QUERIES:
            shown = " ".join(f"--{k} {v}" for k, v in filters.items())
            out.write(f"    {statistics.median(counts[terms]) * 1000:6.1f} ms  {terms} {shown}\n")

        korean_figures = report_korean(url, repeat, out)

        rows, seconds, cpu, samples = time_export(url, Path(folder) / "export.jsonl")
        growth = (max(samples) - samples[0]) / 2**20
        out.write(
            f"export: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
            f"(target >= {TARGET_EXPORT_ROWS_PER_S:,}); "
            f"{rows / cpu:,.0f} rows per CPU second\n"
        )
        tenths = [samples[min(len(samples) - 1, i * len(samples) // 10)] for i in range(10)] + [samples[-1]]
        out.write(
            f"  resident memory during export ({len(samples)} samples), at every tenth of it (MiB): "
            + " ".join(f"{s / 2**20:.0f}" for s in tenths)
            + f"; peak {max(samples) / 2**20:.0f} MiB, {growth:.1f} MiB above the start\n"
        )
        return {
            "articles": articles,
            "build_seconds": built,
            "calibration_seconds": wall,
            "search_median_ms": median,
            "search_p95_ms": p95,
            "search_by_kind": by_kind,
            "count_by_month_median_ms": count_median,
            "count_by_month_p95_ms": count_p95,
            "search_cpu_median_ms": cpu_median,
            "search_cpu_p95_ms": cpu_p95,
            "export_rows": rows,
            "export_rows_per_s": rows / seconds,
            "export_rows_per_cpu_s": rows / cpu,
            "export_rss_mib": [s / 2**20 for s in tenths],
            "export_rss_growth_mib": growth,
            **korean_figures,
        }


def report_korean(url: str, repeat: int, out: TextIO) -> dict:
    """Time Korean searches (archiver/bench/korean.py), print them beside the substring scan, and
    the indexes' sizes; the figures for `run`'s result."""
    figures = korean.time_korean_searches(url, repeat)
    targeted = [terms for _, terms, _ in korean.QUERIES]
    every = [t for terms in targeted for t in figures[terms]["latencies"]]
    median, p95 = median_p95(every)
    scan_median = statistics.median(figures[terms]["scan_seconds"] for terms in targeted) * 1000
    same = all(f["same_hits"] for f in figures.values())
    out.write(
        f"Korean search, {len(targeted)} terms of two or more syllables x {repeat}: median {median:.1f} ms, "
        f"p95 {p95:.1f} ms (target at 1,000,000: median < {korean.TARGET_MEDIAN_MS} ms); the substring scan "
        f"it replaces: median {scan_median:,.0f} ms; hits {'the same as' if same else 'NOT the same as'} "
        f"the scan's for every term; load {os.getloadavg()[0]:.1f}\n"
    )
    for terms, figure in figures.items():
        shown = " ".join(f"--{k} {v}" for k, v in figure["filters"].items())
        verdict = "same as the scan" if figure["same_hits"] else f"the scan finds {figure['scan_hits']:,}"
        out.write(
            f"    {korean.median_ms(figure['latencies']):6.1f} ms  {terms} {shown}  ({figure['kind']}; "
            f"{figure['hits']:,} articles, {verdict}; scan {figure['scan_seconds'] * 1000:,.0f} ms)\n"
        )
    sizes = korean.index_sizes(url)
    if sizes:
        out.write(
            f"  index sizes: CJK bigrams {sizes[korean.CJK_INDEX] / 2**20:,.1f} MiB, full text "
            f"{sizes[korean.TEXT_INDEX] / 2**20:,.1f} MiB, the whole archive {sizes['file'] / 2**20:,.0f} MiB "
            f"({korean_articles(url):,} Korean articles)\n"
        )
    return {
        "korean_median_ms": median,
        "korean_p95_ms": p95,
        "korean_scan_median_ms": scan_median,
        "korean_same_hits": same,
        "korean_queries": figures,
        "index_bytes": sizes,
    }


def korean_articles(url: str) -> int:
    engine = open_readonly(url)
    with engine.connect() as connection:
        found = connection.exec_driver_sql("SELECT COUNT(*) FROM articles WHERE language = 'ko'").scalar_one()
    engine.dispose()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archiver.bench.access", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="size of the synthetic archive (default 100,000)")
    parser.add_argument("--db", metavar="FILE", help="build the archive here, or reuse it (default: a temporary file)")
    parser.add_argument("--repeat", type=int, default=5, help="times each search runs (default 5)")
    args = parser.parse_args(argv)
    run(args.articles, db=args.db, repeat=args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
