"""Scrapy extensions: the crawl-run recorder, progress lines, the JOBDIR guard of resumable backfills."""
