"""Reparse benchmark: crawl the synthetic KCNA Watch mirror into a temporary archive, then time
`archiver reparse` over its stored pages (pages/s, CPU of this process, workers, load).

The crawl uses the crawl benchmark's mirror process and crawl subcommand (archiver/bench/crawl.py);
the reparse is `archiver.research.reparse.reparse`, as the command runs it. A reparse right after the
crawl changes nothing, which the printed line shows (every count 0).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from archiver.bench.crawl_run import MirrorProcess, crawl_command

TARGET_PAGES_PER_S = 300


def crawl_into(db_url: str, articles: int, folder: str) -> None:
    with MirrorProcess(articles) as mirror:
        command = crawl_command("kcnawatch", mirror.base_url, db_url)
        done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    if done.returncode != 0:
        raise RuntimeError(f"the reparse benchmark's crawl failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def run(articles: int = 300, *, workers: int | None = None, out: TextIO = sys.stdout) -> dict:
    """Crawl `articles` synthetic articles, reparse their pages; print and return the figures."""
    from archiver.archive.engine import make_engine
    from archiver.crawl.runner import base_settings
    from archiver.research.reparse import reparse

    with tempfile.TemporaryDirectory(prefix="archiver-bench-") as folder:
        db_url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        crawl_into(db_url, articles, folder)
        settings = base_settings(db_url, mode="reparse")
        if workers:
            settings.set("ARCHIVER_REPARSE_WORKERS", workers)
        used = settings.getint("ARCHIVER_REPARSE_WORKERS") or os.cpu_count() or 1
        engine = make_engine(db_url)
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        try:
            [report] = reparse(engine, settings, sites=["kcnawatch"])
        finally:
            engine.dispose()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = report.pages / seconds if seconds else 0.0
    out.write(
        f"reparse of the {report.pages:,} stored pages of a {articles:,}-article crawl: {seconds:.1f} s = "
        f"{rate:,.0f} pages/s with {used} worker{'s' if used != 1 else ''} "
        f"(target >= {TARGET_PAGES_PER_S} on 2 CPUs); {cpu:.1f} s CPU in the writing process; "
        f"load average {max(load, os.getloadavg()[0]):.1f} on {os.cpu_count()} CPUs\n"
    )
    out.write(f"  {report.line()}\n")
    out.flush()
    return {"articles": articles, "pages": report.pages, "seconds": seconds, "pages_per_second": rate, "workers": used}
