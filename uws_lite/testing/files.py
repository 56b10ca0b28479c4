"""Serving a file the way bottle's ``static_file`` does (OPUS's ``/store`` and log routes):
``Range`` (the first range only) -> 206, an unsatisfiable range -> 416, ``If-Range`` ignored,
plus the download faults (reset in the middle, Range not supported).
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Callable, Iterator, List, Tuple

from . import payload
from .exchange import Chunk, FileBody, Request, Response
from .failures import Failure
from .faults import Faults
from .state import Entity

__all__ = ["RangeNotSatisfiable", "entity_chunks", "file_response", "small_file"]

Chunks = Callable[[int, int], Iterator[Chunk]]


class RangeNotSatisfiable(Failure):
    status = 416


def file_response(
    req: Request, faults: Faults, size: int, chunks: Chunks, content_type: str, modified: float
) -> Response:
    headers = [("Last-Modified", formatdate(modified, usegmt=True))]
    start, end, status = 0, size, 200
    range_header = req.header("range")
    if faults.range_supported:
        headers.append(("Accept-Ranges", "bytes"))
        if range_header:
            ranges = parse_ranges(range_header, size)
            if not ranges:
                raise RangeNotSatisfiable("Requested Range Not Satisfiable")
            start, end = ranges[0]
            status = 206
            headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
    hook = faults.download_hook
    if hook is not None and req.method == "GET":
        hook(req.path)
    reset_at = None
    cut = faults.reset_offset(size, req.line) if req.method == "GET" else None
    if cut is not None and start <= cut < end:
        reset_at = cut - start
    body = FileBody(size, chunks, start, end, reset_at)
    return Response(status=status, content_type=content_type, headers=headers, file=body)


def small_file(
    req: Request, faults: Faults, data: bytes, content_type: str, modified: float
) -> Response:
    return file_response(req, faults, len(data), _bytes_chunks(data), content_type, modified)


def entity_chunks(entity: Entity) -> Chunks:
    """An upload's bytes, or the generated stream for a result file."""
    return payload.chunks if entity.data is None else _bytes_chunks(entity.data)


def _bytes_chunks(data: bytes) -> Chunks:
    def chunks(start: int, end: int) -> Iterator[Chunk]:
        yield data[start:end]

    return chunks


def parse_ranges(header: str, size: int) -> List[Tuple[int, int]]:
    """bottle's parse_range_header: satisfiable ``(start, end)`` pairs, end exclusive."""
    if not header.startswith("bytes="):
        return []
    ranges = []
    for item in header[6:].split(","):
        first, sep, last = item.strip().partition("-")
        if not sep:
            continue
        try:
            if not first:  # bytes=-N: the last N bytes
                start, end = max(0, size - int(last)), size
            elif not last:  # bytes=N-
                start, end = int(first), size
            else:
                start, end = int(first), min(int(last) + 1, size)
        except ValueError:
            continue
        if 0 <= start < end <= size:
            ranges.append((start, end))
    return ranges
