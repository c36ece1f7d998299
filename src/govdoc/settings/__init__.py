"""Django settings. Every value is read from the environment in ``base.py``.

The table of variables is in README.md ("Configuration").
"""

from govdoc.settings.base import *  # noqa: F403
