"""Fixtures of the web tests: the office of the procedures' tests (an agency with a handler, a
head of unit, a head of agency, an administrator, and another agency's handler)."""

from govdoc.procedures.tests.conftest import countries, office

__all__ = ["countries", "office"]
