"""The markdown report's one escaping rule: crawled text is printed exactly as it was crawled and stays inert
(no link, image, HTML, emphasis or extra column), the report's own values (dates, times, words) are printed
as-is, and links to official registers are clickable. Checked by rendering with markdown-it (CommonMark +
GFM tables), the parser `rich` already brings."""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from alertbot.report import generate
from alertbot.report.tables import Cell, Link
from alertbot.report.writers import md_cell
from alertbot.settings import Settings
from tests.report.seed import AS_OF, EVIL_MARK, MARKUP_MARK, TSDR_URL

_MARKDOWN = MarkdownIt("commonmark").enable("table")


class _Cells(HTMLParser):
    """The text of each ``<td>`` of rendered HTML, and every tag met inside the cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self._inside = True
            self.cells.append("")
        elif self._inside:
            self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.cells[-1] += data


def _render_row(*values: Cell) -> _Cells:
    header = "| " + " | ".join(f"h{index}" for index in range(len(values))) + " |"
    source = "\n".join(
        [header, "|" + "---|" * len(values), "| " + " | ".join(md_cell(v) for v in values) + " |"]
    )
    parser = _Cells()
    parser.feed(_MARKDOWN.render(source))
    return parser


@pytest.mark.parametrize(
    "value",
    [
        "2026-12",
        "2026-12-24",
        "22:53",
        "2026-10-03 22:53",
        "Copycat Trading Co., Ltd.",
        "Muster GmbH",
        "ACME机械",
        "30 天内到期且无人处理的异议期",
        "AT&T",
        "EUIPO (EM)",
        "美国专利商标局（USPTO）",
        "3.5",
    ],
)
def test_dates_times_and_ordinary_words_are_printed_as_is(value: str) -> None:
    assert md_cell(value) == value
    assert _render_row(value).cells == [value]


def test_non_text_values_are_printed_as_is() -> None:
    assert md_cell(dt.date(2026, 12, 24)) == "2026-12-24"
    assert md_cell(dt.datetime(2026, 10, 3, 22, 53)) == "2026-10-03T22:53:00"
    assert md_cell(7) == "7"
    assert md_cell(3.5) == "3.5"
    assert md_cell(None) == ""


# (crawled text, how the cell must be written): only what would change the rendering is escaped.
ESCAPED = [
    ("a | b", r"a \| b"),
    (r"C:\path", r"C:\\path"),
    ("**x**", r"\*\*x\*\*"),
    ("_x_", r"\_x\_"),
    ("~~x~~", r"\~\~x\~\~"),
    ("`code`", r"\`code\`"),
    ("[win](javascript:alert(1))", r"\[win\](javascript:alert(1))"),
    ("![img](http://evil.example/a.png)", r"\!\[img\](http\://evil.example/a.png)"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<http://evil.example>", r"&lt;http\://evil.example&gt;"),
    ("see http://evil.example/steal", r"see http\://evil.example/steal"),
    ("HTTPS://evil.example", r"HTTPS\://evil.example"),
    ("www.evil.example", r"www\.evil.example"),
    ("mail me@evil.example", r"mail me\@evil.example"),
    ("&lt;b&gt; and &#58;", "&amp;lt;b&amp;gt; and &amp;#58;"),
    ("# heading", r"\# heading"),
    ("- item", r"\- item"),
    ("+ item", r"\+ item"),
    ("1. item", r"1\. item"),
    ("12) item", r"12\) item"),
    ("> quote", "&gt; quote"),
    ("line one\nline two", "line one line two"),
]


@pytest.mark.parametrize(("crawled", "written"), ESCAPED)
def test_crawled_text_is_escaped_only_where_it_would_change_the_rendering(crawled: str, written: str) -> None:
    assert md_cell(crawled) == written


@pytest.mark.parametrize("crawled", [crawled for crawled, _ in ESCAPED] + [EVIL_MARK, MARKUP_MARK])
def test_crawled_text_renders_inert_and_reads_as_crawled(crawled: str) -> None:
    rendered = _render_row(crawled, "next column")
    assert rendered.tags == [], f"{crawled!r} rendered markup: {rendered.tags}"
    assert rendered.cells == [" ".join(crawled.split()), "next column"]


def test_links_to_official_registers_are_clickable() -> None:
    url = TSDR_URL.format(serial="97123456")
    written = md_cell(Link(url))
    assert written == f"<{url}>"
    rendered = _render_row(Link(url))
    assert rendered.tags == [("a", {"href": url})]
    assert rendered.cells == [url]
    for official in (
        "https://www.tmdn.org/tmview/#/tmview/detail/EM018000001",
        "https://worldwide.espacenet.com/patent/search?q=pn%3DEP1234567A1",
        "http://kipris.or.kr/khome/detail/trademark?applno=4020250000001",
        "https://ppubs.uspto.gov/pubwebapp/external.html?q=12345678.pn.",
    ):
        assert [tag for tag, _ in _render_row(Link(official)).tags] == ["a"], official


@pytest.mark.parametrize(
    "url",
    [
        "https://example.test/1",
        "http://evil.example/steal",
        "javascript:alert(1)",
        "https://tsdr.uspto.gov@evil.example/",
        "https://tsdr.uspto.gov.evil.example/",
        "https://evil-uspto.gov/",
        "ftp://tsdr.uspto.gov/file",
    ],
)
def test_other_links_are_printed_inert(url: str) -> None:
    rendered = _render_row(Link(url))
    assert rendered.tags == []
    assert rendered.cells == [url]


def test_a_register_link_with_table_breaking_characters_stays_in_its_cell() -> None:
    url = "https://tsdr.uspto.gov/#caseNumber=1|2&x=<b> `y`"
    rendered = _render_row(Link(url), "next")
    assert [tag for tag, _ in rendered.tags] == ["a"]
    assert rendered.cells[1] == "next"
    href = rendered.tags[0][1]["href"]
    assert href is not None
    assert not set("|<> `") & set(href)


def test_the_seeded_report_reads_normally_and_keeps_crawled_text_inert(
    settings: Settings, seeded, tmp_path: Path
) -> None:
    files = generate(settings, period="2026-10", formats=("md",), out_dir=tmp_path, today=AS_OF)
    assert files.md is not None
    text = files.md.read_text(encoding="utf-8")
    assert text.startswith("# alertbot 海外知识产权风险报告 2026-10\n")
    assert "- 报告期: **2026-10**" in text
    assert re.search(r"- 生成时间: \*\*\d{4}-\d\d-\d\d \d\d:\d\d\*\*", text)
    assert "| 2026-11-20 | 15 |" in text, "the deadline row starts with its date and days left, as-is"
    assert "&#58;" not in text
    assert "\\-" not in text, "no date or word gets a backslash before its dash"
    assert "| Copycat Trading Co., Ltd. |" in text
    rendered = _MARKDOWN.render(text)
    links = re.findall(r'<a href="([^"]*)"', rendered)
    assert links, "the USPTO records' links are clickable"
    assert {html.unescape(link).split("#")[0] for link in links} == {"https://tsdr.uspto.gov/"}
    assert "<script" not in rendered
    assert "<em>" not in rendered
    assert "<strong>x</strong>" not in rendered
    assert "https://example.test/1" in rendered, "a link elsewhere is shown, as text"
