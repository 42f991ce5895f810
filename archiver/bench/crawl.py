"""End-to-end crawl benchmark: a synthetic KCNA Watch mirror on loopback, crawled at full speed.

`run(articles=N)` generates N articles in the KCNA Watch markup (several sources, varied paragraphs,
a few reposts; the newstream and source listings paginated 20 a page; "More From" blocks), serves
them from a separate process (a `MirrorServer` over a site that renders each page when it is asked
for, so neither the server's memory nor its CPU is the crawler's), and crawls them with no delay and
no AutoThrottle, robots.txt obeyed, into a temporary SQLite archive from another process. It prints
pages/s, articles/s, the crawl process's peak RSS and the time each pipeline stage took, then runs
`scrapy bench` (Scrapy's own benchmark, following links on a trivial local site) for about as long,
and prints its pages/s and our share of it.

Processes: `python -m archiver.bench.crawl serve N` (the mirror; prints its base URL) and
`python -m archiver.bench.crawl crawl BASE_URL DB_URL` (the crawl; prints its stats as JSON).
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from archiver.crawl.scrapy_private import PipelineMethodHook
from archiver.mirror import FULL_SPEED
from archiver.mirror.kcnawatch import KcnaWatchMirror, SampleArticle

SOURCES = (
    ("kcna-en", "KCNA (EN)", "KCNA"),
    ("rodong-en", "Rodong Sinmun (EN)", None),
    ("kass-en", "KASS (EN)", None),
    ("naenara-en", "Naenara (En)", "KCNA"),
    ("pyongyang-times", "The Pyongyang Times", None),
    ("voice-of-korea", "Voice of Korea (EN)", None),
)
#: One article in this many is a repost of a recent article of its source (same text, new address).
REPOST_EVERY = 97
FIRST_EPOCH = 1420070400  # 2015-01-01

_PLACES = ("Pyongyang", "Hamhung", "Kaesong", "Wonsan", "Sinuiju", "Chongjin", "Nampho", "Haeju")
_SUBJECTS = (
    "Working people",
    "Officials of the ministry",
    "Scientists and technicians",
    "Youth league members",
    "Farmers of the cooperative",
    "Delegates",
    "Students of the university",
    "Builders",
    "Artistes of the troupe",
    "Members of the study group",
    "Workers of the complex",
    "Teachers",
)
_VERBS = (
    "visited",
    "inspected",
    "celebrated",
    "discussed",
    "completed",
    "opened",
    "reviewed",
    "attended",
    "praised",
    "reported on",
    "carried out",
    "called for",
)
_OBJECTS = (
    "the newly built dwelling houses",
    "a national meeting",
    "the plan for the year",
    "a photo exhibition",
    "the flood-damaged areas",
    "the modernization of the factory",
    "a joint performance",
    "the results of the campaign",
    "a seminar on the Juche idea",
    "the harvest in the province",
    "the construction of the power station",
    "the international friendship exhibition",
)
_TAILS = (
    "amid great enthusiasm.",
    "on the occasion of the anniversary.",
    "ahead of schedule.",
    "with the participation of officials & guests.",
    "under the slogan “Let us advance!”.",
    "in the presence of foreign diplomats.",
    "for the second time this year.",
    "in a solemn atmosphere.",
)
_WORDS = (
    "struggle",
    "victory",
    "production",
    "people",
    "cause",
    "leadership",
    "construction",
    "economy",
    "culture",
    "science",
    "unity",
    "development",
    "achievement",
    "defence",
    "tradition",
    "future",
    "spirit",
    "revolution",
    "effort",
    "progress",
    "friendship",
    "solidarity",
    "education",
    "health",
)


def _sentence(rng: random.Random) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12)))
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} for the {words} {rng.choice(_TAILS)}"


def synthetic_articles(n: int, seed: int = 2024) -> list[SampleArticle]:
    """n articles the way KCNA Watch has them: several sources, three to eight paragraphs, some
    without title, date line or original link, and one in REPOST_EVERY a repost of a recent one."""
    rng = random.Random(seed)
    pool = [_sentence(rng) for _ in range(2048)]  # sentences for the paragraphs after the first
    articles: list[SampleArticle] = []
    epoch = FIRST_EPOCH
    for i in range(n):
        epoch += rng.randint(600, 6 * 3600)
        post_id = 800_000_000 + i * 13 + rng.randint(0, 12)
        slug, name, signature = SOURCES[rng.randrange(len(SOURCES))]
        recent = [a for a in articles[-30:] if a.teaser is None and a.source_slug == slug]
        if i % REPOST_EVERY == REPOST_EVERY - 1 and recent:
            original = rng.choice(recent)
            articles.append(
                SampleArticle(
                    epoch=epoch,
                    post_id=post_id,
                    slug=f"{original.slug}-2",
                    source_slug=slug,
                    source_name=name,
                    paragraphs=list(original.paragraphs),
                    title=original.title,
                    signature=original.signature,
                    original_url=original.original_url,
                )
            )
            continue
        when = time.gmtime(epoch)
        place = rng.choice(_PLACES)
        lead = f"{place}, {time.strftime('%B', when)} {when.tm_mday} (KCNA) -- {_sentence(rng)} (No. {i})"
        paragraphs = [lead] + [" ".join(rng.choices(pool, k=rng.randint(1, 4))) for _ in range(rng.randint(2, 7))]
        title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} in {place}"
        articles.append(
            SampleArticle(
                epoch=epoch,
                post_id=post_id,
                slug=re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80],
                source_slug=slug,
                source_name=name,
                paragraphs=paragraphs,
                title=None if rng.random() < 0.01 else title,
                signature=signature,
                original_url=f"http://www.kcna.kp/en/article/q/{post_id:x}.kcmsf" if rng.random() < 0.3 else None,
                show_date=rng.random() >= 0.02,
            )
        )
    return articles


def repost_count(articles: Sequence[SampleArticle]) -> int:
    """How many articles repeat an earlier one's text (the archive folds each into it)."""
    return len(articles) - len({tuple(a.paragraphs) for a in articles})


class LazyKcnaWatchSite(KcnaWatchMirror):
    """The synthetic mirror as a `MirrorServer` site: `KcnaWatchMirror` renders each page (feed,
    `/newstream/`, source listings, "load more" fragments, articles) when it is asked for; building
    every page of a 20,000-article mirror up front would take minutes and hundreds of megabytes."""


# The benchmark's own crawl settings: full speed, one site, robots.txt obeyed as always.
CRAWL_SETTINGS = {
    **FULL_SPEED,
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "WARNING",
    "ARCHIVER_PROGRESS_INTERVAL": 0,
    "ITEM_PROCESSOR": "archiver.bench.crawl.TimedItemPipelineManager",
}
STAGES = ("dates", "text", "dedup", "store")


@dataclass
class CrawlFigures:
    articles: int
    seconds: float
    pages: int
    stored: dict[str, int]
    peak_rss_mb: float
    cpu_seconds: float
    stage_seconds: dict[str, float]
    reposts: int = 0
    log_tail: str = ""
    stats: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def articles_per_second(self) -> float:
        return self.stored.get("article_urls", 0) / self.seconds if self.seconds else 0.0


class TimedItemPipelineManager(PipelineMethodHook):
    """Scrapy's item pipeline manager, timing each pipeline (ITEM_PROCESSOR of the benchmark's crawl).

    The seconds each stage spends in `process_item` and `close_spider` (the store's last batch) add
    up per stage, named after the pipeline's module (`pipelines.dates` → `dates`), and go into the
    crawl's stats as `archiver/time/<stage>` when the spider closes. Two perf_counter calls an item.
    """

    def __init__(self, *middlewares: Any, crawler=None) -> None:
        self.seconds: dict[str, float] = {}
        super().__init__(*middlewares, crawler=crawler)

    def wrap_method(self, pipeline: Any, name: str, method: Any) -> Any:
        stage = type(pipeline).__module__.rsplit(".", 1)[-1]
        self.seconds.setdefault(stage, 0.0)
        return self._timed(stage, method)

    def _timed(self, stage: str, method):
        seconds = self.seconds
        clock = time.perf_counter

        def timed(*args):
            started = clock()
            try:
                return method(*args)
            finally:
                seconds[stage] += clock() - started

        return timed

    async def close_spider_async(self) -> None:
        await super().close_spider_async()
        if self.crawler is not None:
            for stage, seconds in self.seconds.items():
                self.crawler.stats.set_value(f"archiver/time/{stage}", round(seconds, 4))


# Processes --------------------------------------------------------------------------------------
def serve(n: int, seed: int) -> None:
    """The mirror process: serve n synthetic articles until killed; the base URL on stdout."""
    from archiver.mirror.server import MirrorServer

    articles = synthetic_articles(n, seed)
    server = MirrorServer(LazyKcnaWatchSite(articles)).start()
    print(server.base_url, repost_count(articles), flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin or kills us
    finally:
        server.stop()


def crawl(base_url: str, db_url: str, profile: str | None = None) -> None:
    """The crawl process: crawl the mirror into db_url; stats, peak RSS and CPU time as JSON on stdout."""
    from archiver.crawl.runner import run_spiders

    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    [summary] = run_spiders({"kcnawatch": {"base_url": base_url}}, db_url=db_url, settings=CRAWL_SETTINGS)
    if profiler is not None and profile is not None:
        profiler.stop()
        Path(profile).write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "stats": {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in summary.stats.items()},
                "maxrss_kb": usage.ru_maxrss,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            }
        )
    )


class MirrorProcess:
    """The mirror server in its own process (so it takes none of the crawler's GIL or memory)."""

    def __init__(self, n: int, seed: int = 2024) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "archiver.bench.crawl", "serve", str(n), str(seed)],
            env=project_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url, _, reposts = (self.proc.stdout.readline() if self.proc.stdout else "").strip().partition(" ")
        self.reposts = int(reposts or 0)
        if not self.base_url:
            self.close()
            raise RuntimeError("the benchmark's mirror server did not start")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> MirrorProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stored_counts(db_url: str) -> dict[str, int]:
    from sqlalchemy import text

    from archiver.archive.engine import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in ("articles", "article_urls", "listing_entries", "pages")
            }
    finally:
        engine.dispose()


def project_env() -> dict[str, str]:
    """This environment, with the project's folder on the path: the crawl process runs in a temporary
    folder, and finds archiver, spiders and pipelines even when the project is not installed."""
    root = str(Path(__file__).resolve().parent.parent.parent)
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_crawl(n: int, *, seed: int = 2024, profile: str | None = None, workdir: Path | None = None) -> CrawlFigures:
    """Serve n synthetic articles, crawl them in a fresh process into a temporary archive; the figures."""
    with tempfile.TemporaryDirectory(prefix="archiver-bench-", dir=workdir) as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        with MirrorProcess(n, seed) as mirror:
            command = [sys.executable, "-m", "archiver.bench.crawl", "crawl", mirror.base_url, db_url]
            if profile:
                command.append(str(Path(profile).resolve()))  # the crawl runs in the temporary folder
            done = subprocess.run(command, capture_output=True, text=True, cwd=tmp, env=project_env())
            reposts = mirror.reposts
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"the benchmark crawl failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        stats = report["stats"]
        return CrawlFigures(
            articles=n,
            seconds=float(stats.get("elapsed_time_seconds") or 0.0),
            pages=int(stats.get("response_received_count", 0)),
            stored=stored_counts(db_url),
            peak_rss_mb=report["maxrss_kb"] / 1024,
            cpu_seconds=report["cpu_seconds"],
            stage_seconds={stage: float(stats.get(f"archiver/time/{stage}", 0.0)) for stage in STAGES},
            reposts=reposts,
            log_tail=done.stderr.strip()[-3000:],
            stats=stats,
        )


_STAT = re.compile(r"'(response_received_count|elapsed_time_seconds)': ([\d.]+)")
# `scrapy bench` run in-process by this wrapper, so that its peak RSS and CPU time can be read too.
_SCRAPY_BENCH = """
import json, resource, sys
from scrapy.cmdline import execute
try:
    execute(["scrapy", "bench", *sys.argv[1:]])
except SystemExit:
    pass
usage = resource.getrusage(resource.RUSAGE_SELF)
print("RUSAGE " + json.dumps({"maxrss_kb": usage.ru_maxrss, "cpu_seconds": usage.ru_utime + usage.ru_stime}),
      file=sys.stderr)
"""
#: The issue-21 targets, printed beside the figures.
TARGET_RATIO = 0.85
TARGET_RSS_MB = 200
TARGET_RSS_AT = 20_000


@dataclass
class ReferenceFigures:
    """`scrapy bench` on this machine, in the same run: Scrapy's own ceiling for a trivial site."""

    pages: int
    seconds: float
    peak_rss_mb: float | None
    cpu_seconds: float | None
    load: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def load_average() -> float:
    """The machine's one-minute load average (other work slows `scrapy bench` more than the archiver)."""
    return os.getloadavg()[0]


def scrapy_bench_figures(seconds: float) -> ReferenceFigures | None:
    """`scrapy bench` run for about `seconds` (outside any project); None if it failed."""
    timeout = max(3, min(120, round(seconds)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="scrapy-bench-") as tmp:
        done = subprocess.run(
            [sys.executable, "-c", _SCRAPY_BENCH, "-s", f"CLOSESPIDER_TIMEOUT={timeout}", "-s", "LOGSTATS_INTERVAL=60"],
            capture_output=True,
            text=True,
            cwd=tmp,
            env=env,
            timeout=timeout + 60,
        )
    found = dict(_STAT.findall(done.stderr))
    if "response_received_count" not in found or not float(found.get("elapsed_time_seconds", 0)):
        return None
    usage = re.search(r"^RUSAGE (\{.*\})$", done.stderr, re.M)
    rusage = json.loads(usage.group(1)) if usage else {}
    return ReferenceFigures(
        pages=int(found["response_received_count"]),
        seconds=float(found["elapsed_time_seconds"]),
        peak_rss_mb=rusage["maxrss_kb"] / 1024 if rusage else None,
        cpu_seconds=rusage.get("cpu_seconds"),
        load=max(load, load_average()),
    )


def scrapy_bench(seconds: float) -> float | None:
    """Pages/s of `scrapy bench` run for about `seconds`; None if it failed."""
    figures = scrapy_bench_figures(seconds)
    return figures.pages_per_second if figures else None


# Report -----------------------------------------------------------------------------------------
def _side(label: str, ours: str, theirs: str, note: str = "") -> str:
    return f"  {(label + ':') if label else '':<16}{ours:>14}   {theirs:>14}{'   ' + note if note else ''}"


def print_crawl(
    figures: CrawlFigures, out: TextIO, reference: ReferenceFigures | None = None, load: float | None = None
) -> None:
    """The crawl's figures, each beside `scrapy bench`'s of the same run (when it ran)."""
    stored = figures.stored
    print(f"crawl of {figures.articles:,} synthetic articles ({figures.reposts} reposts):", file=out)
    ref = reference
    dash = "-"
    print(
        _side("", "archiver", "scrapy bench" if ref else "", "(scrapy bench: same machine, just after)" if ref else ""),
        file=out,
    )
    print(
        _side(
            "pages",
            f"{figures.pages:,} in {figures.seconds:.1f} s",
            f"{ref.pages:,} in {ref.seconds:.1f} s" if ref else dash,
        ),
        file=out,
    )
    ratio = figures.pages_per_second / ref.pages_per_second if ref and ref.pages_per_second else None
    print(
        _side(
            "pages/s",
            f"{figures.pages_per_second:,.1f}",
            f"{ref.pages_per_second:,.1f}" if ref else dash,
            f"ratio {100 * ratio:.0f}% (target >= {100 * TARGET_RATIO:.0f}%)" if ratio is not None else "",
        ),
        file=out,
    )
    cpu_ref = ref.cpu_seconds if ref else None
    print(
        _side("CPU time", f"{figures.cpu_seconds:,.1f} s", f"{cpu_ref:,.1f} s" if cpu_ref is not None else dash),
        file=out,
    )
    ours_per_page = figures.cpu_seconds / max(figures.pages, 1)
    theirs_per_page = cpu_ref / max(ref.pages, 1) if cpu_ref is not None and ref else None
    print(
        _side(
            "CPU per page",
            f"{1000 * ours_per_page:,.1f} ms",
            f"{1000 * theirs_per_page:,.1f} ms" if theirs_per_page is not None else dash,
            # Wall-clock rates swing with the machine's load; CPU per page much less.
            f"ratio {100 * theirs_per_page / ours_per_page:.0f}% (less sensitive to load)"
            if theirs_per_page and ours_per_page
            else "",
        ),
        file=out,
    )
    rss_ref = ref.peak_rss_mb if ref else None
    print(
        _side(
            "peak RSS",
            f"{figures.peak_rss_mb:,.1f} MB",
            f"{rss_ref:,.1f} MB" if rss_ref is not None else dash,
            f"target <= {TARGET_RSS_MB} MB at {TARGET_RSS_AT:,} articles",
        ),
        file=out,
    )
    print(
        _side(
            "load average",
            f"{load:.1f}" if load is not None else dash,
            f"{ref.load:.1f}" if ref else dash,
            f"{os.cpu_count()} CPUs",
        ),
        file=out,
    )
    print(f"  articles/s:     {figures.articles_per_second:,.1f}", file=out)
    print(
        f"  stored:         {stored['articles']:,} articles, {stored['article_urls']:,} article URLs, "
        f"{stored['listing_entries']:,} listing entries, {stored['pages']:,} pages",
        file=out,
    )
    total = sum(figures.stage_seconds.values())
    shares = ", ".join(
        f"{stage} {seconds:.2f} s ({100 * seconds / figures.seconds if figures.seconds else 0:.1f}%)"
        for stage, seconds in figures.stage_seconds.items()
    )
    print(
        f"  crawl:          {figures.stats.get('archiver/status', '?')}, {int(figures.stats.get('item_scraped_count', 0)):,} items, "
        f"{int(figures.stats.get('log_count/ERROR', 0))} errors logged",
        file=out,
    )
    if int(figures.stats.get("log_count/ERROR", 0)):
        print("  log (end):\n" + figures.log_tail, file=out)
    print(f"  pipeline time:  {shares}", file=out)
    print(
        f"  pipelines:      {total:.2f} s = {100 * total / figures.seconds if figures.seconds else 0:.1f}% "
        "of the crawl's wall time (the rest: Scrapy, parsing, snapshots, waiting)",
        file=out,
    )


def run(
    articles: int = 5000,
    *,
    seed: int = 2024,
    compare: bool = True,
    profile: str | None = None,
    out: TextIO = sys.stdout,
) -> dict:
    """Crawl n synthetic articles and (with `compare`) run `scrapy bench` as long; print and return the figures."""
    load = load_average()
    figures = run_crawl(articles, seed=seed, profile=profile)
    load = max(load, load_average())
    reference = scrapy_bench_figures(figures.seconds) if compare else None
    print_crawl(figures, out, reference, load)
    result: dict[str, Any] = {
        "articles": articles,
        "reposts": figures.reposts,
        "pages": figures.pages,
        "seconds": figures.seconds,
        "pages_per_second": figures.pages_per_second,
        "articles_per_second": figures.articles_per_second,
        "peak_rss_mb": figures.peak_rss_mb,
        "cpu_seconds": figures.cpu_seconds,
        "stage_seconds": figures.stage_seconds,
        "stored": figures.stored,
        "load": load,
    }
    if compare:
        if reference is None:
            result["scrapy_bench_pages_per_second"] = None
            print("  scrapy bench:   failed (is port 8998 taken?)", file=out)
        else:
            result["scrapy_bench_pages_per_second"] = reference.pages_per_second
            result["scrapy_bench_peak_rss_mb"] = reference.peak_rss_mb
            result["scrapy_bench_load"] = reference.load
            result["ratio"] = figures.pages_per_second / reference.pages_per_second
            if reference.cpu_seconds and figures.cpu_seconds:
                result["cpu_ratio"] = (reference.cpu_seconds / max(reference.pages, 1)) / (
                    figures.cpu_seconds / max(figures.pages, 1)
                )
    if profile:
        print(f"  profile:        {profile}", file=out)
    out.flush()
    return result


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        serve(int(argv[1]), int(argv[2]) if len(argv) > 2 else 2024)
    elif argv[:1] == ["crawl"]:
        crawl(argv[1], argv[2], argv[3] if len(argv) > 3 else None)
    else:
        run(int(argv[0]) if argv else 5000)


if __name__ == "__main__":
    main(sys.argv[1:])
