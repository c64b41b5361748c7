"""Hostile XML is refused with a clear error; legitimate DTD-carrying gazette files still parse."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from spiders.base.safexml import (
    InputTooLargeError,
    UnsafeXMLError,
    iterparse_records,
    parse_document,
)
from tests.spiders.standins import fixture_bytes


def _records(data: bytes, tag: str = "r", max_bytes: int = 10_000_000) -> list[str]:
    return [el.text or "" for el in iterparse_records(io.BytesIO(data), tag, "test.xml", max_bytes)]


def test_external_entity_file_read_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]><d><r>&x;</r></d>'
    ).encode()
    with pytest.raises(UnsafeXMLError, match="external entity"):
        _records(hostile)
    with pytest.raises(UnsafeXMLError, match="external entity"):
        parse_document(hostile, "doc.xml")


def test_parameter_entity_is_refused() -> None:
    hostile = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p "x"> ]><d><r>1</r></d>'
    with pytest.raises(UnsafeXMLError, match="parameter entity"):
        _records(hostile)


def test_billion_laughs_is_refused() -> None:
    lol = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    hostile = f'<?xml version="1.0"?><!DOCTYPE d [{"".join(lol)}]><d><r>&lol9;</r></d>'.encode()
    with pytest.raises(UnsafeXMLError, match=r"test\.xml: entity expansion bomb") as caught:
        _records(hostile)
    assert "amplification" in str(caught.value)


def test_oversized_input_is_refused() -> None:
    big = b"<d>" + b"<r>x</r>" * 10_000 + b"</d>"
    with pytest.raises(InputTooLargeError, match="oversized"):
        _records(big, max_bytes=50_000)


def test_dtd_subset_too_long_to_inspect_is_refused() -> None:
    padding = "<!-- " + "x" * 300_000 + " -->"
    data = f'<?xml version="1.0"?><!DOCTYPE d [{padding}]><d><r>1</r></d>'.encode()
    with pytest.raises(UnsafeXMLError, match="cannot be"):
        _records(data)


def test_usptos_internal_dtd_and_patent_external_dtd_reference_are_accepted() -> None:
    serials = [
        el.findtext("serial-number")
        for el in iterparse_records(
            io.BytesIO(fixture_bytes("uspto_tm_daily", "uspto-tm-daily.sample.xml")),
            "case-file",
            "apc",
            10**9,
        )
    ]
    assert serials == ["72269147", "98763166", "79366581", "98186103", "98423838"]
    document = fixture_bytes("uspto_patent_app", "uspto-patent-app.sample.xml").split(b"<?xml")[1]
    root = parse_document(b"<?xml" + document, "ipa#1")
    assert root.tag == "us-patent-application"


def test_elements_are_cleared_as_the_stream_advances() -> None:
    count = 200_000
    data = b"<d>" + b"".join(b"<r><x>%d</x></r>" % i for i in range(count)) + b"</d>"
    seen_children = []
    for element in iterparse_records(io.BytesIO(data), "r", "t", 10**8):
        parent = element.getparent()
        assert parent is not None
        seen_children.append(len(parent))
    assert len(seen_children) == count
    # Only the elements parsed ahead of the reader (one read chunk) are ever attached at once.
    assert max(seen_children) < count // 10
    assert seen_children[-1] <= 2
