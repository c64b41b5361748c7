"""Hardened, streaming XML parsing for gazette files.

Every parser here runs with ``resolve_entities=False, no_network=True, load_dtd=False`` and
``huge_tree=False`` (libxml2 keeps its size and depth limits). On top of that, the prolog of each document
is inspected before parsing: a DOCTYPE that declares external or parameter entities (the XXE vectors) is
refused, as is an internal DTD subset too long to inspect. libxml2 itself refuses entity amplification
(billion laughs); that error is re-raised as :class:`UnsafeXMLError` with a plain message.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}

PROLOG_PEEK_BYTES = 256 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_EXTERNAL_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s*)?[^\s>]+\s+(?:SYSTEM|PUBLIC)\b")
_PARAMETER_ENTITY = re.compile(rb"<!ENTITY\s+%")
_SUBSET_END = re.compile(rb"\]\s*>")
_ENCODING_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
REPLACEMENT = "\ufffd"
_AMPLIFICATION_MESSAGES = ("amplification", "entity loop", "detected an entity reference loop")


class UnsafeXMLError(ValueError):
    """The input is hostile or too large to parse safely (XXE, entity expansion, oversized)."""


class InputTooLargeError(UnsafeXMLError):
    """More bytes than the configured limit."""


class LimitedReader:
    """A binary reader that refuses to deliver more than ``max_bytes`` (oversized or lying inputs)."""

    def __init__(self, raw: IO[bytes], max_bytes: int, name: str, head: bytes = b"") -> None:
        self._raw = raw
        self._head = head
        self.head = head
        self._max = max_bytes
        self._name = name
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        """Read like ``io.RawIOBase.read``; raise :class:`InputTooLargeError` past the limit."""
        if self._head:
            if size < 0 or size >= len(self._head):
                chunk, self._head = self._head, b""
                if size < 0:
                    chunk += self._raw.read()
            else:
                chunk, self._head = self._head[:size], self._head[size:]
        else:
            chunk = self._raw.read(size)
        self.bytes_read += len(chunk)
        if self.bytes_read > self._max:
            raise InputTooLargeError(
                f"{self._name}: more than {self._max:,} bytes of XML; refused as oversized "
                "(raise the spider's XML_MAX_BYTES setting if the file is genuine)"
            )
        return chunk


def is_utf8_document(head: bytes) -> bool:
    """Whether the document is UTF-8 by its declaration (none means UTF-8) and has no UTF-16/32 BOM."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return False
    declared = _ENCODING_DECLARATION.match(head.removeprefix(codecs.BOM_UTF8))
    return declared is None or declared.group(1).decode("ascii").lower().replace("_", "-") in {
        "utf-8",
        "utf8",
    }


class Utf8Repairer:
    """A binary reader that passes UTF-8 through and replaces bytes that are not UTF-8 by U+FFFD.

    libxml2 stops at the first invalid byte ("Input is not proper UTF-8"), losing every record after it.
    Replaced, the document parses on; a record whose text then holds U+FFFD is quarantined by
    :meth:`spiders.base.spider.GazetteSpider.build`, so only the affected record is lost.
    ``replaced`` counts the bad sequences.
    """

    def __init__(self, raw: LimitedReader | IO[bytes]) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.replaced = 0

    def read(self, size: int = -1) -> bytes:
        """Read like ``io.RawIOBase.read`` (a chunk may come back a little longer than ``size``)."""
        chunk = self._raw.read(size)
        text = self._decoder.decode(chunk, final=not chunk)
        added = text.count(REPLACEMENT)
        if added:
            self.replaced += max(added - chunk.count(REPLACEMENT.encode()), 0)
        return text.encode("utf-8")


def check_prolog(head: bytes, name: str) -> None:
    """Refuse DOCTYPEs that declare external/parameter entities, or whose subset cannot be inspected.

    ``head`` is the start of the document. A DOCTYPE with only element/attribute declarations (the USPTO
    daily files carry their whole DTD inline) or an external DTD reference that is never loaded (the
    patent files) is fine.
    """
    doctype = _DOCTYPE.search(head)
    if doctype is None:
        return
    subset_start = head.find(b"[", doctype.end())
    tag_end = head.find(b">", doctype.end())
    if subset_start != -1 and (tag_end == -1 or subset_start < tag_end):
        subset_end = _SUBSET_END.search(head, subset_start)
        if subset_end is None:
            raise UnsafeXMLError(
                f"{name}: the internal DTD subset is longer than {PROLOG_PEEK_BYTES:,} bytes and cannot be "
                "inspected; refused"
            )
        subset = head[subset_start : subset_end.end()]
        if _EXTERNAL_ENTITY.search(subset):
            raise UnsafeXMLError(f"{name}: the DTD declares an external entity (XXE); refused")
        if _PARAMETER_ENTITY.search(subset):
            raise UnsafeXMLError(f"{name}: the DTD declares a parameter entity; refused")


def explain_syntax_error(error: etree.XMLSyntaxError, name: str) -> Exception:
    """Turn libxml2's entity-expansion errors into :class:`UnsafeXMLError`; keep others, named."""
    message = str(error)
    if any(marker in message.lower() for marker in _AMPLIFICATION_MESSAGES):
        return UnsafeXMLError(f"{name}: entity expansion bomb (billion laughs) refused: {message}")
    return etree.XMLSyntaxError(f"{name}: {message}", error.code, error.lineno, error.offset, error.filename)


def guarded_stream(raw: IO[bytes], name: str, max_bytes: int) -> LimitedReader:
    """Peek the prolog, check it, and return a size-limited reader that replays the peeked bytes."""
    head = raw.read(PROLOG_PEEK_BYTES)
    check_prolog(head, name)
    return LimitedReader(raw, max_bytes, name, head=head)


def iterparse_records(
    raw: IO[bytes], tag: str | tuple[str, ...], name: str, max_bytes: int
) -> Iterator[etree._Element]:
    """Yield each finished element named ``tag`` from a stream, memory-flat.

    The caller reads what it needs from the element before asking for the next one; the element is then
    cleared and its already-processed previous siblings are removed from the tree.
    """
    guarded = guarded_stream(raw, name, max_bytes)
    stream = Utf8Repairer(guarded) if is_utf8_document(guarded.head) else guarded
    context = etree.iterparse(stream, events=("end",), tag=tag, **PARSER_OPTIONS)
    try:
        for _event, element in context:
            yield element
            element.clear(keep_tail=True)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise explain_syntax_error(error, name) from error


def parse_document(data: bytes, name: str) -> etree._Element:
    """Parse one complete (small) document with the hardened parser."""
    check_prolog(data[:PROLOG_PEEK_BYTES], name)
    if is_utf8_document(data[:PROLOG_PEEK_BYTES]):
        # Bad bytes become U+FFFD instead of ending the parse (see Utf8Repairer).
        data = data.decode("utf-8", errors="replace").encode("utf-8")
    parser = etree.XMLParser(**PARSER_OPTIONS)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise explain_syntax_error(error, name) from error


def snippet(element: etree._Element, limit: int = 2000) -> str:
    """The element's XML, cut to ``limit`` characters, for quarantine records."""
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    return text if len(text) <= limit else text[:limit] + "…"


def local_name(element: etree._Element) -> str:
    """The tag without its namespace."""
    return etree.QName(element).localname
