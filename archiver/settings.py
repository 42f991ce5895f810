"""Scrapy settings for newsarchiver: polite defaults, the pipeline order, the database URL.

Every value can be overridden the Scrapy way (`-s NAME=value`) or by the `archiver` CLI.
"""

import os

from archiver import __version__

BOT_NAME = "newsarchiver"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Where the archive lives: any SQLAlchemy URL. The CLI's --db overrides it.
ARCHIVER_DB_URL = os.environ.get("ARCHIVER_DB_URL", "sqlite:///archive.sqlite")

# Politeness: a User-Agent that names the project and a way to reach its operator. Set your own
# contact with $ARCHIVER_CONTACT or -s ARCHIVER_CONTACT=mailto:you@example.org (spiders/base.py
# builds the User-Agent from it unless USER_AGENT itself is set). Per-site delays: a spider's
# custom_settings (DOWNLOAD_DELAY), which -s DOWNLOAD_DELAY=… still overrides.
ARCHIVER_CONTACT = os.environ.get("ARCHIVER_CONTACT", "https://github.com/newsarchiver/newsarchiver")
USER_AGENT = f"newsarchiver/{__version__} (+{ARCHIVER_CONTACT})"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Limits that keep a crawl bounded whatever a site serves.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
# A backstop against endless pagination or link traps: no request deeper than this many links from
# a start page. Deep enough for years of a paginated newstream (20 entries a page).
DEPTH_LIMIT = 20000
DOWNLOAD_FAIL_ON_DATALOSS = True
# A page given up on is counted once, as archiver/http_errors/<reason> (archiver/middlewares/failures.py, which
# logs it at WARNING); Scrapy's own give-up message would count it again as an ERROR.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
# Permanent failures are recorded per URL in the run's stats (archiver/middlewares/failures.py); at most this many URLs.
ARCHIVER_FAILED_URLS_MAX = 1000
METAREFRESH_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Development only: ARCHIVER_HTTPCACHE=1 keeps responses in .scrapy/httpcache.
HTTPCACHE_ENABLED = os.environ.get("ARCHIVER_HTTPCACHE", "") not in ("", "0")
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_EXPIRATION_SECS = 0

# Data flows one way: spider → items → dates → text → dedup → store.
ITEM_PIPELINES = {
    "pipelines.dates.DatesPipeline": 100,
    "pipelines.text.TextPipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.store.StorePipeline": 400,
}
# How many items the store writes per transaction.
ARCHIVER_STORE_BATCH = 200

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

EXTENSIONS = {
    "archiver.extensions.crawlrun.CrawlRunRecorder": 100,
    # After Scrapy's SpiderState (0), so the JOBDIR is marked clean only once everything is saved.
    "archiver.extensions.jobdir.JobDirGuard": 900,
    "archiver.extensions.progress.ProgressReporter": 910,
}
ARCHIVER_MODE = "crawl"
# Seconds between progress lines on stderr (archiver/extensions/progress.py); 0 = none. The CLI sets it.
ARCHIVER_PROGRESS_INTERVAL = 0

# Page snapshots (archiver/middlewares/snapshots.py): every HTML/feed response kept as served, one compressed
# copy per distinct body; conditional requests (archiver/middlewares/conditional.py) revisit with the stored
# ETag / Last-Modified and reuse the stored body on 304 Not Modified.
ARCHIVER_SNAPSHOTS = True
ARCHIVER_SNAPSHOT_COMPRESSION = "zlib"  # or "zstd" (needs the optional zstandard package)
ARCHIVER_SNAPSHOT_BATCH = 100
ARCHIVER_CONDITIONAL_REQUESTS = True
# Every downloader middleware of the project, in one dict (a second DOWNLOADER_MIDDLEWARES would
# replace this one). Order matters: SiteGuard right after OffsiteMiddleware (50); the failure
# recorders and response filters below RetryMiddleware (550) and RedirectMiddleware (600) see final
# outcomes only; RedirectLimitRecorder sits just above RedirectMiddleware. See archiver/middlewares/failures.py
# and archiver/middlewares/guards.py.
DOWNLOADER_MIDDLEWARES = {
    "archiver.middlewares.guards.SiteGuard": 60,
    "archiver.middlewares.guards.CharsetRepair": 520,
    "archiver.middlewares.guards.PageTypeFilter": 530,
    "archiver.middlewares.failures.FailureRecorder": 540,
    "archiver.middlewares.conditional.ConditionalRequests": 584,
    "archiver.middlewares.snapshots.SnapshotRecorder": 585,
    "archiver.middlewares.failures.RedirectLimitRecorder": 610,
}

# KCNA Watch (spiders/kcnawatch.py): the source listings /article/ID/ a run starts from when the feed
# cannot be read, or a backfill pages back (comma-separated listing ids, e.g. "163,177"; empty: the
# sources /newstream/ names), and the "load more" source id of listings that do not print it
# ("163:189661,177:190036"). The same as `-a sources=…` and `-a source_ids=…`.
KCNAWATCH_SOURCES = ""
KCNAWATCH_SOURCE_IDS = ""
