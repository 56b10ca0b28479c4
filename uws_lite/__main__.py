"""``python -m uws_lite``: the uws-lite command line (see :mod:`uws_lite.cli`)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
