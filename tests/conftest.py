"""Fixtures of the journey tests (tests/flows, tests/browser)."""

from __future__ import annotations

import pytest

from govdoc.cli import demo_data


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The demo installation exactly as ``govdoc demo`` loads it: agencies, officials with
    signing keys (PIN 123456), a citizen and the service catalogue."""
    demo_data.ensure(progress=lambda _m: None)
