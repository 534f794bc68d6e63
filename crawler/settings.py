"""Scrapy settings: polite by default.

Spiders arrive with the [crawler] work; these defaults are the project's promise to the
portals it reads: obey robots.txt, few requests per host, adaptive delays, backoff on
errors, and a User-Agent that says who we are.
"""

BOT_NAME = "govreports"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "govreports/0.1 (an open research dataset of government information-disclosure annual reports)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024

# Scrapy 2.19 enables an extension that runs posted code on a localhost port: never wanted here.
REMOTE_CONTROL_ENABLED = False

FEED_EXPORT_ENCODING = "utf-8"
