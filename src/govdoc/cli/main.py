"""Entry point of the ``govdoc`` command (filled in per subcommand)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("govdoc: not yet", file=sys.stderr)
    return 2
