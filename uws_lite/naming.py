"""Local file names for server-given result ids and names.

A result's ``id`` or OPUS's ``name`` attribute comes from the server and is untrusted:
it may hold ``../``, an absolute path, a Windows drive or device name, control or
bidirectional-override characters, or be empty or huge. :func:`safe_filename` turns it
into exactly one harmless path component that is valid on Linux, macOS and Windows.

Decisions (each one keeps a hostile name from doing something a user would not expect):

- Separators (``/`` and ``\\``) split the name into parts; empty, ``.`` and ``..`` parts
  are dropped and the rest joined with ``_`` (``a/b/../c`` -> ``a_b_c``): the file stays
  in the destination directory and keeps the information of the path.
- Leading dots are removed (a result must not become a hidden file, nor ``.``/``..``);
  a leading ``-`` becomes ``_`` so that shell commands never read the file as an option.
- Characters Windows forbids (``<>:"|?*``), control characters and invisible format
  characters (zero-width, bidi overrides that can fake an extension) become ``_``.
- Trailing dots and spaces are removed (Windows drops them silently).
- Windows device names (``CON``, ``NUL``, ``COM1``... even with an extension) get a
  leading ``_``.
- At most :data:`MAX_BYTES` UTF-8 bytes, keeping the extension; a shortened name gets
  a short hash of the original so two long names stay distinct. The bound leaves room
  for the ``.<name>.part`` temporary file of :mod:`uws_lite.download` under the usual
  255-byte limit.
- Unicode is kept, normalised to NFC (macOS stores file names decomposed; comparing
  composed forms finds the same duplicates there).
- Unique against ``taken``, compared case-insensitively (macOS and Windows file systems
  are): ``x.cdf``, ``x-1.cdf``, ``x-2.cdf``...
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Collection, Tuple

__all__ = ["MAX_BYTES", "safe_filename"]

MAX_BYTES = 200
_SEPARATORS = re.compile(r"[/\\]+")
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
# Cc control, Cf format (zero-width, bidi overrides), Cs lone surrogates, Co private use,
# Zl/Zp line and paragraph separators.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
# A compressed file keeps its inner extension when it is shortened or numbered:
# "x.fits.gz" -> "x-1.fits.gz", not "x.fits-1.gz".
_COMPRESSION = frozenset({"gz", "bz2", "xz", "zst", "z", "lz4", "lzma", "br"})
# Longer or odd "extensions" are more likely part of the name.
_EXTENSION = re.compile(r"\.[A-Za-z0-9_+-]{1,16}$")
_EDGES = re.compile(r"^[\s.]+|[\s.]+$")  # leading: hidden files; trailing: Windows drops them


def safe_filename(name: str, taken: Collection[str] = (), *, fallback: str = "result") -> str:
    """``name`` made safe as one file name, and unique against ``taken``.

    ``taken`` holds names already used in the destination directory (compared
    case-insensitively); it is not modified: add the returned name to it yourself.
    ``fallback`` is used when nothing of ``name`` survives (``""``, ``".."``, ``"/"``).
    """
    cleaned = _clean(name) or _clean(fallback) or "result"
    stem, ext = _split_extension(cleaned)
    used = {_fold(t) for t in taken}
    candidate = _bounded(stem, ext, "", name)
    counter = 0
    while _fold(candidate) in used:
        counter += 1
        candidate = _bounded(stem, ext, f"-{counter}", name)
    return candidate


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    parts = [p for p in _SEPARATORS.split(name) if p not in ("", ".", "..")]
    text = "_".join(parts)
    text = "".join(_safe_char(c) for c in text)
    text = _EDGES.sub("", text)
    if text.startswith("-"):
        text = "_" + text[1:]
    if _is_device(text):
        text = "_" + text
    return text


def _safe_char(char: str) -> str:
    if char in _WINDOWS_FORBIDDEN:
        return "_"
    category = unicodedata.category(char)
    if category in _BAD_CATEGORIES:
        return "_"
    if category == "Zs":  # no-break and other spaces: a plain space is less surprising
        return " "
    return char


def _is_device(text: str) -> bool:
    # Windows treats "con.txt" and "con .txt" like "CON": the part before the first dot.
    return text.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES


def _split_extension(name: str) -> Tuple[str, str]:
    match = _EXTENSION.search(name)
    if not match or match.start() == 0:
        return name, ""
    stem, ext = name[: match.start()], match.group()
    if ext[1:].lower() in _COMPRESSION:
        inner = _EXTENSION.search(stem)
        if inner and inner.start() > 0 and len(inner.group()) <= 6:
            stem, ext = stem[: inner.start()], inner.group() + ext
    return stem, ext


def _bounded(stem: str, ext: str, suffix: str, original: str) -> str:
    full = stem + suffix + ext
    if len(full.encode("utf-8")) <= MAX_BYTES:
        return full
    digest = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    tail = f"~{digest}{suffix}{ext}"
    room = MAX_BYTES - len(tail.encode("utf-8"))
    if room < 1:  # an absurd extension: drop it rather than the whole name
        tail = f"~{digest}{suffix}"
        room = MAX_BYTES - len(tail.encode("utf-8"))
    short = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ")
    return (short or "result") + tail


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()
