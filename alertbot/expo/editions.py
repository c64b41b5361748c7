"""Show editions: one small YAML file each, bundled with the package or added in ``<data dir>/expos/``.

An edition file says which show and edition it is (names, dates, venue, halls), where its exhibitor list is
published and in which format (``html`` | ``json`` | ``xlsx`` | ``csv`` | ``pdf``), and how the published
fields map onto ours (``name_zh``, ``name_en``, ``name_raw``, ``booth``, ``hall``, ``country``, ``products``,
``brands``, ``website``). The schema is documented with a worked example per format in docs/expo.md.

Bundled editions live in ``alertbot/expo/editions/``; a file in ``<data dir>/expos/`` with the same ``id``
replaces the bundled one, so a pip-installed alertbot needs no source edit for a new show.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alertbot.settings import Settings

FORMATS = ("html", "json", "xlsx", "csv", "pdf")
FIELD_NAMES = ("name_zh", "name_en", "name_raw", "booth", "hall", "country", "products", "brands", "website")
NAME_FIELDS = ("name_zh", "name_en", "name_raw")
LIST_FIELDS = ("products", "brands")
SPIDER_NAME = "expo_exhibitors"
SOURCE_KIND = "expo"
# Outside expo mode an edition is crawled once a day, at this local time (before the centre's working day).
DAILY_CRAWL_AT = dt.time(6, 0)
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$")
# A booth like E2-A320 or 7.2H-A320 names its hall before the dash (ASCII or full-width).
DEFAULT_HALL_PATTERN = r"^\s*(?P<hall>[^-－—–\s]+)\s*[-－—–]"


class EditionError(ValueError):
    """An edition file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    """A name in Chinese and English; ``short`` is the acronym used in messages (CIEME)."""

    zh: str = Field(min_length=1)
    en: str = ""
    short: str = ""


class Venue(_Strict):
    """Where the show is held."""

    zh: str = ""
    en: str = ""


class FieldMap(_Strict):
    """Where each of our fields comes from: a selector (html), a JMESPath (json), or a column header or
    1-based column number (xlsx, csv, pdf). Unmapped fields stay empty."""

    name_zh: str | int | None = None
    name_en: str | int | None = None
    name_raw: str | int | None = None
    booth: str | int | None = None
    hall: str | int | None = None
    country: str | int | None = None
    products: str | int | None = None
    brands: str | int | None = None
    website: str | int | None = None

    def mapped(self) -> dict[str, str | int]:
        """The mapped fields only, in schema order."""
        return {name: value for name in FIELD_NAMES if (value := getattr(self, name)) is not None}


class HtmlMapping(_Strict):
    """An HTML list page: one element per exhibitor, and a link to the next page.

    Selectors are CSS (``li.item``, ``.name::text``, ``a::attr(href)``) or XPath when they start with ``/``,
    ``./`` or ``(``. Field selectors are relative to the row.
    """

    rows: str = Field(min_length=1)
    next_page: str | None = None
    max_pages: int = Field(default=500, ge=1)


class JsonDetail(_Strict):
    """An optional detail call per exhibitor: ``url`` has ``{id}``, filled from the list item's ``id`` path;
    ``fields`` (JMESPath on the detail answer, after ``root``) fill or replace the list's fields."""

    url: str = Field(min_length=1)
    id: str = Field(min_length=1)
    root: str | None = None
    fields: FieldMap = Field(default_factory=FieldMap)

    @field_validator("url")
    @classmethod
    def _has_id(cls, value: str) -> str:
        if "{id}" not in value:
            raise ValueError("the detail url must contain {id}")
        return value


class JsonMapping(_Strict):
    """A paged JSON API: ``url`` may contain ``{page}`` and ``{size}``; ``items`` is the JMESPath of the list.

    Paging stops at ``total_pages`` (a JMESPath on the answer) when given, else at the first page with fewer
    than ``page_size`` items (or none).
    """

    items: str = Field(min_length=1)
    page_start: int = 1
    page_size: int = Field(default=50, ge=1)
    total_pages: str | None = None
    max_pages: int = Field(default=500, ge=1)
    headers: dict[str, str] = Field(default_factory=dict)
    detail: JsonDetail | None = None


class TableMapping(_Strict):
    """A spreadsheet, CSV or PDF table. Columns are found by header text (``header_row``, 1-based, or the
    first row holding every mapped header) or given as 1-based numbers."""

    header_row: int | None = Field(default=None, ge=1)
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str = ","
    # PDF catalogues wrap long names onto a second table row whose booth cell is empty: join it to the row above.
    continuation: bool = True
    pdf: dict[str, Any] = Field(default_factory=dict, description="pdfplumber table_settings")


class Edition(_Strict):
    """One show edition (one YAML file)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    show: Names
    edition: str = ""
    starts: dt.date
    ends: dt.date
    timezone: str = "Asia/Shanghai"
    venue: Venue = Field(default_factory=Venue)
    halls: list[str] = Field(default_factory=list)
    format: Literal["html", "json", "xlsx", "csv", "pdf"]
    url: str | list[str] | None = None
    classes: list[int] = Field(default_factory=list)
    expo_mode_days: int = Field(default=7, ge=0)
    expo_mode_interval: dt.timedelta = dt.timedelta(hours=1)
    hall_pattern: str = DEFAULT_HALL_PATTERN
    separators: str = "、,，;；|"
    fields: FieldMap
    html: HtmlMapping | None = None
    json_api: JsonMapping | None = Field(default=None, alias="json")
    table: TableMapping = Field(default_factory=TableMapping)
    notes: str = ""
    path: Path | None = Field(default=None, exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("expo_mode_interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            found = _DURATION.match(value)
            if not found or not any(found.groups()):
                raise ValueError(f"{value!r} is not a duration like 1h, 30m, 2h30m or 1d")
            days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
            return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("classes")
    @classmethod
    def _nice(cls, value: list[int]) -> list[int]:
        bad = [c for c in value if not 1 <= c <= 45]
        if bad:
            raise ValueError(f"Nice classes are 1-45, got {bad}")
        return sorted(set(value))

    @field_validator("hall_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from error
        if "hall" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<hall>...)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Edition:
        if self.ends < self.starts:
            raise ValueError(f"ends ({self.ends}) is before starts ({self.starts})")
        if self.expo_mode_interval <= dt.timedelta(0):
            raise ValueError("expo_mode_interval must be positive")
        if not any(getattr(self.fields, name) is not None for name in NAME_FIELDS):
            raise ValueError("fields: map at least one of name_zh, name_en, name_raw")
        if self.format == "html" and self.html is None:
            raise ValueError("format html needs an 'html' section (rows, next_page)")
        if self.format == "json" and self.json_api is None:
            raise ValueError("format json needs a 'json' section (items, paging, detail)")
        if self.format in {"html", "json"}:
            bad = {k: v for k, v in self.fields.mapped().items() if not isinstance(v, str)}
            if bad:
                raise ValueError(
                    f"fields: {self.format} fields are selectors/paths, not column numbers: {bad}"
                )
        return self

    # ---- conveniences -------------------------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        """The list URL(s); empty when not known yet."""
        if self.url is None:
            return []
        return [self.url] if isinstance(self.url, str) else list(self.url)

    @property
    def zone(self) -> ZoneInfo:
        """The show's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def title(self) -> str:
        """``中国国际装备制造业博览会 2026 (CIEME)``: the show as messages name it."""
        short = f" ({self.show.short})" if self.show.short else ""
        edition = f" {self.edition}" if self.edition else ""
        return f"{self.show.zh}{edition}{short}"

    def opens_at(self) -> dt.datetime:
        """Local midnight of the first day, in UTC."""
        return dt.datetime.combine(self.starts, dt.time(0), self.zone).astimezone(dt.UTC)

    def closes_at(self) -> dt.datetime:
        """Local midnight after the last day, in UTC."""
        return dt.datetime.combine(self.ends + dt.timedelta(days=1), dt.time(0), self.zone).astimezone(dt.UTC)

    def expo_mode_window(self) -> tuple[dt.datetime, dt.datetime]:
        """(start, end) of expo mode in UTC: ``expo_mode_days`` before opening until the show closes."""
        start = dt.datetime.combine(
            self.starts - dt.timedelta(days=self.expo_mode_days), dt.time(0), self.zone
        ).astimezone(dt.UTC)
        return start, self.closes_at()


def source_key(edition_id: str) -> str:
    """The ``Source.key`` an edition's exhibitors are stored under: the edition id itself."""
    return edition_id


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        location = ".".join(str(p) for p in item["loc"]) or "(top level)"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


def parse_edition(text: str, path: Path | str) -> Edition:
    """Validate the YAML text of one edition file; errors name the file and the key."""
    name = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise EditionError(f"{name}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise EditionError(f"{name}: expected a mapping of keys (id, show, starts, …) at the top level")
    try:
        return Edition.model_validate({**data, "path": Path(path)})
    except ValidationError as error:
        raise EditionError(f"{name}: {_describe(error)}") from error


def load_edition_file(path: Path | str) -> Edition:
    """Read and validate one edition file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise EditionError(f"{path}: cannot read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise EditionError(f"{path}: not UTF-8 text: {error}") from error
    return parse_edition(text, path)


def bundled_editions_dir() -> Path:
    """The editions shipped with the package."""
    return Path(str(files("alertbot.expo") / "editions"))


def user_editions_dir(settings: Settings) -> Path:
    """``<data dir>/expos``: where staff add or override editions."""
    return settings.data_dir / "expos"


def load_editions(settings: Settings) -> dict[str, Edition]:
    """Bundled editions plus ``<data dir>/expos/*.yaml``; a user file replaces the bundled edition with the
    same ``id``. Raises :class:`EditionError` naming the file and key of the first bad file."""
    editions: dict[str, Edition] = {}
    for folder in (bundled_editions_dir(), user_editions_dir(settings)):
        if not folder.is_dir():
            continue
        seen: dict[str, Path] = {}
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            edition = load_edition_file(path)
            if edition.id in seen:
                raise EditionError(f"{path}: id {edition.id!r} is already defined in {seen[edition.id]}")
            seen[edition.id] = path
            editions[edition.id] = edition
    return dict(sorted(editions.items(), key=lambda item: (item[1].starts, item[0])))


def get_edition(settings: Settings, edition_id: str, config: Path | str | None = None) -> Edition:
    """One edition by id, or from an explicit ``config`` file (whose id must match)."""
    if config is not None:
        edition = load_edition_file(config)
        if edition.id != edition_id:
            raise EditionError(f"{config}: id is {edition.id!r}, not {edition_id!r}")
        return edition
    editions = load_editions(settings)
    if edition_id not in editions:
        known = ", ".join(editions) or "none"
        raise EditionError(f"unknown edition {edition_id!r}; known editions: {known}")
    return editions[edition_id]


def next_crawl_at(edition: Edition, now: dt.datetime) -> dt.datetime:
    """When this edition should next be crawled, after ``now`` (timezone-aware), in UTC.

    In expo mode – from ``expo_mode_days`` before the show opens until it closes – every
    ``expo_mode_interval`` (default one hour) on a grid starting at the window's start; otherwise once a day
    at 06:00 show time, or at the start of expo mode if that comes first.
    """
    if now.tzinfo is None:
        raise ValueError("next_crawl_at needs a timezone-aware now")
    now = now.astimezone(dt.UTC)
    start, end = edition.expo_mode_window()
    step = edition.expo_mode_interval
    if start <= now < end:
        following = start + (math.floor((now - start) / step) + 1) * step
        # After the last slot before closing, back to the daily rhythm.
        return following if following < end else _next_daily(edition, end)
    daily = _next_daily(edition, now)
    if now < start <= daily:
        return start
    return daily


def _next_daily(edition: Edition, after: dt.datetime) -> dt.datetime:
    local = after.astimezone(edition.zone)
    due = dt.datetime.combine(local.date(), DAILY_CRAWL_AT, edition.zone)
    if due <= local:
        due = dt.datetime.combine(local.date() + dt.timedelta(days=1), DAILY_CRAWL_AT, edition.zone)
    return due.astimezone(dt.UTC)


def crawl_spec(edition: Edition, settings: Settings, file: str | None = None) -> tuple[str, dict[str, str]]:
    """(spider name, spider args) for :func:`alertbot.crawling.run_crawl` / ``run_crawl_async``.

    The edition file's path goes along, so the crawl reads exactly this edition (a ``--config`` file, an
    override in ``<data dir>/expos``, or the bundled one).
    """
    args = {"edition": edition.id}
    if edition.path is not None:
        args["config"] = str(edition.path.resolve())
    if file is not None:
        args["file"] = file
    elif not edition.urls:
        raise EditionError(
            f"{edition.id}: no list URL yet (url is empty); set one with `alertbot expo set-url "
            f"{edition.id} URL` or import a received file with `alertbot expo import {edition.id} FILE`"
        )
    del settings  # the crawl reads the database location from the environment, like every spider
    return SPIDER_NAME, args


_URL_LINE = re.compile(r"^url:.*$", re.MULTILINE)
_URL_COMMENT = re.compile(r"(?:^#.*\n)*^url:.*$", re.MULTILINE)


def set_url(settings: Settings, edition_id: str, url: str) -> Path:
    """Point an edition at a new list URL by writing ``<data dir>/expos/<id>.yaml``.

    A bundled edition is copied there first (it then overrides the bundled one); the file's other lines
    and comments are kept. Returns the file written.
    """
    edition = get_edition(settings, edition_id)
    assert edition.path is not None
    folder = user_editions_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = (
        edition.path if edition.path.parent.resolve() == folder.resolve() else folder / f"{edition.id}.yaml"
    )
    text = edition.path.read_text(encoding="utf-8")
    line = f"url: {yaml.safe_dump(url, default_style=chr(34), width=10_000).strip()}"
    # The comment block right above `url:` describes the URL ("stays empty until …"): replaced, not kept.
    note = f"# url set with `alertbot expo set-url` on {dt.datetime.now(edition.zone):%Y-%m-%d}"
    if len(_URL_LINE.findall(text)) == 1:
        text = _URL_COMMENT.sub(lambda _match: f"{note}\n{line}", text)
    else:
        text = text.rstrip("\n") + f"\n{line}\n"
    parse_edition(text, target)
    target.write_text(text, encoding="utf-8")
    return target
