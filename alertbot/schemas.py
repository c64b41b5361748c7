"""Typed items that cross module seams: what spiders yield and what the pipeline stores.

Data flows one way: spiders → :class:`RecordIn` → storage and matching → alerts → outbox → channels.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RecordKind = Literal["trademark", "exhibitor", "patent"]


class RecordIn(BaseModel):
    """One normalised record as a spider yields it (a filing, a patent or an exhibitor).

    ``source`` plus ``native_id`` is the identity: a later snapshot of the same pair updates the stored
    record instead of adding a new one.
    """

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="Source key, e.g. 'uspto-tm', 'euipo', 'wipo-madrid', 'epo', 'cieme'.")
    native_id: str = Field(min_length=1, description="The office's own number (serial, application no.).")
    kind: RecordKind
    text: str | None = Field(default=None, description="Mark text, exhibitor name or patent title.")
    applicant: str | None = None
    applicant_country: str | None = None
    classes: list[int] = Field(default_factory=list, description="Nice classes (1-45).")
    office: str | None = Field(default=None, description="Office code: US, EM, WO, EP, KR, RO, ...")
    status: str | None = None
    event: str | None = Field(
        default=None, description="What this snapshot is: filed, published, registered, deleted, exhibiting."
    )
    filing_date: dt.date | None = None
    publication_date: dt.date | None = None
    opposition_end: dt.date | None = Field(
        default=None, description="Opposition period end when the office states it; else computed."
    )
    hall: str | None = None
    booth: str | None = None
    url: str | None = None
    deleted: bool = False
    raw: dict[str, Any] = Field(default_factory=dict, description="The source's own fields, kept as-is.")

    @field_validator("classes")
    @classmethod
    def _nice_range(cls, value: list[int]) -> list[int]:
        bad = [c for c in value if not 0 <= c <= 45]
        if bad:
            raise ValueError(f"Nice classes must be 1-45 (0 = not yet classified), got {bad}")
        return sorted({c for c in value if c})
