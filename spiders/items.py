"""What the gazette spiders yield.

Records are :class:`alertbot.schemas.RecordIn` (the one contract between crawling and storage). A record
that cannot be parsed becomes a :class:`QuarantineItem`, so the pipeline stores it with its reason and the
rest of the file goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertbot.schemas import RecordIn

__all__ = ["QuarantineItem", "RecordIn"]


@dataclass(frozen=True, slots=True)
class QuarantineItem:
    """A malformed record: which source, its number when readable, why it failed and a raw XML snippet."""

    source: str
    native_id: str | None
    reason: str
    snippet: str
