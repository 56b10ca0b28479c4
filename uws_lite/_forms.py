"""A job's parameters as an HTTP form: text values, numbers, and local files uploaded as
multipart parts, every file checked and opened before anything is sent (UWS 1.1 §2.2.3)."""

from __future__ import annotations

import contextlib
import functools
import mimetypes
from pathlib import Path
from typing import IO, Any, List, Mapping, Optional, Tuple, Union

from .errors import InvalidRequest

__all__ = ["FilePart", "FileItems", "FormItems", "FormValue", "build_form", "text_value"]

# A form value: text (an "@path" string means "upload this file", uws-client's convention),
# a number, or a local path (Path) which is uploaded as a file part.
FormValue = Union[str, int, float, Path]
# A file part: a path, or (filename, content bytes or binary file object).
FilePart = Union[str, Path, Tuple[str, Union[bytes, IO[bytes]]]]
FormItems = List[Tuple[str, str]]
FileItems = List[Tuple[str, Tuple[str, Any, str]]]


def text_value(name: str, value: Any) -> str:
    """A form value as text (numbers as written); InvalidRequest for anything else."""
    if isinstance(value, bool):
        raise InvalidRequest(f"parameter {name!r}: give a boolean as text ('true'/'false')")
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    raise InvalidRequest(f"parameter {name!r}: cannot send a {type(value).__name__} as a value")


def build_form(
    parameters: Optional[Mapping[str, Any]],
    files: Optional[Mapping[str, Any]],
    stack: contextlib.ExitStack,
) -> Tuple[FormItems, FileItems]:
    """Form fields and multipart file parts; every local file is checked and opened
    here, before anything is sent, and closed by ``stack``."""
    form: FormItems = []
    uploads: FileItems = []
    for name, value in (parameters or {}).items():
        _check_name(name)
        if value is None:
            continue
        if isinstance(value, Path):
            uploads.append(_file_part(name, value, stack))
        elif isinstance(value, str) and value.startswith("@@"):
            form.append((name, value[1:]))
        elif isinstance(value, str) and value.startswith("@"):
            uploads.append(_file_part(name, Path(value[1:]), stack))
        else:
            form.append((name, text_value(name, value)))
    for name, part in (files or {}).items():
        _check_name(name)
        if isinstance(part, (str, Path)):
            uploads.append(_file_part(name, Path(part), stack))
        elif isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], str):
            filename = _basename(part[0])
            content = part[1]
            if not isinstance(content, bytes) and not hasattr(content, "read"):
                raise InvalidRequest(f"file {name!r}: content must be bytes or a binary file")
            uploads.append((name, (filename, content, _mime(filename))))
        else:
            raise InvalidRequest(f"file {name!r}: give a path or (filename, bytes or binary file)")
    return form, uploads


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"parameter names are non-empty strings, not {name!r}")


def _file_part(
    name: str, path: Path, stack: contextlib.ExitStack
) -> Tuple[str, Tuple[str, Any, str]]:
    path = path.expanduser()
    if not path.is_file():
        raise InvalidRequest(f"parameter {name!r}: no such file {str(path)!r}; nothing was sent")
    try:
        handle = stack.enter_context(path.open("rb"))
    except OSError as exc:
        raise InvalidRequest(f"parameter {name!r}: cannot read {str(path)!r} ({exc})") from None
    # Only the base name goes to the server (OPUS keeps a sanitised base name anyway).
    return name, (path.name, handle, _mime(path.name))


def _basename(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if not base or base in (".", ".."):
        raise InvalidRequest(f"not a usable file name: {filename!r}")
    return base


# The types of the files a UWS job usually gets (as IANA registers them); others
# from the standard library's own table, built on first use without the system's files
# (reading /etc/mime.types cost milliseconds of every submission, and differs by machine).
_COMMON = {
    ".json": "application/json",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".csv": "text/csv",
}


@functools.lru_cache(maxsize=1)
def _types() -> mimetypes.MimeTypes:
    return mimetypes.MimeTypes(filenames=())


def _mime(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in _COMMON:
        return _COMMON[suffix]
    return _types().guess_type(filename)[0] or "application/octet-stream"
