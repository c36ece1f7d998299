"""GovDoc: the e-Document system for government.

Domains live one per folder (see docs/architecture.md); interfaces (api, web, cli) sit on top
and hold no business rules.
"""

__version__ = "0.1.0"
