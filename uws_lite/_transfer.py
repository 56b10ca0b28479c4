"""One file's download, through the client's transport: the checks made before any request,
the attempts and resumes, the streaming loop, the verification and the publication (what
each guarantees is in :mod:`uws_lite.download`)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import IO, Dict, Optional

import requests
import urllib3.exceptions

from ._answers import MAX_ERROR_BODY
from ._hashing import new_sha1
from ._neterrors import describe_break
from ._publish import create_part, publish, remove, sliced_writer
from .download import (
    DownloadItem,
    DownloadOutcome,
    DownloadStatus,
    Progress,
    matches_local_file,
)
from .errors import (
    DownloadError,
    DownloadTimeout,
    IntegrityError,
    InvalidRequest,
    MalformedLocation,
    TLSError,
    TransportError,
    UnsafeURL,
    redact_url,
)
from .numbers import check_count, check_seconds
from .transport import DEFAULT_STALL_TIMEOUT, Opened, Transport
from .urls import is_http_url

__all__ = ["Cancelled", "Transfer", "TransferSettings"]

logger = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(
    r"bytes\s+(\d{1,30})-(\d{1,30})/(\d{1,30}|\*)\s*$", re.IGNORECASE | re.ASCII
)
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d{1,30})\s*$", re.IGNORECASE | re.ASCII)
_SHA1 = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class TransferSettings:
    """How every file of one call is downloaded; checked when made (InvalidRequest)."""

    overwrite: bool = False
    stall_timeout: float = DEFAULT_STALL_TIMEOUT
    deadline: Optional[float] = None  # a time.monotonic() instant, or None
    max_resumes: int = 5
    chunk_size: int = 1 << 20

    def __post_init__(self) -> None:
        check_seconds(self.stall_timeout, "stall_timeout")
        check_count(self.max_resumes, "max_resumes", minimum=0)
        check_count(self.chunk_size, "chunk_size")


class _Broken(Exception):
    """This attempt's connection broke; the download may resume."""


class _Restart(Exception):
    """The server cannot continue where we stopped; ask again for the whole file."""


class Cancelled(DownloadError):
    """Stopped because the other downloads of the same call are being stopped (Ctrl-C)."""


class Transfer:
    """One file: where we are in it, and what the server said."""

    def __init__(
        self,
        transport: Transport,
        item: DownloadItem,
        settings: TransferSettings,
        *,
        progress: Optional[Progress] = None,
        cancel: Optional[threading.Event] = None,
    ) -> None:
        self.transport = transport
        self.item = item
        self.url = item.url
        self.dest = Path(item.dest)
        self.expected_size = item.expected_size
        self.sha1 = (item.sha1 or "").strip().lower() or None
        self.settings = settings
        self.progress = progress
        self.cancel = cancel
        self.timeouts = transport.timeouts.with_read_at_most(settings.stall_timeout)
        # Server texts (the href, a reason phrase, a hash) may echo the token: scrubbed.
        self.shown = transport.scrub(redact_url(item.url))
        self.have = 0  # bytes in the .part file
        self.total: Optional[int] = None  # length of the whole file, when known
        self.validator: Optional[str] = None  # for If-Range
        self.etag: Optional[str] = None
        self.hasher: Optional[hashlib._Hash] = None  # started by run()

    # -- before any request
    def check(self) -> None:
        """Check the arguments, before any request: UnsafeURL or InvalidRequest."""
        if not is_http_url(self.url):
            raise UnsafeURL(
                f"{self.shown!r} is not an http(s) URL; only http and https results are fetched",
                url=self.url,
            )
        if self.sha1 is not None and not _SHA1.fullmatch(self.sha1):
            # The hash comes from the server's job document: a malformed one (truncated,
            # another algorithm) cannot be checked, and must not block the download.
            logger.warning(
                "the hash given for %s is not a SHA-1 (40 hex digits): %r; not checked",
                self.shown,
                self.transport.scrub(self.sha1[:80]),
            )
            self.sha1 = None
        size = self.expected_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise InvalidRequest(
                f"expected_size for {self.shown} must be a number of bytes, neither negative "
                f"nor fractional, not {size!r}"
            )
        if self.dest.is_dir():
            raise InvalidRequest(f"{self.dest} is a directory; give the file's path")

    def already_there(self) -> Optional[DownloadOutcome]:
        """Without ``overwrite``, what a file already at the destination means (after
        :meth:`check`, before any request): PRESENT when it is the result (verified by
        :func:`~uws_lite.download.matches_local_file`), FAILED when it is another file (it
        is left alone); None when there is nothing there, or with ``overwrite``."""
        if self.settings.overwrite or not (self.dest.exists() or self.dest.is_symlink()):
            return None
        # A link is never one of our downloads (and may point anywhere).
        if not self.dest.is_symlink() and matches_local_file(
            self.dest, sha1=self.sha1, size=self.expected_size
        ):
            return DownloadOutcome(self.item, DownloadStatus.PRESENT)
        taken = InvalidRequest(
            f"{self.dest} already exists; remove it, choose another name, or pass overwrite=True"
        )
        return DownloadOutcome(self.item, DownloadStatus.FAILED, taken)

    # -- the download
    def run(self) -> Path:
        """Download, verify and publish; no file is left under the destination on failure."""
        part: Optional[Path] = None
        self.hasher = new_sha1() if self.sha1 else None
        try:
            self.dest.parent.mkdir(parents=True, exist_ok=True)
            fd, part = create_part(self.dest)
            with os.fdopen(fd, "wb") as out:
                self._transfer(out)
            self._verify()
            publish(part, self.dest, self.settings.overwrite)
        except BaseException as exc:
            if part is not None:
                remove(part)
            if isinstance(exc, OSError) and not isinstance(exc, requests.RequestException):
                raise DownloadError(
                    f"could not write {self.dest} ({exc.strerror or exc}); "
                    "check free space and permissions",
                    url=self.url,
                ) from exc
            raise
        return self.dest

    def _transfer(self, out: IO[bytes]) -> None:
        failures = 0
        whole = False  # ask for the whole file (no Range) on the next attempt
        while True:
            self._check_cancelled()
            self._check_deadline()
            if whole:
                self._truncate(out)
            before = self.have
            try:
                self._attempt(out)
                return
            except _Restart as exc:
                reason, whole = str(exc), True
            except _Broken as exc:
                reason, whole = str(exc), False
            failures += 1
            if failures > self.settings.max_resumes:
                raise DownloadError(
                    f"download of {self.shown} failed: {reason} ({failures} attempts); "
                    "no file was written. Try again later, or allow more resumes "
                    "(max_resumes)",
                    url=self.url,
                )
            logger.info(
                "download of %s: %s; %s at byte %d (attempt %d of %d)",
                self.shown,
                reason,
                "restarting" if whole else "resuming",
                0 if whole else self.have,
                failures + 1,
                self.settings.max_resumes + 1,
            )
            if self.have == before:  # no progress: do not hammer a failing server
                self._sleep(min(0.25 * 2 ** (failures - 1), 5.0))

    def _attempt(self, out: IO[bytes]) -> None:
        headers: Dict[str, str] = {"Accept-Encoding": "identity"}
        ranged = self.have > 0
        if ranged:
            headers["Range"] = f"bytes={self.have}-"
            if self.validator:
                headers["If-Range"] = self.validator
        try:
            with self.transport.stream(
                self.url, headers=headers, timeouts=self.timeouts, deadline=self.settings.deadline
            ) as opened:
                self._answer(opened, out, ranged)
        except MalformedLocation as exc:
            raise UnsafeURL(
                f"{self.shown} redirected to a malformed Location (not a URL, or not http(s)); "
                f"it will not be fetched. {exc}",
                url=self.url,
            ) from None
        except TLSError as exc:
            raise DownloadError(f"{exc} No file was written.", url=self.url) from exc
        except TransportError as exc:  # the connection failed or broke, a timeout
            self._check_deadline()
            raise _Broken(describe_break(exc.__cause__ or exc)) from exc
        except InvalidRequest as exc:  # the transport cannot send it (a malformed href)
            raise DownloadError(f"could not request {self.shown} ({exc})", url=self.url) from exc

    def _answer(self, opened: Opened, out: IO[bytes], ranged: bool) -> None:
        response = opened.response
        status = response.status_code
        if status == 416 and ranged:
            self._on_unsatisfiable(response)
            return
        if status == 206:
            self._on_partial(response)
        elif 200 <= status < 300:
            if ranged:  # the server ignored Range, or If-Range says the file changed
                logger.info("download of %s: the server sent the whole file again", self.shown)
                self._truncate(out)
            self._on_whole(response)
        else:
            reply, _ = opened.read_reply(MAX_ERROR_BODY)
            refusal = self.transport.status_error(reply)
            raise DownloadError(
                f"{refusal} No file was written.", url=self.url, status=status
            ) from refusal
        self._report()
        self._stream(opened, out)

    def _on_whole(self, response: requests.Response) -> None:
        length = _int_header(response, "Content-Length")
        self._expect_total(length)
        self.total = length if length is not None else self.expected_size
        self.etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        # If-Range needs a strong validator (RFC 9110 §13.1.5): never a weak W/ ETag.
        if self.etag and not self.etag.startswith("W/"):
            self.validator = self.etag
        else:
            self.validator = last_modified

    def _on_partial(self, response: requests.Response) -> None:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if not match:
            raise _Restart("the server answered 206 without a usable Content-Range")
        start, complete = int(match.group(1)), match.group(3)
        if start != self.have:
            raise _Restart(f"the server resumed at byte {start}, not {self.have}")
        etag = response.headers.get("ETag")
        if self.etag and etag and etag != self.etag:
            raise _Restart("the file changed on the server (new ETag)")
        if complete != "*":
            if self.total is not None and int(complete) != self.total:
                raise _Restart("the file changed on the server (new length)")
            self._expect_total(int(complete))
            self.total = int(complete)

    def _on_unsatisfiable(self, response: requests.Response) -> None:
        # 416 to "bytes=<have>-": we already have everything, if the totals agree.
        match = _UNSATISFIED_RANGE.match(response.headers.get("Content-Range", ""))
        known = self.total if self.total is not None else self.expected_size
        if match and int(match.group(1)) == self.have and known in (None, self.have):
            self.total = self.have
            return
        raise _Restart("the server refused the range (416)")

    def _expect_total(self, total: Optional[int]) -> None:
        if total is not None and self.expected_size is not None and total != self.expected_size:
            raise IntegrityError(
                f"{self.shown} is {total} bytes long but {self.expected_size} were expected; "
                "the result may have been replaced: list the job's results again",
                url=self.url,
            )

    def _stream(self, opened: Opened, out: IO[bytes]) -> None:
        # The hot loop: one read, one write, one hash update and one callback per
        # chunk_size bytes. urllib3 returns the bytes read as they are (no decoding
        # buffer) when decode_content is False. With a deadline, the transport's watchdog
        # cuts the connection when it passes (a trickle resets the read timeout at every
        # byte): a read then fails or ends short, and opened.cut says why.
        read = opened.response.raw.read
        write = sliced_writer(out)
        hasher, progress, cancel = self.hasher, self.progress, self.cancel
        size = self.settings.chunk_size
        while True:
            try:
                chunk = read(size, decode_content=False)
            except (urllib3.exceptions.HTTPError, HTTPException, requests.RequestException) as exc:
                if opened.cut:
                    self._check_deadline()
                raise _Broken(describe_break(exc)) from exc
            if opened.cut:
                self._check_deadline()
            if not chunk:
                break
            write(chunk)
            if hasher is not None:  # inline: a hashing thread cost more CPU than it saved
                hasher.update(chunk)
            self.have += len(chunk)
            if progress is not None:
                progress(self.have, self.total)
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"download of {self.shown} cancelled", url=self.url)
        if self.total is not None and self.have < self.total:
            # urllib3 1.x does not raise on a short body; an unannounced length
            # (expected_size only) ends with a plain EOF.
            raise _Broken(f"the connection closed after {self.have} of {self.total} bytes")

    def _verify(self) -> None:
        for what, size in (("Content-Length", self.total), ("expected size", self.expected_size)):
            if size is not None and size != self.have:
                raise IntegrityError(
                    f"{self.shown} gave {self.have} bytes, not the {size} of its {what}; "
                    "no file was written. Try again; if it persists, the server's file is bad",
                    url=self.url,
                )
        if self.hasher is not None and self.hasher.hexdigest() != self.sha1:
            raise IntegrityError(
                f"{self.shown}: SHA-1 {self.hasher.hexdigest()} does not match the server's "
                f"hash {self.sha1}; no file was written. Try again; if it persists, the "
                "result is corrupt on the server",
                url=self.url,
            )

    def _truncate(self, out: IO[bytes]) -> None:
        out.seek(0)
        out.truncate()
        self.have = 0
        self.total = None
        self.hasher = new_sha1() if self.sha1 else None
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.have, self.total)

    def _check_deadline(self) -> None:
        deadline = self.settings.deadline
        if deadline is not None and time.monotonic() >= deadline:
            raise DownloadTimeout(
                f"download of {self.shown} did not finish within its deadline "
                f"(had {self.have} bytes); no file was written. Try again with a larger "
                "timeout, or later",
                url=self.url,
            )

    def _check_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(f"download of {self.shown} cancelled", url=self.url)

    def _sleep(self, seconds: float) -> None:
        deadline = self.settings.deadline
        if deadline is not None:
            seconds = max(0.0, min(seconds, deadline - time.monotonic()))
        if self.cancel is not None:
            self.cancel.wait(seconds)
        else:
            time.sleep(seconds)


def _int_header(response: requests.Response, name: str) -> Optional[int]:
    value = response.headers.get(name, "").strip()
    # isdigit() alone accepts "²", which int() refuses; 4300+ digits are refused by int().
    if not (value.isascii() and value.isdigit()) or len(value) > 30:
        return None
    return int(value)
