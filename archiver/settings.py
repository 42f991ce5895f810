"""Scrapy settings for newsarchiver: polite defaults, the pipeline order, the database URL.

Every value can be overridden the Scrapy way (`-s NAME=value`) or by the `archiver` CLI.
"""

import os

from archiver import __version__

BOT_NAME = "newsarchiver"
# $ARCHIVER_SPIDER_MODULES: more modules of spiders, comma-separated (site spiders kept elsewhere, test spiders).
SPIDER_MODULES = [
    "spiders",
    *(m.strip() for m in os.environ.get("ARCHIVER_SPIDER_MODULES", "").split(",") if m.strip()),
]
NEWSPIDER_MODULE = "spiders"
# The built-in spiders and the site profiles (*.toml) of ARCHIVER_SITES, each a spider name
# (spiders/loader.py). `archiver … --sites DIR` overrides the folder.
SPIDER_LOADER_CLASS = "spiders.loader.SiteLoader"
ARCHIVER_SITES = os.environ.get("ARCHIVER_SITES", "sites")

# Where the archive lives: any SQLAlchemy URL. The CLI's --db overrides it.
ARCHIVER_DB_URL = os.environ.get("ARCHIVER_DB_URL", "sqlite:///archive.sqlite")

# Politeness: a User-Agent that names the project and a way to reach its operator. Set your own
# contact with $ARCHIVER_CONTACT or -s ARCHIVER_CONTACT=mailto:you@example.org (spiders/base.py
# builds the User-Agent from it unless USER_AGENT itself is set). Per-site delays: a spider's
# custom_settings (DOWNLOAD_DELAY), which -s DOWNLOAD_DELAY=… still overrides.
# Until it is set, a crawl of a real host warns (spiders/base.py): the placeholder names nobody.
PLACEHOLDER_CONTACT = "https://github.com/newsarchiver/newsarchiver"
ARCHIVER_CONTACT = os.environ.get("ARCHIVER_CONTACT") or PLACEHOLDER_CONTACT  # empty: not set
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
# Walks bounded by what they find (archiver/archive/incremental.py): a walk ends after this many
# listing pages in a row that list nothing new in this run, and a run walks at most this many
# listing pages (0: no bound). A walk cut short by the bound is resumed by the next run.
ARCHIVER_WALK_MAX_BARREN_PAGES = 10
ARCHIVER_WALK_MAX_LISTING_PAGES = 5000
# At the end of its own walks, a run requests at most this many listed articles never fetched.
ARCHIVER_PENDING_MAX = 1000
DOWNLOAD_FAIL_ON_DATALOSS = True
# A page given up on is counted once, as archiver/http_errors/<reason> (archiver/middlewares/failures.py, which
# logs it in one WARNING line, URL and cause); Scrapy's own give-up message would say it a second time.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# Permanent failures are recorded per URL in the run's stats (archiver/middlewares/failures.py); at most this many URLs.
ARCHIVER_FAILED_URLS_MAX = 1000
# An article address that answers one of these on this many runs is gone (archiver/middlewares/gone.py):
# no longer an error, no longer requested by crawls (backfills and --refresh still ask). 0: never.
ARCHIVER_GONE_AFTER = 3
ARCHIVER_GONE_STATUSES = [404, 410]
# Revisits (spiders/revisit.py, archiver/archive/revisits.py): at the end of an ordinary crawl of the real
# site (backfills and --base-url runs only with --revisit), archived articles are fetched again at these
# ages (days after first seen), plus a random sample of older ones, at most ARCHIVER_REVISIT_BUDGET
# requests a run (None: 5% of the run's requests or 50, whichever is larger; 0: no revisits). A changed
# text becomes a new version; a takedown is confirmed by the next run. The seed makes the sample repeatable.
ARCHIVER_REVISIT_AGES = [1, 7, 30, 180]
ARCHIVER_REVISIT_SAMPLE = 5
ARCHIVER_REVISIT_BUDGET = None
ARCHIVER_REVISIT_SEED = None
METAREFRESH_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Nor Scrapy's remote-control HTTP server (a listening port per run, like the telnet console).
REMOTE_CONTROL_ENABLED = False

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
# How many items the store writes per transaction, and at most how many seconds it keeps items while more
# come in (pipelines/store.py; 0: only full batches). A KCNA Watch article page gives ~20 "More From"
# entries: 1,000 items are ~50 pages, and each batch has a fixed cost of ~17 ms (issue 27).
ARCHIVER_STORE_BATCH = 1000
ARCHIVER_STORE_FLUSH_SECONDS = 10.0
# Processes that parse stored pages during `archiver reparse` (0 = one per CPU; 1 = parse in the writing process).
ARCHIVER_REPARSE_WORKERS = 0
# How many items a reparse writes per transaction: no crawl waits on it, and the statements per batch
# stay the same, so a larger batch costs the writing process less CPU.
ARCHIVER_REPARSE_BATCH = 2000

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# Scrapy's request filter with its fingerprints in ~16 bytes each (archiver/extensions/dupefilter.py).
DUPEFILTER_CLASS = "archiver.extensions.dupefilter.CompactDupeFilter"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# The `archiver` commands leave out the block Scrapy logs at every start (versions, settings, the
# lists of components; see archiver/crawl/runner.py) unless -v; and the stats dump at the end: a
# run's stats are in crawl_runs (`archiver runs`). Plain `scrapy crawl` keeps both.
ARCHIVER_LOG_STARTUP = True

# Article pages that give no body are counted, listed (at most this many URLs) and warned about;
# how many start walks began and ended is counted (archiver/middlewares/walks.py: "3 of 8 listings");
# article items are told which stored page they came from (for the versions of their text).
SPIDER_MIDDLEWARES = {
    "archiver.middlewares.walks.WalkPages": 800,
    "archiver.middlewares.bodyless.BodylessArticles": 950,
    "archiver.middlewares.pagestamp.PageStamp": 960,
}
ARCHIVER_NO_BODY_URLS_MAX = 100

EXTENSIONS = {
    # Before the CrawlRunRecorder: its verdict (archiver/field_yield/warnings) decides "degraded".
    "archiver.extensions.fieldyield.FieldYieldMonitor": 90,
    # Adds its line to the field-yield warnings when robots.txt kept the run from every page.
    "archiver.extensions.robots.RobotsVerdict": 95,
    "archiver.extensions.crawlrun.CrawlRunRecorder": 100,
    # Ties addresses that redirected to an archived article to it, at spider close.
    "archiver.extensions.redirects.RedirectMemory": 110,
    # After Scrapy's SpiderState (0), so the JOBDIR is marked clean only once everything is saved.
    "archiver.extensions.jobdir.JobDirGuard": 900,
    "archiver.extensions.progress.ProgressReporter": 910,
    # The first SIGTERM/SIGINT ends the run within ARCHIVER_STOP_GRACE seconds, whatever it is doing.
    "archiver.extensions.stopguard.StopGuard": 920,
}
ARCHIVER_STOP_GRACE = 5.0
# No per-item "Scraped from" record unless LOG_LEVEL is DEBUG (archiver/extensions/logformatter.py).
LOG_FORMATTER = "archiver.extensions.logformatter.QuietLogFormatter"
# Scrapy re-reads a callback's source for every response to warn about `return value` in a generator
# (its cache holds callbacks weakly, and a bound method is made anew for each request): 1–3% of a crawl; a spider file
# edited during a long crawl makes it fail for every later response. Ruff/tests catch such returns.
WARN_ON_GENERATOR_RETURN_VALUE = False
ARCHIVER_MODE = "crawl"
# Field yield (archiver/extensions/fieldyield.py): what each page kind gave, judged at the end of a run.
# A finding makes the run "degraded" (exit 1). Floors, on every run: more than EMPTY_PAGES_MAX of the
# pages of a kind the spider requires items of (its `required_fields`) gave none, or a required field
# is empty on more than EMPTY_FIELD_MAX of the rows. Against the site's last HISTORY_RUNS "ok" runs:
# a field's filled share, the share of pages giving items, or the entries per page fell to at most
# DROP of theirs, where they make at least MIN_EXPECTED filled rows (or pages) expected.
ARCHIVER_YIELD_ENABLED = True
ARCHIVER_YIELD_EMPTY_PAGES_MAX = 0.5
ARCHIVER_YIELD_EMPTY_FIELD_MAX = 0.5
ARCHIVER_YIELD_DROP = 0.5
ARCHIVER_YIELD_MIN_EXPECTED = 5
ARCHIVER_YIELD_HISTORY_RUNS = 5
# Progress on stderr while a run goes (archiver/extensions/progress.py): a bar on a terminal, else a line
# every ARCHIVER_PROGRESS_INTERVAL seconds (0: none). Off for plain `scrapy crawl`; the archiver commands
# turn it on unless -q.
ARCHIVER_PROGRESS = False
ARCHIVER_PROGRESS_INTERVAL = 30

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
    "archiver.middlewares.robots.UnreachableRobots": 535,
    "archiver.middlewares.walks.WalkDownloads": 536,
    "archiver.middlewares.failures.FailureRecorder": 540,
    "archiver.middlewares.gone.GoneRecorder": 545,
    "archiver.middlewares.conditional.ConditionalRequests": 584,
    # Scrapy's own, in its place (590), recording what it stops as a decompression bomb.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "archiver.middlewares.failures.BombRecordingDecompression": 590,
    "archiver.middlewares.snapshots.SnapshotRecorder": 585,
    "archiver.middlewares.failures.RedirectLimitRecorder": 610,
    # Just above RetryMiddleware: a 429/503's Retry-After waited for, or the page postponed to the next run.
    "archiver.middlewares.retryafter.RetryAfter": 560,
    # Below the SnapshotRecorder (the snapshot stays as served): a page past ARCHIVER_PAGE_MAX_LINKS is cut.
    "archiver.middlewares.bounds.LinkBound": 580,
}
# A page linking more than this many pages is read up to that many (a 100,000-link listing would hold
# the crawl for minutes); counted in archiver/pages_cut/too_many_links and said in the summary. 0: no bound.
ARCHIVER_PAGE_MAX_LINKS = 1000
# The longest Retry-After (seconds) a run waits for before retrying a 429/503; a page asked to wait
# longer is postponed to the next run (counted in archiver/postponed/retry_after, not an error).
ARCHIVER_RETRY_AFTER_MAX = 60

# KCNA Watch (spiders/kcnawatch.py): the source listings /article/ID/ a run starts from when the feed
# cannot be read, or a backfill pages back (comma-separated listing ids, e.g. "163,177"; empty: the
# sources /newstream/ names), and the "load more" source id of listings that do not print it
# ("163:189661,177:190036"). The same as `-a sources=…` and `-a source_ids=…`.
KCNAWATCH_SOURCES = ""
KCNAWATCH_SOURCE_IDS = ""
