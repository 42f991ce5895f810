"""Pure normalizers: dates, text and URLs. No Scrapy, no database: the bottom layer."""
