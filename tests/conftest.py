"""Shared fixtures: a database built from the bundled corpus once per session, and a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hz_timeline.store import Store
from hz_timeline.store.importing import build_sample


@pytest.fixture(scope="session")
def sample_db_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "events.db"
    with Store(path) as store:
        report = build_sample(store)
        assert report.documents == 5 and not report.errors
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sample_db(sample_db_template, tmp_path) -> Path:
    """A private copy of the bundled-corpus database (tests may write to it)."""
    path = tmp_path / "events.db"
    shutil.copy(sample_db_template, path)
    return path
