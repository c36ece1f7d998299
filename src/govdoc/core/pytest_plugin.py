"""Pytest plugin (loaded with ``-p`` before Django settings): every test run gets its own
``GOVDOC_HOME`` so tests never touch a developer's ``./var`` and two runs never share keys."""

from __future__ import annotations

import os
import tempfile

if "GOVDOC_TEST_HOME" in os.environ:
    os.environ["GOVDOC_HOME"] = os.environ["GOVDOC_TEST_HOME"]
else:
    os.environ["GOVDOC_HOME"] = tempfile.mkdtemp(prefix="govdoc-test-")
