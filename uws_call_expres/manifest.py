"""``DIR/manifest.json``: what a grid has done, so that running it again resumes.

The manifest links each point's parameters to its config file, hash, run id, job (id, URL,
phase) and saved files (name, size, SHA-1 when the server gave one), under the grid's
definition (base config hash, axes, job list, server). It is rewritten atomically (a temporary
file in the same directory, fsync, ``os.replace``) every time a point changes state, from any
worker thread: a reader, or a ``kill -9`` at any moment, finds the previous or the new
version, never a mix. It never holds a credential.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .errors import ConfigError, OutputError
from .flags import Flag

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "Manifest",
    "files_verified",
    "write_json_atomic",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "uws_call_expres grid manifest 1"
# Grid keys shown but not compared on a re-run (the base config may have moved).
_INFORMATIVE = frozenset({"base"})


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` as JSON to ``path`` atomically and durably: a temporary file in
    the same directory, flushed and fsync'ed, then ``os.replace`` (and the directory
    fsync'ed where the platform allows it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=1, ensure_ascii=False)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def files_verified(folder: Path, files: Sequence[Mapping[str, Any]]) -> bool:
    """Every recorded file is in ``folder`` with its recorded size, and its recorded SHA-1
    when there is one (no request: only local reads). False for an empty list."""
    if not files:
        return False
    for entry in files:
        name = entry.get("name")
        if not isinstance(name, str) or not name or Path(name).name != name:
            return False
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            return False
        if entry.get("size") is not None and size != entry["size"]:
            return False
        sha1 = entry.get("sha1")
        if isinstance(sha1, str) and sha1 and _sha1(path) != sha1:
            return False
    return True


def _sha1(path: Path) -> Optional[str]:
    digest = hashlib.sha1(usedforsecurity=False)
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


class Manifest:
    """The manifest of one grid directory, kept in memory and written on every change.

    ``grid``: the grid's definition (compared with the one on disk by :meth:`open`);
    ``points``: one dict per point, in grid order. All methods are thread-safe.
    """

    def __init__(self, path: Path, grid: Dict[str, Any], points: List[Dict[str, Any]]) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._document: Dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "grid": grid,
            "updated": _now(),
            "points": points,
        }

    @classmethod
    def open(cls, path: Path, grid: Dict[str, Any], fresh_points: List[Dict[str, Any]]) -> Manifest:
        """The manifest at ``path`` if there is one (its grid must be ``grid``, else
        ConfigError), else a new one with ``fresh_points`` (written at once)."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            manifest = cls(path, grid, fresh_points)
            manifest.save()
            return manifest
        except OSError as exc:
            raise OutputError(f"{path} cannot be read: {exc.strerror}.") from None
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise OutputError(
                f"{path} is not valid JSON ({exc}): it is not a grid manifest; move it away "
                "or choose another output directory."
            ) from None
        if not isinstance(document, dict) or document.get("format") != MANIFEST_FORMAT:
            raise OutputError(
                f"{path} is not a grid manifest of this version; choose another output directory."
            )
        _check_same_grid(path, document.get("grid"), grid)
        points = document.get("points")
        known = {p.get("hash"): p for p in points if isinstance(p, dict)} if points else {}
        merged = [dict(known.get(p["hash"], {}), **_identity(p)) for p in fresh_points]
        return cls(path, grid, merged)

    def point(self, index: int) -> Dict[str, Any]:
        """A copy of the entry of point ``index``."""
        with self._lock:
            entry: Dict[str, Any] = json.loads(json.dumps(self._document["points"][index]))
            return entry

    def update(self, index: int, **fields: Any) -> None:
        """Change fields of point ``index`` and write the manifest."""
        with self._lock:
            self._document["points"][index].update(fields)
            self._document["updated"] = _now()
            write_json_atomic(self.path, self._document)

    def save(self) -> None:
        with self._lock:
            write_json_atomic(self.path, self._document)

    def document(self) -> Dict[str, Any]:
        """A copy of the whole manifest."""
        with self._lock:
            copied: Dict[str, Any] = json.loads(json.dumps(self._document))
            return copied


def _identity(point: Mapping[str, Any]) -> Dict[str, Any]:
    # What the current command defines for a point wins over what the file says.
    return {k: point[k] for k in ("index", "parameters", "hash", "run_id", "folder", "config")}


def _check_same_grid(path: Path, found: Any, wanted: Mapping[str, Any]) -> None:
    if not isinstance(found, dict):
        raise OutputError(f"{path} has no grid definition; choose another output directory.")
    differences = [
        key for key in wanted if key not in _INFORMATIVE and found.get(key) != wanted[key]
    ]
    if differences:
        details = "; ".join(
            f"{key}: {json.dumps(found.get(key))} there, {json.dumps(wanted[key])} now"
            for key in differences
        )
        raise ConfigError(
            f"{path} belongs to another grid ({details}). Run the same grid again to resume "
            f"it (same base config and {Flag.SET} options), or use another output directory "
            "for a new grid."
        )


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
