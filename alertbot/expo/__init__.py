"""Expo exhibitor lists (CIEME, GIIC …): show editions as YAML files, their crawl schedule, and what the
on-site teams ask of the stored exhibitors. See docs/expo.md.

The crawling itself is the ``expo_exhibitors`` spider (``spiders/expo_exhibitors.py``), run as a subprocess
like every spider: ``run_crawl(*crawl_spec(edition, settings))``.
"""

from alertbot.expo.editions import (
    FIELD_NAMES,
    FORMATS,
    SOURCE_KIND,
    SPIDER_NAME,
    Edition,
    EditionError,
    bundled_editions_dir,
    crawl_spec,
    get_edition,
    load_edition_file,
    load_editions,
    next_crawl_at,
    parse_edition,
    set_url,
    source_key,
    user_editions_dir,
)
from alertbot.expo.store import (
    BoothExhibitor,
    EditionStatus,
    Exhibitor,
    FlaggedBooth,
    close_snapshot,
    edition_status,
    exhibitors,
    exhibitors_at_booth,
    flagged_booths,
    run_diff,
)

__all__ = [
    "FIELD_NAMES",
    "FORMATS",
    "SOURCE_KIND",
    "SPIDER_NAME",
    "BoothExhibitor",
    "Edition",
    "EditionError",
    "EditionStatus",
    "Exhibitor",
    "FlaggedBooth",
    "bundled_editions_dir",
    "close_snapshot",
    "crawl_spec",
    "edition_status",
    "exhibitors",
    "exhibitors_at_booth",
    "flagged_booths",
    "get_edition",
    "load_edition_file",
    "load_editions",
    "next_crawl_at",
    "parse_edition",
    "run_diff",
    "set_url",
    "source_key",
    "user_editions_dir",
]
