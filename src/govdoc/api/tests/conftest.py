"""Fixtures of the API tests: the procedures' office and the two countries' agencies."""

from govdoc.procedures.tests.conftest import countries, office

__all__ = ["countries", "office"]
