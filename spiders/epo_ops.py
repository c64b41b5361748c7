"""EPO Open Patent Services (OPS 3.2): the week's publications → bibliographic records; EP publication docs.

Source
    OPS REST API, https://ops.epo.org/3.2 (reference guide: https://www.epo.org/en/searching-for-patents/data/web-services/ops).
    1. ``POST /3.2/auth/accesstoken`` with HTTP Basic ``key:secret`` and ``grant_type=client_credentials``
       → ``{"access_token": …, "expires_in": "1199"}``.
    2. ``GET /3.2/rest-services/published-data/search?q=<CQL>`` with header ``X-OPS-Range: 1-100``, paged
       until ``ops:biblio-search/@total-result-count`` (OPS caps a search at 2,000 results: narrow the
       query – e.g. by applicant – if the week has more).
    3. ``POST /3.2/rest-services/published-data/publication/docdb/biblio`` with up to 100 docdb numbers
       (``EP.3782854.A1,…``) → ``exchange-document`` records.
    Also parses EP publication-server documents (``ep-patent-document``, SDOBI B-codes as in the European
    Patent Bulletin) given with ``file=``.
Cadence
    EP publications and the Bulletin appear on Wednesdays; run weekly (Thursday) for the past week.
Auth
    OAuth2 client credentials from env ``ALERTBOT_EPO_OPS_KEY`` / ``ALERTBOT_EPO_OPS_SECRET``. The token
    lives ~20 minutes; an "invalid/expired token" answer triggers one token refresh and a retry.
Caveats
    Fair use is a weekly data-volume quota; the ``X-Throttling-Control`` header is logged and kept in the
    stats. In epodoc applicant names the country follows an **EN SPACE (U+2002)**: ``9SOLUTIONS OY\u2002[FI]``
    → name ``9SOLUTIONS OY``, country ``FI``. IPC ``text`` is fixed-width and is whitespace-collapsed.
Arguments
    ``file=PATH_OR_URL`` (OPS biblio XML, EP publication XML, or a zip of them), ``since=YYYY-MM-DD``,
    ``query=CQL`` (default: EP publications of the days since the last run), ``base_url=URL``.
Settings
    ``EPO_OPS_BASE_URL`` (default https://ops.epo.org/3.2), ``EPO_OPS_PAGE_SIZE`` (default 100).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from alertbot.settings import get_settings
from spiders.base.archive import iter_members
from spiders.base.fields import (
    RECORD_ERRORS,
    clean,
    compact_date,
    record_error_reason,
    text_at,
    texts_at,
)
from spiders.base.safexml import iterparse_records, local_name
from spiders.base.spider import GazetteSpider, Item

DEFAULT_BASE_URL = "https://ops.epo.org/3.2"
DEFAULT_PAGE_SIZE = 100
OPS_SEARCH_CAP = 2000
EXCHANGE = "http://www.epo.org/exchange"
OPS = "http://ops.epo.org"
_EPODOC_NAME = re.compile(r"^(?P<name>.*?)[\s\u2002\u00a0]*\[(?P<country>[A-Z]{2})\]\s*(?P<rest>,.*)?$", re.S)
_IPC = re.compile(r"([A-H]\d{2}[A-Z])\s*(\d+)\s*/\s*(\d+)")
_OWN_META = ("range_begin",)
_TOKEN_ERRORS = (b"invalidaccesstoken", b"invalid_access_token", b"access token has expired", b"expired")


def ipc_symbol(text: str) -> str:
    """Fixed-width IPC text (``'H04W  84/    20            A I'``) → ``'H04W 84/20'``."""
    match = _IPC.match(text.strip())
    return f"{match.group(1)} {match.group(2)}/{match.group(3)}" if match else (clean(text) or "")


def split_epodoc_name(value: str) -> tuple[str, str | None]:
    """``'9SOLUTIONS OY\u2002[FI]'`` → ``('9SOLUTIONS OY', 'FI')``; names without ``[CC]`` keep None."""
    match = _EPODOC_NAME.match(value.strip())
    if match is None:
        return clean(value) or value.strip(), None
    return clean(match.group("name")) or "", match.group("country")


class EpoOpsSpider(GazetteSpider):
    """EPO OPS weekly publications; see the module docstring."""

    name = "epo_ops"
    source_key = "epo"
    office = "EP"

    def __init__(
        self, *args: Any, query: str | None = None, base_url: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.query_arg = query
        self.base_url_arg = base_url
        self.access_token: str | None = None
        self.search_end: dt.date | None = None
        self.search_complete = False
        self.refreshing_token = False
        self.awaiting_token: list[scrapy.Request] = []

    # ---- OPS flow -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """OPS root, overridable by ``-a base_url=`` or the ``EPO_OPS_BASE_URL`` setting."""
        return (self.base_url_arg or self.settings.get("EPO_OPS_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    @property
    def page_size(self) -> int:
        """Results per search page (OPS allows up to 100)."""
        return self.settings.getint("EPO_OPS_PAGE_SIZE", DEFAULT_PAGE_SIZE)

    def cql(self) -> str:
        """The CQL query: given, or EP publications from the start date to today."""
        start = self.start_date() or self.today - dt.timedelta(days=7)
        self.search_end = self.today
        if self.query_arg:
            return self.query_arg
        return f'pn=EP and pd within "{start:%Y%m%d} {self.today:%Y%m%d}"'

    def token_request(self, retry: scrapy.Request | None = None) -> scrapy.Request:
        """POST for an access token (client credentials)."""
        settings = get_settings()
        key = settings.epo_ops_key.get_secret_value() if settings.epo_ops_key else ""
        secret = settings.epo_ops_secret.get_secret_value() if settings.epo_ops_secret else ""
        if not key or not secret:
            self.logger.warning("ALERTBOT_EPO_OPS_KEY / ALERTBOT_EPO_OPS_SECRET are not set; OPS will refuse")
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        return scrapy.Request(
            f"{self.base_url}/auth/accesstoken",
            method="POST",
            body=urlencode({"grant_type": "client_credentials"}),
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
            callback=self.parse_token,
            errback=self.on_error,
            meta={"refresh": retry is not None},
            dont_filter=True,
        )

    async def discover(self) -> AsyncIterator[Any]:
        """Get a token; the search follows."""
        yield self.token_request()

    def parse_token(self, response: Response) -> Iterator[scrapy.Request]:
        """Keep the token, then search (or replay the request that hit an expired token)."""
        try:
            self.access_token = str(json.loads(response.text)["access_token"])
        except (ValueError, KeyError) as error:
            self.record_error(
                f"{response.url}: no access_token in the answer: {error}", "alertbot/auth_errors"
            )
            return
        self.crawler.stats.inc_value("alertbot/tokens")
        if response.meta.get("refresh"):
            self.refreshing_token = False
            waiting, self.awaiting_token = self.awaiting_token, []
            for request in waiting:
                yield self._with_current_token(request)
            return
        yield self.search_request(1)

    def _with_current_token(self, request: scrapy.Request) -> scrapy.Request:
        headers = dict(request.headers.to_unicode_dict())
        headers["Authorization"] = f"Bearer {self.access_token}"
        # Only our own keys: Scrapy's internal ones (download_latency, retry_times…) must not be copied.
        meta = {key: request.meta[key] for key in _OWN_META if key in request.meta}
        return request.replace(headers=headers, meta={**meta, "token_refreshed": True})

    def ops_request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        """An authorised OPS data request."""
        headers = {"Authorization": f"Bearer {self.access_token}", **kwargs.pop("headers", {})}
        return scrapy.Request(
            url, callback=callback, errback=self.on_ops_error, headers=headers, dont_filter=True, **kwargs
        )

    def search_request(self, begin: int) -> scrapy.Request:
        """One page of the CQL search."""
        end = begin + self.page_size - 1
        return self.ops_request(
            f"{self.base_url}/rest-services/published-data/search?{urlencode({'q': self.cql()})}",
            self.parse_search,
            headers={"X-OPS-Range": f"{begin}-{end}", "Accept": "application/xml"},
            meta={"range_begin": begin},
        )

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        """Collect docdb numbers, ask for their biblio, and request the next page."""
        self._note_throttling(response)
        try:
            root = self._small_document(response)
        except Exception as error:
            self.record_error(f"{response.url}: unreadable search answer: {error}", "alertbot/files_corrupt")
            return
        search = root.find(f"{{{OPS}}}biblio-search")
        total = int(search.get("total-result-count", "0")) if search is not None else 0
        numbers = []
        for document_id in root.iterfind(
            f".//{{{OPS}}}publication-reference/{{{EXCHANGE}}}document-id[@document-id-type='docdb']"
        ):
            country, number, kind = (
                text_at(document_id, f"{{{EXCHANGE}}}{tag}") for tag in ("country", "doc-number", "kind")
            )
            if country and number:
                numbers.append(f"{country}.{number}.{kind}" if kind else f"{country}.{number}")
        self.crawler.stats.inc_value("alertbot/search_hits", len(numbers))
        if numbers:
            yield self.ops_request(
                f"{self.base_url}/rest-services/published-data/publication/docdb/biblio",
                self.parse_biblio,
                method="POST",
                body=",".join(numbers),
                headers={"Content-Type": "text/plain", "Accept": "application/xml"},
            )
        begin = int(response.meta.get("range_begin", 1))
        next_begin = begin + self.page_size
        if numbers and next_begin <= min(total, OPS_SEARCH_CAP):
            yield self.search_request(next_begin)
        else:
            if total > OPS_SEARCH_CAP:
                self.record_error(
                    f"OPS search found {total} results, more than the {OPS_SEARCH_CAP} it returns; narrow the query",
                    "alertbot/search_truncated",
                )
            self.search_complete = True

    async def parse_biblio(self, response: Response) -> AsyncIterator[Item]:
        """Biblio answer → records (parsed in a worker thread like any file)."""
        self._note_throttling(response)
        async for item in self.process_file(response.body, "ops-biblio.xml", remember=False):
            yield item

    def on_ops_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Refresh an expired token (once for all requests that hit it) and replay; record anything else."""
        if failure.check(HttpError):
            response = failure.value.response
            request = failure.request  # type: ignore[attr-defined]
            body = response.body.lower()
            if (
                response.status in (400, 401, 403)
                and any(marker in body for marker in _TOKEN_ERRORS)
                and not request.meta.get("token_refreshed")
            ):
                used = request.headers.get(b"Authorization", b"").decode("latin-1")
                if used != f"Bearer {self.access_token}":
                    yield self._with_current_token(request)  # sent before the last refresh
                    return
                self.awaiting_token.append(request)
                if not self.refreshing_token:
                    self.refreshing_token = True
                    self.crawler.stats.inc_value("alertbot/token_refreshes")
                    yield self.token_request(retry=request)
                return
        self.record_failure(failure)

    def finalise_state(self) -> None:
        """After a complete, error-free search, the next run starts the day after this one's end."""
        if self.search_complete and not self.run_errors and self.search_end is not None and not self.file:
            self.source_state["last_date"] = self.search_end.isoformat()

    def _note_throttling(self, response: Response) -> None:
        control = response.headers.get(b"X-Throttling-Control")
        if control:
            text = control.decode("latin-1")
            self.crawler.stats.set_value("alertbot/throttling_control", text)
            if any(colour in text for colour in ("black", "red")):
                self.logger.warning("OPS throttling: %s", text)

    def _small_document(self, response: Response) -> etree._Element:
        from spiders.base.safexml import parse_document

        return parse_document(response.body, response.url)

    # ---- parsing --------------------------------------------------------------------------------------

    def parse_source(self, source: bytes | Path, label: str) -> Iterator[Item]:
        """OPS ``exchange-document``s and/or EP ``ep-patent-document``s in a file or zip."""
        for member, stream in iter_members(source, label, self.limits):
            for element in iterparse_records(
                stream,
                (f"{{{EXCHANGE}}}exchange-document", "ep-patent-document"),
                member.name,
                self.xml_max_bytes,
            ):
                self.tally["documents"] += 1
                if local_name(element) == "ep-patent-document":
                    yield self.ep_document(element)
                else:
                    yield self.exchange_document(element)

    def exchange_document(self, element: etree._Element) -> Item:
        """One OPS biblio ``exchange-document``."""
        country, number, kind = element.get("country"), element.get("doc-number"), element.get("kind")
        native_id = f"{country}{number}" if country and number else None
        if element.get("status") == "not found":
            self.tally["not_found"] += 1
            return self.quarantined(element, native_id, "OPS: document not found")
        biblio = element.find(f"{{{EXCHANGE}}}bibliographic-data")
        if biblio is None or native_id is None:
            return self.quarantined(
                element, native_id, "exchange-document without bibliographic-data or number"
            )
        x = f"{{{EXCHANGE}}}"
        try:
            publication = biblio.find(f"{x}publication-reference/{x}document-id[@document-id-type='docdb']")
            application = biblio.find(f"{x}application-reference/{x}document-id[@document-id-type='epodoc']")
            if application is None:
                application = biblio.find(f"{x}application-reference/{x}document-id")
            titles = {
                node.get("lang") or "": clean("".join(node.itertext()))
                for node in biblio.iterfind(f"{x}invention-title")
            }
            applicants = [
                {"name": name, "country": code}
                for raw_name in texts_at(
                    biblio,
                    f"{x}parties/{x}applicants/{x}applicant[@data-format='epodoc']/{x}applicant-name/{x}name",
                )
                for name, code in [split_epodoc_name(raw_name)]
            ]
            originals = texts_at(
                biblio,
                f"{x}parties/{x}applicants/{x}applicant[@data-format='original']/{x}applicant-name/{x}name",
            )
            if not applicants:
                applicants = [{"name": name.rstrip(", "), "country": None} for name in originals]
            abstract = element.find(f"{x}abstract[@lang='en']")
            if abstract is None:
                abstract = element.find(f"{x}abstract")
            first = applicants[0] if applicants else None
            return self.build(
                element,
                native_id,
                kind="patent",
                text=titles.get("en") or next((t for t in titles.values() if t), None),
                applicant=first["name"] if first else None,
                applicant_country=first["country"] if first else None,
                office=country,
                status=kind,
                event="registered" if (kind or "").startswith("B") else "published",
                filing_date=compact_date(text_at(application, f"{x}date"), "application-reference/date")
                if application is not None
                else None,
                publication_date=compact_date(text_at(publication, f"{x}date"), "publication-reference/date")
                if publication is not None
                else None,
                url=f"https://worldwide.espacenet.com/patent/search?q=pn%3D{country}{number}{kind or ''}",
                raw={
                    "docdb": f"{country}.{number}.{kind}",
                    "family_id": element.get("family-id"),
                    "application_number": text_at(application, f"{x}doc-number")
                    if application is not None
                    else None,
                    "applicants": applicants,
                    "applicants_original": originals,
                    "titles": titles,
                    "ipc": [
                        ipc_symbol(text)
                        for text in texts_at(
                            biblio, f"{x}classifications-ipcr/{x}classification-ipcr/{x}text"
                        )
                    ],
                    "cpc": [
                        "".join(text_at(node, f"{x}{tag}") or "" for tag in ("section", "class", "subclass"))
                        + f" {text_at(node, f'{x}main-group') or ''}/{text_at(node, f'{x}subgroup') or ''}"
                        for node in biblio.iterfind(f"{x}patent-classifications/{x}patent-classification")
                    ],
                    "abstract": (clean(" ".join(abstract.itertext())) or "")[:2000]
                    if abstract is not None
                    else None,
                },
            )
        except RECORD_ERRORS as error:
            return self.quarantined(element, native_id, record_error_reason(error))

    def ep_document(self, element: etree._Element) -> Item:
        """One EP publication-server document (SDOBI B-codes)."""
        number = text_at(element, "SDOBI/B100/B110") or element.get("doc-number")
        country = text_at(element, "SDOBI/B100/B190") or element.get("country") or "EP"
        native_id = f"{country}{number}" if number else None
        if native_id is None:
            return self.quarantined(element, None, "ep-patent-document without B110 publication number")
        try:
            kind = text_at(element, "SDOBI/B100/B130") or element.get("kind")
            b540 = element.find("SDOBI/B500/B540")
            titles: dict[str, str] = {}
            if b540 is not None:
                language = ""
                for node in b540:
                    if node.tag == "B541":
                        language = clean(node.text) or ""
                    elif node.tag == "B542":
                        titles[language] = clean("".join(node.itertext())) or ""
            applicants = [
                {
                    "name": text_at(node, "snm"),
                    "country": text_at(node, "adr/ctry"),
                    "iid": text_at(node, "iid"),
                }
                for node in element.iterfind("SDOBI/B700/B710/B711")
            ]
            first = applicants[0] if applicants else None
            return self.build(
                element,
                native_id,
                kind="patent",
                text=titles.get("en") or next((t for t in titles.values() if t), None),
                applicant=first["name"] if first else None,
                applicant_country=first["country"] if first else None,
                office=country,
                status=kind,
                event="registered" if (kind or "").startswith("B") else "published",
                filing_date=compact_date(text_at(element, "SDOBI/B200/B220/date"), "B220"),
                publication_date=compact_date(
                    text_at(element, "SDOBI/B100/B140/date") or element.get("date-publ"), "B140"
                ),
                url=f"https://data.epo.org/publication-server/document?pn={number}&ki={kind or ''}",
                raw={
                    "application_number": text_at(element, "SDOBI/B200/B210"),
                    "bulletin": text_at(element, "SDOBI/B400/B430/bnum")
                    or text_at(element, "SDOBI/B400/B405/bnum"),
                    "applicants": applicants,
                    "titles": titles,
                    "ipc": [
                        ipc_symbol(t) for t in texts_at(element, "SDOBI/B500/B510EP/classification-ipcr/text")
                    ],
                    "designated_states": texts_at(element, "SDOBI/B800/B840/ctry"),
                    "priority_country": text_at(element, "SDOBI/B300/B330/ctry"),
                    "language": text_at(element, "SDOBI/B200/B250"),
                },
            )
        except RECORD_ERRORS as error:
            return self.quarantined(element, native_id, record_error_reason(error))
