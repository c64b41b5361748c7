"""Scrapy settings for the gazette spiders (``SCRAPY_SETTINGS_MODULE=spiders.settings``).

Every value that differs from Scrapy's default says why. Secrets are never set here: spiders read API
keys from ``ALERTBOT_*`` environment variables.
"""

BOT_NAME = "alertbot"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawlmany PLAN.json` (spiders/commands/crawlmany.py): the demo runs every sample in one process.
COMMANDS_MODULE = "spiders.commands"

# Identify ourselves to the offices' servers, with a contact point, instead of Scrapy's generic agent.
USER_AGENT = (
    "alertbot/0.1 (gazette watch for Shenyang IP dispute guidance centre; +https://github.com/alertbot)"
)

# The sources are official bulk-data APIs and file servers meant for programmatic download, not crawled
# web pages; their robots.txt (when any) targets page crawlers and would add a request per host.
ROBOTSTXT_OBEY = False

# Be gentle with the offices: a crawl fetches a handful of large files, never many pages in parallel.
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5

# Gazette zips are 10-200 MB; the default 180 s is too short on a slow link.
DOWNLOAD_TIMEOUT = 900
# Scrapy buffers each response body in memory. Zipped daily/weekly files stay well below this; the zip
# member is then streamed from the in-memory archive into the parser, so the 186-532 MB XML is never held
# whole. The cap bounds a runaway or hostile download.
DOWNLOAD_MAXSIZE = 768 * 1024 * 1024
# Large bodies are normal here; warn only for unusually large ones.
DOWNLOAD_WARNSIZE = 256 * 1024 * 1024

# Office servers throttle (429) and have maintenance windows (502-504): retry a few times more than the default.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

# A long-running service has no use for the telnet console; it would also open a listening port.
TELNETCONSOLE_ENABLED = False
# Same for Scrapy 2.19's remote-control HTTP server (it executes code sent to a localhost port).
REMOTE_CONTROL_ENABLED = False

# Records go to the database through the ingest seam; the run summary tells `alertbot.crawling` the outcome.
ITEM_PIPELINES = {"spiders.pipelines.IngestPipeline": 300}
EXTENSIONS = {"spiders.pipelines.RunSummary": 500}

# Feed exports (`-O out.jsonl` while debugging) must keep CJK and diacritics readable.
FEED_EXPORT_ENCODING = "utf-8"

# Zip-bomb and oversize bounds (see spiders/base/archive.py): real USPTO members are up to ~560 MB and
# deflate ~18:1; classic bombs are ~1000:1.
GAZETTE_ZIP_MAX_MEMBER_BYTES = 2 * 1024**3
GAZETTE_ZIP_MAX_TOTAL_BYTES = 8 * 1024**3
GAZETTE_ZIP_MAX_RATIO = 200.0
GAZETTE_XML_MAX_BYTES = 4 * 1024**3

# Source endpoints (real defaults; override per deployment or in tests).
USPTO_TM_PRODUCT_URL = "https://api.uspto.gov/api/v1/datasets/products/TRTDXFAP"
USPTO_PATENT_PRODUCT_URL = "https://api.uspto.gov/api/v1/datasets/products/APPXML"
EPO_OPS_BASE_URL = "https://ops.epo.org/3.2"
KIPRIS_BASE_URL = "http://plus.kipris.or.kr/kipo-api/kipi/trademarkInfoSearchService"
