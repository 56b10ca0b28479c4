"""``python -m uws_call_expres``: the one-shot command line (see ``--help``)."""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
