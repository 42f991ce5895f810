"""Running crawls: the CrawlerProcess runner and the distributed (scrapy-redis) crawl."""
