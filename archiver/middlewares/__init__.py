"""Scrapy downloader middlewares: site guards, failure recording, conditional requests, page snapshots."""
