"""`python -m moderation`: the command line (moderation.cli)."""

from __future__ import annotations

import sys

from moderation.cli import main

if __name__ == "__main__":
    sys.exit(main())
