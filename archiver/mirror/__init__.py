"""Loopback mirrors of the target sites: a tiny HTTP server and renderers of each site's markup.

Used by `archiver demo`, the end-to-end tests and `archiver bench`; nothing here touches the network.
"""

# Scrapy settings for crawling a loopback mirror at full speed: no politeness delay towards our own
# server. The one home of these values (the demo, the benchmark and the tests start from them).
FULL_SPEED: dict[str, object] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
}
