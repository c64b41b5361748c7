"""A migrated database holding the hand-counted month of tests/report/seed.py."""

from __future__ import annotations

import pytest

from alertbot import db
from alertbot.settings import Settings
from tests.report.seed import seed


@pytest.fixture
def seeded(settings: Settings) -> dict[int, int]:
    """SQLite, seeded; row number -> alert id."""
    db.upgrade(settings.resolved_database_url())
    return seed(db.session_factory(settings))


@pytest.fixture
def any_seeded(any_settings: Settings) -> tuple[Settings, dict[int, int]]:
    """SQLite and PostgreSQL, seeded."""
    db.upgrade(any_settings.resolved_database_url())
    return any_settings, seed(db.session_factory(any_settings))
