"""The crawl benchmark's processes: the mirror server, the crawl, and `scrapy bench` beside it.

`python -m archiver.bench.crawl_run serve SITE N` serves N synthetic articles of SITE (kcnawatch or
rstv; archiver/bench/crawl_mirror.py) from its own process and prints its base URL, so that neither
the server's memory nor its CPU is the crawler's. `python -m archiver.bench.crawl_run crawl SITE
BASE_URL DB_URL [PROFILE]` crawls it with no delay and no AutoThrottle, robots.txt obeyed, into an
SQLite archive, and prints its stats, peak RSS and CPU time as JSON (PROFILE: a cProfile dump when
it ends in `.prof`, else a pyinstrument text profile). `scrapy_bench_figures` runs Scrapy's own
benchmark for about as long, in a wrapper that reads its peak RSS and CPU time.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.crawl.scrapy_private import PipelineMethodHook
from archiver.mirror import FULL_SPEED

# The benchmark's own crawl settings: full speed, one site, robots.txt obeyed as always.
CRAWL_SETTINGS = {
    **FULL_SPEED,
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "WARNING",
    "ARCHIVER_PROGRESS_INTERVAL": 0,
    "ITEM_PROCESSOR": "archiver.bench.crawl_run.TimedItemPipelineManager",
}
STAGES = ("dates", "text", "dedup", "store")


@dataclass
class CrawlFigures:
    site: str
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
def serve(site: str, n: int, seed: int) -> None:
    """The mirror process: serve n synthetic articles of `site` until killed; the base URL on stdout."""
    from archiver.bench.crawl_mirror import MIRRORS
    from archiver.mirror.server import MirrorServer

    make_articles, make_site, repost_count = MIRRORS[site]
    articles = make_articles(n, seed)
    server = MirrorServer(make_site(articles)).start()
    print(server.base_url, repost_count(articles), flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin or kills us
    finally:
        server.stop()


def crawl(site: str, base_url: str, db_url: str, profile: str | None = None) -> None:
    """The crawl process: crawl the mirror into db_url; stats, peak RSS and CPU time as JSON on stdout."""
    from archiver.crawl.runner import run_spiders

    profiler: Any = None
    if profile and profile.endswith(".prof"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    elif profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    tracer = (
        MemoryTracer(os.environ["ARCHIVER_BENCH_TRACEMALLOC"]) if os.environ.get("ARCHIVER_BENCH_TRACEMALLOC") else None
    )
    # ARCHIVER_BENCH_SETTINGS: a JSON object of settings to try on the benchmark's crawl.
    settings = {**CRAWL_SETTINGS, **json.loads(os.environ.get("ARCHIVER_BENCH_SETTINGS") or "{}")}
    [summary] = run_spiders({site: {"base_url": base_url}}, db_url=db_url, settings=settings)
    if tracer is not None:
        tracer.stop()
    if profile and profile.endswith(".prof"):
        profiler.disable()
        profiler.dump_stats(profile)
    elif profile:
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


class MemoryTracer:
    """tracemalloc in the crawl process (ARCHIVER_BENCH_TRACEMALLOC=FILE): a snapshot every few seconds
    from a thread; at the end, what grew most between the first one and the last one, into FILE."""

    def __init__(self, path: str, every: float = 5.0) -> None:
        import threading
        import tracemalloc

        self.path, self.every = path, every
        tracemalloc.start(4)
        self.snapshots: list[Any] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        import tracemalloc

        while not self.done.wait(self.every):
            snapshot = tracemalloc.take_snapshot()
            self.snapshots = [self.snapshots[0], snapshot] if self.snapshots else [snapshot]

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
        if len(self.snapshots) < 2:
            return
        first, last = self.snapshots
        lines = [str(stat) for stat in last.compare_to(first, "traceback")[:40]]
        for stat in last.compare_to(first, "traceback")[:15]:
            lines += ["", str(stat), *stat.traceback.format()]
        Path(self.path).write_text("\n".join(lines), encoding="utf-8")


class MirrorProcess:
    """The mirror server in its own process (so it takes none of the crawler's GIL or memory)."""

    def __init__(self, n: int, seed: int = 2024, site: str = "kcnawatch") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "archiver.bench.crawl_run", "serve", site, str(n), str(seed)],
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


def crawl_command(site: str, base_url: str, db_url: str) -> list[str]:
    """The command line of a crawl process (also the reparse benchmark's)."""
    return [sys.executable, "-m", "archiver.bench.crawl_run", "crawl", site, base_url, db_url]


def run_crawl(
    n: int, *, site: str = "kcnawatch", seed: int = 2024, profile: str | None = None, workdir: Path | None = None
) -> CrawlFigures:
    """Serve n synthetic articles of `site`, crawl them in a fresh process into a temporary archive; the figures."""
    with tempfile.TemporaryDirectory(prefix="archiver-bench-", dir=workdir) as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        with MirrorProcess(n, seed, site) as mirror:
            command = crawl_command(site, mirror.base_url, db_url)
            if profile:
                command.append(str(Path(profile).resolve()))  # the crawl runs in the temporary folder
            done = subprocess.run(command, capture_output=True, text=True, cwd=tmp, env=project_env())
            reposts = mirror.reposts
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"the benchmark crawl failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        stats = report["stats"]
        return CrawlFigures(
            site=site,
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


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        serve(argv[1], int(argv[2]), int(argv[3]) if len(argv) > 3 else 2024)
    elif argv[:1] == ["crawl"]:
        crawl(argv[1], argv[2], argv[3], argv[4] if len(argv) > 4 else None)
    else:
        raise SystemExit(
            "usage: python -m archiver.bench.crawl_run serve SITE N [SEED] | crawl SITE BASE_URL DB_URL [PROFILE]"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
