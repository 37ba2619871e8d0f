"""Scrapy settings of the beian-audit crawler: a broad crawl of many hosts, a few pages each.

Values that users tune live in beian.toml ([crawl]); `SitesSpider.update_settings`
maps them onto the Scrapy settings below, so `beian crawl` and `scrapy crawl sites`
behave alike. See https://docs.scrapy.org/en/latest/topics/broad-crawls.html
"""

BOT_NAME = "beian-audit"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}

# Broad crawl: many hosts in parallel, little per host.
CONCURRENT_REQUESTS = 128
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0
# Items are handled in parallel per response by CONCURRENT_ITEMS asyncio tasks, created for
# every response; a homepage yields a few items, so many tasks would be pure overhead.
CONCURRENT_ITEMS = 8
# Scrapy's default DownloaderAwarePriorityQueue scans every host's slot on each dequeue:
# with thousands of hosts of one or two requests each, that scan costs more than it saves.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"
REACTOR_THREADPOOL_MAXSIZE = 20
DOWNLOAD_TIMEOUT = 15
RETRY_TIMES = 1
# A retry goes before the requests still queued, not after them all: otherwise the last
# part of a crawl is spent on the retries of dead sites, one timeout each, slots idle.
RETRY_PRIORITY_ADJUST = 1
# A site that stays down is an outcome to record, not an error of the crawler.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
REDIRECT_MAX_TIMES = 10
# The spider follows <meta http-equiv="refresh"> itself, from the page it has decoded.
METAREFRESH_ENABLED = False
# Responses are cut at DOWNLOAD_SIZE_CAP and kept (outcome too_large) by the SizeCap
# extension; DOWNLOAD_MAXSIZE, which drops them whole, is only a backstop.
DOWNLOAD_SIZE_CAP = 5 * 1024 * 1024
DOWNLOAD_MAXSIZE = 0
DOWNLOAD_WARNSIZE = 0
# RunRecorder creates or resumes the run, and finishes it (crawler/run.py).
EXTENSIONS = {"crawler.run.RunRecorder": 0, "crawler.extensions.SizeCap": 100}
# Content-Encoding is decoded up to DOWNLOAD_SIZE_CAP too: a 2 KB answer can decode to 1 GiB.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.decoding.BoundedDecompression": 590,
}
# Connections go only to addresses the guard allows (audit/page/addresses.py): IPv4 and IPv6.
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"
DNSCACHE_ENABLED = True
COOKIES_ENABLED = False
AUTOTHROTTLE_ENABLED = False
AJAXCRAWL_ENABLED = False
ROBOTSTXT_OBEY = False
DEPTH_PRIORITY = 0

# Off: a localhost server that runs Python code, and the telnet console.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# The crawl is driven from the database; no feed output, no job directory.
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0
FEED_EXPORT_ENCODING = "utf-8"
