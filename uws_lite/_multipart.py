"""A ``multipart/form-data`` request body that streams its files (issue 12).

requests' own ``files=`` reads every file into memory and then joins the whole body into
one more copy (peak RSS about twice the upload). :class:`MultipartBody` is a file-like
body instead: the part headers are rendered by urllib3 exactly as requests renders them
(same ``Content-Disposition`` escaping, same layout as ``encode_multipart_formdata``),
and each file is read from disk block by block while the request is sent. Its length
is known in advance, so the request carries a ``Content-Length`` (no chunked encoding:
OPUS runs behind WSGI, which does not promise chunked request bodies).

The body can be rewound to its start (``seek(0)``): urllib3 does that before it retries
a request whose connection could not be opened. Job-creation POSTs are never retried
otherwise (see :func:`uws_lite._retry.make_retry`).
"""

from __future__ import annotations

import io
from typing import IO, Any, Iterator, List, Sequence, Tuple, Union

from urllib3.fields import RequestField
from urllib3.filepost import choose_boundary

from .errors import InvalidRequest

__all__ = ["MultipartBody"]

_BLOCK = 256 * 1024


class _FilePiece:
    """``size`` bytes of ``handle`` from offset ``start``."""

    def __init__(self, name: str, handle: IO[bytes], start: int, size: int) -> None:
        self.name, self.handle, self.start, self.size = name, handle, start, size


_Piece = Union[bytes, _FilePiece]


def _file_piece(name: str, content: Any) -> _Piece:
    """The file's bytes from its current position to its end, unread (or, for a file that
    cannot seek, read into memory as requests would have done)."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    try:
        start = content.tell()
        end = content.seek(0, io.SEEK_END)
        content.seek(start)
    except (AttributeError, OSError, ValueError):
        data = content.read()
        if not isinstance(data, bytes):
            raise InvalidRequest(f"file {name!r}: content must be bytes or a binary file") from None
        return data
    return _FilePiece(name, content, int(start), max(0, int(end) - int(start)))


class MultipartBody:
    """``fields`` (name, text) then ``files`` (name, (filename, bytes or binary file,
    content type)) as one streamed multipart body; send it as ``data=`` with the
    ``Content-Type`` header :attr:`content_type`."""

    def __init__(
        self,
        fields: Sequence[Tuple[str, str]],
        files: Sequence[Tuple[str, Tuple[str, Any, str]]],
    ) -> None:
        boundary = choose_boundary()
        self.content_type = f"multipart/form-data; boundary={boundary}"
        pieces: List[_Piece] = []
        opening = f"--{boundary}\r\n".encode("latin-1")
        for name, value in fields:
            field = RequestField(name=name, data=value)
            field.make_multipart()
            pieces.append(opening + field.render_headers().encode() + value.encode() + b"\r\n")
        for name, (filename, content, ctype) in files:
            field = RequestField(name=name, data=b"", filename=filename)
            field.make_multipart(content_type=ctype)
            pieces.append(opening + field.render_headers().encode())
            pieces.append(_file_piece(name, content))
            pieces.append(b"\r\n")
        pieces.append(f"--{boundary}--\r\n".encode("latin-1"))
        self._pieces = pieces
        self._length = sum(len(p) if isinstance(p, bytes) else p.size for p in pieces)
        self.seek(0)

    def __len__(self) -> int:
        return self._length

    def tell(self) -> int:
        """How many bytes of the body have been read."""
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Rewind to the start (the only position a retry needs)."""
        if offset != 0 or whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a streamed multipart body only rewinds to 0")
        self._index = self._offset = self._position = 0
        return 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left for a negative size); b"" at the end."""
        want = self._length - self._position if size is None or size < 0 else size
        out: List[bytes] = []
        while want > 0 and self._index < len(self._pieces):
            chunk = self._read_piece(self._pieces[self._index], want)
            if chunk:
                out.append(chunk)
                want -= len(chunk)
                self._position += len(chunk)
            else:
                self._index += 1
                self._offset = 0
        return b"".join(out)

    def _read_piece(self, piece: _Piece, want: int) -> bytes:
        if isinstance(piece, bytes):
            chunk = piece[self._offset : self._offset + want]
        else:
            left = piece.size - self._offset
            if left <= 0:
                return b""
            if self._offset == 0:
                piece.handle.seek(piece.start)
            chunk = piece.handle.read(min(want, left, _BLOCK))
            if not chunk:
                raise InvalidRequest(
                    f"file {piece.name!r} became shorter while it was being uploaded "
                    f"({self._offset} of {piece.size} bytes); the upload was abandoned"
                )
        self._offset += len(chunk)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.read(_BLOCK)
            if not chunk:
                return
            yield chunk
