"""EPO OPS: epodoc name normalisation (U+2002), biblio and EP publication parsing, the OAuth flow."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs

import pytest
from lxml import etree

from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from spiders.epo_ops import EXCHANGE, EpoOpsSpider, split_epodoc_name
from spiders.items import RecordIn
from tests.spiders.standins import FAST_CRAWL, LocalServer, SeenRequest, fixture_bytes, stored, zip_bytes

BIBLIO = fixture_bytes("epo_ops", "epo-ops-biblio.sample.xml")
BIBLIO_CN = fixture_bytes("epo_ops", "epo-ops-biblio-cn.sample.xml")
EP_DOCUMENT = fixture_bytes("epo_ops", "epo-ep-publication.sample.xml")


def _records(data: bytes, name: str) -> list[RecordIn]:
    return [i for i in EpoOpsSpider().parse_source(data, name) if isinstance(i, RecordIn)]


def test_epodoc_names_split_on_the_en_space_before_the_country() -> None:
    assert b"OY\xe2\x80\x82[FI]" in BIBLIO  # the real sample really uses U+2002
    assert split_epodoc_name("9SOLUTIONS OY\u2002[FI]") == ("9SOLUTIONS OY", "FI")
    assert split_epodoc_name(" KYLMAENEN JARI\u2002[FI]") == ("KYLMAENEN JARI", "FI")
    assert split_epodoc_name("IBM [US], et al") == ("IBM", "US")
    assert split_epodoc_name("SCIENT DRILLING INT") == ("SCIENT DRILLING INT", None)


def test_biblio_documents_fields() -> None:
    records = _records(BIBLIO, "biblio.xml")
    assert [(r.native_id, r.status) for r in records] == [
        ("EP2400812", "A1"),
        ("EP2533477", "A1"),
        ("EP2533477", "B1"),
    ]
    first = records[0]
    assert (first.source, first.kind, first.office) == ("epo", "patent", "EP")
    assert first.text == "BLUETOOTH NETWORKING"
    assert (first.applicant, first.applicant_country) == ("9SOLUTIONS OY", "FI")
    assert first.publication_date == dt.date(2011, 12, 28)
    assert first.filing_date == dt.date(2010, 6, 24)
    assert first.raw["ipc"] == ["H04W 84/20"]
    assert first.raw["titles"]["de"] == "BLUETOOTH-VERNETZUNG"
    assert records[2].event == "registered"
    cn = _records(BIBLIO_CN, "cn.xml")[0]
    assert (cn.native_id, cn.office, cn.applicant, cn.applicant_country) == (
        "CN104968889",
        "CN",
        "SCIENT DRILLING INT",
        None,
    )


def test_ep_publication_server_document() -> None:
    records = _records(zip_bytes({"EP18877305NWA1.xml": EP_DOCUMENT}), "EP.zip")
    assert len(records) == 1
    boe = records[0]
    assert boe.native_id == "EP3782854"
    assert boe.text == "VEHICLE-MOUNTED DISPLAY ASSEMBLY AND VEHICLE"
    assert (boe.applicant, boe.applicant_country) == ("BOE TECHNOLOGY GROUP CO., LTD.", "CN")
    assert [a["name"] for a in boe.raw["applicants"]][1] == "Chengdu BOE Optoelectronics Technology Co., Ltd."
    assert boe.publication_date == dt.date(2021, 2, 24)
    assert boe.filing_date == dt.date(2018, 10, 29)
    assert boe.raw["bulletin"] == "202108"
    assert boe.raw["ipc"] == ["B60R 7/06", "B60N 3/12"]
    assert "CN" not in boe.raw["designated_states"]
    assert "DE" in boe.raw["designated_states"]


class OpsStandIn:
    """Token endpoint + CQL search + biblio, checking credentials and bearer tokens like OPS does."""

    key, secret = "test-key", "test-secret"

    def __init__(self) -> None:
        self.tokens_issued = 0
        self.valid: set[str] = set()
        self.expire_first_biblio = True
        self.documents: dict[str, bytes] = {}
        for data in (BIBLIO, BIBLIO_CN):
            root = etree.fromstring(data)
            for doc in root.iter(f"{{{EXCHANGE}}}exchange-document"):
                self.documents[f"{doc.get('country')}.{doc.get('doc-number')}.{doc.get('kind')}"] = (
                    etree.tostring(doc)
                )

    def _valid(self, request: SeenRequest) -> bool:
        return request.headers.get("authorization", "").removeprefix("Bearer ") in self.valid

    def token(self, request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        basic = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return 401, {}, b'{"error": "invalid_client"}'
        if parse_qs(request.body.decode()) != {"grant_type": ["client_credentials"]}:
            return 400, {}, b'{"error": "unsupported_grant_type"}'
        self.tokens_issued += 1
        self.valid.add(f"tok-{self.tokens_issued}")
        return (
            200,
            {"Content-Type": "application/json"},
            (
                f'{{"access_token": "tok-{self.tokens_issued}", "token_type": "BearerToken", "expires_in": "1199"}}'.encode()
            ),
        )

    def search(self, request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        if not self._valid(request):
            return 400, {}, b"<fault><code>CLIENT.InvalidAccessToken</code></fault>"
        begin, end = (int(x) for x in request.headers["x-ops-range"].split("-"))
        numbers = list(self.documents)
        page = numbers[begin - 1 : end]
        refs = "".join(
            f'<ops:publication-reference><document-id document-id-type="docdb"><country>{n.split(".")[0]}</country>'
            f"<doc-number>{n.split('.')[1]}</doc-number><kind>{n.split('.')[2]}</kind></document-id></ops:publication-reference>"
            for n in page
        )
        body = (
            '<ops:world-patent-data xmlns="http://www.epo.org/exchange" xmlns:ops="http://ops.epo.org">'
            f'<ops:biblio-search total-result-count="{len(numbers)}"><ops:range begin="{begin}" end="{end}"/>'
            f"<ops:search-result>{refs}</ops:search-result></ops:biblio-search></ops:world-patent-data>"
        )
        return (
            200,
            {"Content-Type": "application/xml", "X-Throttling-Control": "idle (search=green:30)"},
            body.encode(),
        )

    def biblio(self, request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        if self.expire_first_biblio:
            # The token in use expires now, as OPS tokens do after ~20 minutes.
            self.expire_first_biblio = False
            self.valid.discard(request.headers.get("authorization", "").removeprefix("Bearer "))
            return 400, {}, b"<fault><code>CLIENT.InvalidAccessToken</code><message>expired</message></fault>"
        if not self._valid(request):
            return 400, {}, b"<fault><code>CLIENT.InvalidAccessToken</code></fault>"
        docs = b"".join(self.documents[n] for n in request.body.decode().split(","))
        body = (
            b'<ops:world-patent-data xmlns="http://www.epo.org/exchange" xmlns:ops="http://ops.epo.org">'
            b"<exchange-documents>" + docs + b"</exchange-documents></ops:world-patent-data>"
        )
        return 200, {"Content-Type": "application/xml"}, body


@pytest.mark.slow
def test_oauth_token_paged_search_and_biblio_against_a_stand_in(
    http_server: LocalServer, settings: Settings
) -> None:
    ops = OpsStandIn()
    http_server.routes["/3.2/auth/accesstoken"] = ops.token
    http_server.routes["/3.2/rest-services/published-data/search"] = ops.search
    http_server.routes["/3.2/rest-services/published-data/publication/docdb/biblio"] = ops.biblio
    result = run_crawl(
        "epo_ops",
        since=dt.date(2011, 12, 1),
        settings={**FAST_CRAWL, "EPO_OPS_BASE_URL": http_server.url("3.2"), "EPO_OPS_PAGE_SIZE": "2"},
        env={"ALERTBOT_EPO_OPS_KEY": ops.key, "ALERTBOT_EPO_OPS_SECRET": ops.secret},
        timeout_s=120,
    )
    assert result.status == "ok", result.log_tail
    searches = http_server.hits("/3.2/rest-services/published-data/search")
    # Page 2 may also have been sent with the expiring token and replayed: ranges, not calls, are fixed.
    assert sorted({s.headers["x-ops-range"] for s in searches}) == ["1-2", "3-4"]
    query = searches[0].query["q"][0]
    assert query.startswith('pn=EP and pd within "20111201 ')
    assert ops.tokens_issued == 2  # one at start, one after the expired-token answer
    assert result.stats["token_refreshes"] == 1
    biblio_calls = http_server.hits("/3.2/rest-services/published-data/publication/docdb/biblio")
    # Two pages of biblio, plus a replay of each one sent with the expired token.
    assert biblio_calls[0].headers["authorization"] == "Bearer tok-1"
    assert biblio_calls[-1].headers["authorization"] == "Bearer tok-2"
    assert 3 <= len(biblio_calls) <= 4
    assert len([c for c in biblio_calls if c.headers["authorization"] == "Bearer tok-2"]) == 2
    db = stored(settings.resolved_database_url())
    assert set(db.records) == {("epo", "EP2400812"), ("epo", "EP2533477"), ("epo", "CN104968889")}
    nine = db.records[("epo", "EP2400812")]
    assert (nine.applicant, nine.applicant_country) == ("9SOLUTIONS OY", "FI")
    assert db.states["epo"]["last_date"] == dt.date.today().isoformat()
    assert result.stats["throttling_control"].startswith("idle")
