"""SHA-1, OPUS's ``hash`` of a result: an integrity check against corruption, not a security
one. Downloads hash inline, chunk by chunk, as they write: a worker thread fed through a queue
cost more CPU (context switches) than it saved on the 2-core machines measured."""

from __future__ import annotations

import hashlib

__all__ = ["new_sha1"]


def new_sha1() -> hashlib._Hash:
    """A SHA-1 hasher (``usedforsecurity=False``: FIPS builds allow it for integrity checks)."""
    return hashlib.sha1(usedforsecurity=False)
