"""Small field helpers shared by the gazette parsers (text, dates, classes)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from lxml import etree


class FieldError(ValueError):
    """A field value that cannot be read (bad date, bad class); the record is quarantined."""


# What reading one record's fields can raise: each quarantines that record, never the file. ``ValueError``
# covers int() on text that str.isdigit() accepts but int() does not ("²"); the others are parser bugs on
# an odd record, which must cost that record only (the run still reports it as quarantined).
RECORD_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    LookupError,
    ArithmeticError,
    AttributeError,
)


def record_error_reason(error: Exception) -> str:
    """The quarantine reason for an error raised while reading one record."""
    return (
        str(error)
        if isinstance(error, FieldError)
        else f"unreadable record ({type(error).__name__}: {error})"
    )


def is_number(value: str) -> bool:
    """ASCII digits only: ``str.isdigit()`` is also true for "²" and "١", which ``int()`` refuses or which
    are no office's class or serial number."""
    return value.isascii() and value.isdigit()


def clean(value: str | None) -> str | None:
    """Strip and collapse whitespace (including U+2002 and NBSP); empty becomes None."""
    if not value:
        return None
    # str.split() without arguments splits on every Unicode space (U+2002, NBSP, newlines) in C.
    return " ".join(value.split()) or None


def text_at(element: etree._Element, path: str) -> str | None:
    """Cleaned text of the first element at ``path`` (lxml ElementPath, ``{*}`` wildcards allowed)."""
    return clean(element.findtext(path))


def texts_at(element: etree._Element, path: str) -> list[str]:
    """Cleaned, non-empty texts of every element at ``path``."""
    return [value for node in element.iterfind(path) if (value := clean(node.text))]


def compact_date(value: str | None, field: str) -> dt.date | None:
    """``YYYYMMDD`` (USPTO, EPO, KIPRIS) to a date; ``00000000``/empty to None."""
    if not value:
        return None
    try:
        return _compact_date(value)
    except (ValueError, IndexError) as error:
        raise FieldError(f"{field}: {value!r} is not a YYYYMMDD date") from error


@lru_cache(maxsize=4096)
def _compact_date(value: str) -> dt.date | None:
    # Cached: a daily file repeats the same few thousand dates tens of thousands of times.
    if value.strip("0") == "":
        return None
    if len(value) != 8:
        raise ValueError("not 8 digits")
    return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def iso_date(value: str | None, field: str) -> dt.date | None:
    """``YYYY-MM-DD`` (ST.66) to a date; a time part is ignored."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as error:
        raise FieldError(f"{field}: {value!r} is not an ISO date") from error


def nice_classes(values: list[str], field: str) -> list[int]:
    """Nice class numbers from ``"009"``/``"9"`` strings; 0 (not yet classified) is dropped later."""
    classes: list[int] = []
    for value in values:
        for part in value.split():
            if not is_number(part) or not 0 <= int(part) <= 45:
                raise FieldError(f"{field}: {part!r} is not a Nice class (1-45)")
            classes.append(int(part))
    return classes
