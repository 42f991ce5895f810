"""newsarchiver: archive news sites built around listing pages (Scrapy → pipelines → SQL)."""

__version__ = "0.1.0"
