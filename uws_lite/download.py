"""Streaming, atomic, resumable, verified downloads of job results.

What :func:`download_file` guarantees, and why:

- **Only http(s)** hrefs are fetched (a result href is server-given: ``file:``, ``uws:``
  or relative junk raise :class:`~uws_lite.errors.UnsafeURL`).
- **Credentials stay home.** Redirects are followed here, not by requests, so that
  ``auth`` is sent only while the current URL has the origin (scheme, host, port) of
  ``trusted_origin``; elsewhere a no-op auth replaces it and session-wide
  ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` headers (and jar cookies)
  are removed. A no-op auth is also sent when ``auth`` is None,
  because requests would otherwise take credentials from ``~/.netrc``.
- **Atomic.** Bytes go to ``.<name>.<random>.part`` next to ``dest``, created exclusively
  (``tempfile.mkstemp``: O_EXCL, O_NOFOLLOW, mode 0600, so nothing planted there, such as
  a symlink pointing elsewhere, is ever written through), and are renamed onto ``dest``
  only once complete and verified; on any failure (including Ctrl-C) the ``.part`` file
  is removed, so a file under the final name is always complete. With
  ``overwrite=False`` the rename uses a hard link, which fails rather than replace a file
  that appeared meanwhile. Nothing is fsync'ed: that made a 1 GiB loopback download
  2 to 4 times slower (the disk, not the network, became the limit) and ``curl -o`` does
  not do it either; the guarantee holds against crashes of the process, not against a
  power cut (after one, check the file against the result's hash).
- **Resumable within one call.** A broken connection, a read timeout or a short body
  leads to ``Range: bytes=<have>-`` (with ``If-Range`` when the server gave a strong
  ETag or a Last-Modified date), at most ``max_resumes`` times: 206 appends, 200 (Range
  ignored, or the file changed) starts again from zero, 416 whose total equals what we
  have means "already complete". A ``.part`` file left by a killed process is *not*
  resumed by a later call: nothing proves it is the same file (no validator was kept).
  Each call writes only the ``.part`` file it created itself, and leaves others alone.
- **Verified.** The length must match Content-Length (the Content-Range total on 206)
  and ``expected_size``; the SHA-1 (OPUS's ``hash``) is computed while writing and must
  match ``sha1``. Otherwise :class:`~uws_lite.errors.IntegrityError`.
- **Bytes as stored.** ``Accept-Encoding: identity`` is sent and the body is never
  decoded: a server that still sends ``Content-Encoding: gzip`` is almost always one
  that labels a ``.gz`` file that way, and the file (and its SHA-1) is the gzip data,
  as ``curl -o`` would save it. This also keeps Range offsets meaningful.
- **Stalls are noticed, and a deadline holds.** No byte for ``stall_timeout`` seconds
  (default 20 s, :data:`DEFAULT_STALL_TIMEOUT`; it replaces a longer read timeout) counts
  as a broken connection and is resumed as above. ``total_timeout`` (seconds, for one
  file or for the whole of :func:`download_many`) is a total deadline: connects, reads,
  retries and resumes get at most the time left, a body still arriving at the deadline is
  cut (:mod:`uws_lite.deadline`), and :class:`~uws_lite.errors.DownloadTimeout` is
  raised within about 0.5 s after it; no file is left under the final name.
- **Fast and small.** The body is read straight from urllib3 in ``chunk_size`` (1 MiB)
  blocks and written with no intermediate copies: memory stays flat whatever the size.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import re
import tempfile
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import IO, Any, Callable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.auth import AuthBase

from . import _scoped as scoped
from .deadline import DeadlineTimeout, Watchdog, deadline_scope
from .errors import (
    DownloadError,
    DownloadTimeout,
    IntegrityError,
    InvalidRequest,
    MalformedLocation,
    UnsafeURL,
    redact,
    redact_url,
)
from .numbers import check_count, check_seconds

__all__ = [
    "DEFAULT_STALL_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DownloadItem",
    "ItemProgress",
    "Progress",
    "download_file",
    "download_many",
    "matches_local_file",
]

logger = logging.getLogger(__name__)

Progress = Callable[[int, Optional[int]], None]  # (bytes written, total or None)
Timeout = Union[float, Tuple[float, float]]
DEFAULT_TIMEOUT: Tuple[float, float] = (10.0, 90.0)  # (connect, read) seconds
DEFAULT_STALL_TIMEOUT = 20.0  # seconds without a byte after which a download is resumed
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CONTENT_RANGE = re.compile(
    r"bytes\s+(\d{1,30})-(\d{1,30})/(\d{1,30}|\*)\s*$", re.IGNORECASE | re.ASCII
)
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d{1,30})\s*$", re.IGNORECASE | re.ASCII)
_SHA1 = re.compile(r"[0-9a-f]{40}")
_PART_NAME_MAX = 250  # bytes; file systems allow 255 per name


@dataclass(frozen=True)
class DownloadItem:
    """One download of :func:`download_many`."""

    url: str
    dest: Path
    expected_size: Optional[int] = None
    sha1: Optional[str] = None


ItemProgress = Callable[[DownloadItem, int, Optional[int]], None]


class _NoAuth(AuthBase):
    """Adds nothing. Passed instead of None so requests does not read ~/.netrc."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


_NO_AUTH = _NoAuth()


class _Broken(Exception):
    """This attempt's connection broke; the download may resume."""


class _Restart(Exception):
    """The server cannot continue where we stopped; ask again for the whole file."""


class _Cancelled(DownloadError):
    """Stopped because another download of the same download_many failed."""


def download_file(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    auth: Optional[AuthBase],
    trusted_origin: str,
    timeout: Timeout = DEFAULT_TIMEOUT,
    expected_size: Optional[int] = None,
    sha1: Optional[str] = None,
    progress: Optional[Progress] = None,
    overwrite: bool = False,
    max_resumes: int = 5,
    chunk_size: int = 1 << 20,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    total_timeout: Optional[float] = None,
) -> Path:
    """Stream ``url`` to ``dest`` (created with its parent directories) and return it.

    ``auth`` is sent only to ``trusted_origin`` (a URL; only its scheme, host and port
    count). ``sha1``: hex digest to check ("" or None: no check). ``progress(done,
    total)`` is called once the answer arrives and after each chunk; ``done`` goes
    back to 0 only when the server makes the download start again.

    ``stall_timeout``: seconds without a byte before the download is resumed (see the
    module doc). ``total_timeout``: seconds for the whole download (None: no limit).

    Raises :class:`InvalidRequest` (``dest`` exists and not ``overwrite``, bad
    arguments) before any request, :class:`UnsafeURL`, :class:`IntegrityError`,
    :class:`DownloadTimeout` or :class:`DownloadError`; never leaves a file under
    ``dest`` on failure.
    """
    job = _Download(
        session,
        url,
        Path(dest),
        auth=auth,
        trusted_origin=trusted_origin,
        timeout=timeout,
        expected_size=expected_size,
        sha1=sha1,
        progress=progress,
        overwrite=overwrite,
        max_resumes=max_resumes,
        chunk_size=chunk_size,
        stall_timeout=stall_timeout,
        deadline=_deadline_of(total_timeout),
    )
    job.check()
    return job.run()


def download_many(
    session: requests.Session,
    items: Sequence[DownloadItem],
    *,
    auth: Optional[AuthBase],
    trusted_origin: str,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_workers: int = 4,
    progress: Optional[ItemProgress] = None,
    overwrite: bool = False,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    total_timeout: Optional[float] = None,
) -> List[Path]:
    """Download ``items`` with at most ``max_workers`` in parallel; paths in item order.

    Every item is checked (URL, destination) before any request. On the first failure
    the downloads not started are cancelled and the running ones stopped (their
    ``.part`` files removed), then that first error is raised. Files completed before
    it stay: each is complete and verified, and the error's ``saved_paths`` attribute
    lists them (the destinations this call wrote; read it with ``getattr(error,
    "saved_paths", ())``): a file found under another destination name is not ours.
    ``progress(item, done, total)`` is called from the worker threads. Keep
    ``max_workers`` within the session's connection pool size (10 by default in
    requests) so connections are reused. ``stall_timeout`` and ``total_timeout`` as in
    :func:`download_file`; ``total_timeout`` bounds all of them.
    """
    check_count(max_workers, "max_workers")
    cancel = threading.Event()
    limits = _Limits(stall_timeout, _deadline_of(total_timeout))
    jobs = [
        _job_for(session, item, auth, trusted_origin, timeout, progress, overwrite, cancel, limits)
        for item in items
    ]
    _check_distinct([job.dest for job in jobs])
    for job in jobs:
        job.check()
    if not jobs:
        return []
    with ThreadPoolExecutor(min(max_workers, len(jobs)), "uws-download") as pool:
        futures: List[Future[Path]] = []
        try:  # submitting is inside: Ctrl-C while the workers start must cancel them too
            for job in jobs:
                futures.append(pool.submit(job.run))
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # Ctrl-C while waiting: stop the workers cleanly too
            _cancel_all(cancel, futures)
            raise
        if any(f.exception() is not None for f in done):
            _cancel_all(cancel, futures)
    errors = [e for e in (_exception(f) for f in futures) if e is not None]
    failures = [e for e in errors if not isinstance(e, _Cancelled)]
    if failures:
        for other in failures[1:]:
            logger.warning("another download failed too: %s", other)
        # Which files this call wrote: a file under a destination name may be another's.
        saved = tuple(
            job.dest for job, f in zip(jobs, futures) if not f.cancelled() and f.exception() is None
        )
        setattr(failures[0], "saved_paths", saved)  # noqa: B010 (not declared on the class)
        raise failures[0]
    if errors:  # pragma: no cover - cancellation only follows a failure
        raise errors[0]
    return [f.result() for f in futures]


def matches_local_file(
    path: Union[str, os.PathLike[str]], *, sha1: Optional[str] = None, size: Optional[int] = None
) -> Optional[bool]:
    """Whether the file at ``path`` already holds a result with this SHA-1 (OPUS's ``hash``)
    or, without one, this size; None when neither is known (nothing to check against).

    False when ``path`` is not a file (missing, a directory). A size that differs is False
    without hashing.
    This is how an interrupted or repeated download skips what it already has: downloads
    are atomic, so a complete file under the final name is a finished one.
    """
    target = Path(path)
    if not target.is_file():
        return False
    digest = (sha1 or "").strip().lower()
    if not _SHA1.fullmatch(digest):
        digest = ""
    if size is not None and target.stat().st_size != size:
        return False
    if digest:
        hasher = _new_sha1()
        with target.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        return hasher.hexdigest() == digest
    return None if size is None else True


def _job_for(
    session: requests.Session,
    item: DownloadItem,
    auth: Optional[AuthBase],
    trusted_origin: str,
    timeout: Timeout,
    progress: Optional[ItemProgress],
    overwrite: bool,
    cancel: threading.Event,
    limits: _Limits,
) -> _Download:
    item_progress: Optional[Progress] = None
    if progress is not None:
        report = progress

        def item_progress(done: int, total: Optional[int]) -> None:
            report(item, done, total)

    return _Download(
        session,
        item.url,
        Path(item.dest),
        auth=auth,
        trusted_origin=trusted_origin,
        timeout=timeout,
        expected_size=item.expected_size,
        sha1=item.sha1,
        progress=item_progress,
        overwrite=overwrite,
        cancel=cancel,
        stall_timeout=limits.stall_timeout,
        deadline=limits.deadline,
    )


def _check_distinct(dests: List[Path]) -> None:
    seen = set()
    for dest in dests:
        # normcase + casefold: two names differing only in case are one file on macOS/Windows.
        key = os.path.normcase(os.path.abspath(dest)).casefold()
        if key in seen:
            raise InvalidRequest(
                f"two downloads target the same file name {dest} (compared "
                "case-insensitively, as macOS and Windows do); give each result its own "
                "name (uws_lite.naming.safe_filename makes unique names)"
            )
        seen.add(key)


def _cancel_all(cancel: threading.Event, futures: List[Future[Path]]) -> None:
    cancel.set()
    for future in futures:
        future.cancel()


def _exception(future: Future[Path]) -> Optional[BaseException]:
    return None if future.cancelled() else future.exception()


class _Download:
    """The state of one download: where we are in the file, and what the server said."""

    def __init__(
        self,
        session: requests.Session,
        url: str,
        dest: Path,
        *,
        auth: Optional[AuthBase],
        trusted_origin: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        expected_size: Optional[int] = None,
        sha1: Optional[str] = None,
        progress: Optional[Progress] = None,
        overwrite: bool = False,
        max_resumes: int = 5,
        chunk_size: int = 1 << 20,
        cancel: Optional[threading.Event] = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        deadline: Optional[float] = None,
    ) -> None:
        self.session = session
        self.url = url
        self.dest = dest
        self.auth = auth
        self.trusted_origin = trusted_origin
        self.trusted = _origin(trusted_origin)
        self.timeout = timeout
        self.expected_size = expected_size
        self.sha1 = (sha1 or "").strip().lower() or None
        self.progress = progress
        self.overwrite = overwrite
        self.max_resumes = max_resumes
        self.chunk_size = chunk_size
        self.cancel = cancel
        self.stall_timeout = stall_timeout
        self.deadline = deadline  # time.monotonic() instant, or None
        # Server texts (the href, a reason phrase, a hash) may echo the token: redacted.
        self.secrets: Tuple[str, ...] = tuple(getattr(auth, "secrets", ()))
        self.shown = redact(redact_url(url), self.secrets)
        self.have = 0  # bytes in the .part file
        self.total: Optional[int] = None  # length of the whole file, when known
        self.validator: Optional[str] = None  # for If-Range
        self.etag: Optional[str] = None
        self.hasher: Optional[_BackgroundSHA1] = None  # started by run()

    # -- before any request
    def check(self) -> None:
        _check_url(self.url)
        if self.trusted is None:
            raise InvalidRequest(
                f"trusted_origin {redact_url(self.trusted_origin)!r} is not an http(s) URL"
            )
        if self.sha1 is not None and not _SHA1.fullmatch(self.sha1):
            # The hash comes from the server's job document: a malformed one (truncated,
            # another algorithm) cannot be checked, and must not block the download.
            logger.warning(
                "the hash given for %s is not a SHA-1 (40 hex digits): %r; not checked",
                self.shown,
                redact(self.sha1[:80], self.secrets),
            )
            self.sha1 = None
        if self.expected_size is not None and self.expected_size < 0:
            raise InvalidRequest(f"expected_size for {self.shown} is negative")
        check_count(self.chunk_size, "chunk_size")
        check_count(self.max_resumes, "max_resumes", minimum=0)
        check_seconds(self.stall_timeout, "stall_timeout")
        if self.expected_size is not None:
            check_count(self.expected_size, f"expected_size for {self.shown}", minimum=0)
        if self.dest.is_dir():
            raise InvalidRequest(f"{self.dest} is a directory; give the file's path")
        if not self.overwrite and (self.dest.exists() or self.dest.is_symlink()):
            raise InvalidRequest(
                f"{self.dest} already exists; remove it, choose another name, "
                "or pass overwrite=True"
            )

    # -- the download
    def run(self) -> Path:
        part: Optional[Path] = None
        self.hasher = _BackgroundSHA1() if self.sha1 else None
        try:
            self.dest.parent.mkdir(parents=True, exist_ok=True)
            fd, part = _create_part(self.dest)
            with os.fdopen(fd, "wb") as out:
                self._transfer(out)
            self._verify()
            _publish(part, self.dest, self.overwrite)
        except BaseException as exc:
            if self.hasher is not None:
                self.hasher.close()
            if part is not None:
                _remove(part)
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
            if failures > self.max_resumes:
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
                self.max_resumes + 1,
            )
            if self.have == before:  # no progress: do not hammer a failing server
                self._sleep(min(0.25 * 2 ** (failures - 1), 5.0))

    def _attempt(self, out: IO[bytes]) -> None:
        headers = {"Accept-Encoding": "identity"}
        ranged = self.have > 0
        if ranged:
            headers["Range"] = f"bytes={self.have}-"
            if self.validator:
                headers["If-Range"] = self.validator
        with Watchdog(self.deadline) as watchdog:
            response = self._get(headers, watchdog)
            watchdog.watch_response(response)
            self._answer(response, out, ranged, watchdog)

    def _answer(
        self, response: requests.Response, out: IO[bytes], ranged: bool, watchdog: Watchdog
    ) -> None:
        with response:
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
                message = _status_message(response, self.shown)
                raise DownloadError(redact(message, self.secrets), url=self.url)
            self._report()
            self._stream(response, out, watchdog)

    def _get(self, headers: Mapping[str, str], watchdog: Watchdog) -> requests.Response:
        url = self.url
        for _hop in range(MAX_REDIRECTS + 1):
            trusted = _origin(url) == self.trusted
            auth = self.auth if trusted and self.auth is not None else _NO_AUTH
            self._check_deadline()
            try:
                # Off the origin, session-wide Authorization/Cookie headers are dropped too.
                with deadline_scope(self.deadline):
                    response = scoped.send(
                        self.session,
                        "GET",
                        url,
                        trusted=trusted,
                        headers=headers,
                        auth=auth,
                        timeout=self._request_timeout(),
                        stream=True,
                    )
            except MalformedLocation:
                raise UnsafeURL(
                    f"{self.shown} redirected to a malformed Location (not a URL); it will "
                    "not be fetched. Report it to the service's administrators",
                    url=self.url,
                ) from None
            except requests.exceptions.SSLError as exc:
                raise DownloadError(
                    f"TLS failed for {redact_url(url)} ({type(exc).__name__}); check the "
                    "server's certificate and the system's CA bundle",
                    url=url,
                ) from exc
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                if watchdog.fired:
                    self._check_deadline()
                raise _Broken(_describe(exc)) from exc
            except requests.RequestException as exc:
                raise DownloadError(
                    f"could not request {redact_url(url)} ({type(exc).__name__})", url=url
                ) from exc
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                return response
            response.close()
            try:
                url = urljoin(url, location)
            except ValueError:
                raise UnsafeURL(
                    f"{self.shown} redirected to a malformed Location (not a URL); it will "
                    "not be fetched. Report it to the service's administrators",
                    url=self.url,
                ) from None
            _check_url(url)
            if _origin(url) != self.trusted:
                logger.debug(
                    "download of %s: redirected off the service's origin; "
                    "credentials are not sent there",
                    self.shown,
                )
        raise DownloadError(
            f"{self.shown} redirected more than {MAX_REDIRECTS} times; the server is "
            "misconfigured (redirect loop?)",
            url=self.url,
        )

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

    def _stream(self, response: requests.Response, out: IO[bytes], watchdog: Watchdog) -> None:
        # The hot loop: one read, one write, one hash update and one callback per
        # chunk_size bytes. urllib3 returns the bytes read as they are (no decoding
        # buffer) when decode_content is False. With a deadline, the watchdog cuts the
        # connection when it passes (a trickle resets the read timeout at every byte).
        read = response.raw.read
        write = out.write
        hasher, progress, cancel = self.hasher, self.progress, self.cancel
        size = self.chunk_size
        while True:
            try:
                chunk = read(size, decode_content=False)
            except (urllib3.exceptions.HTTPError, HTTPException, requests.RequestException) as exc:
                if watchdog.fired:
                    self._check_deadline()
                raise _Broken(_describe(exc)) from exc
            if watchdog.fired:
                self._check_deadline()
            if not chunk:
                break
            write(chunk)
            if hasher is not None:
                hasher.update(chunk)
            self.have += len(chunk)
            if progress is not None:
                progress(self.have, self.total)
            if cancel is not None and cancel.is_set():
                raise _Cancelled(f"download of {self.shown} cancelled", url=self.url)
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
        if self.hasher is not None:
            self.hasher.close()
        self.hasher = _BackgroundSHA1() if self.sha1 else None
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.have, self.total)

    def _request_timeout(self) -> Any:  # requests' stubs do not know urllib3 Timeouts
        """(connect, read) with the read cut to ``stall_timeout``; with a deadline, a
        timeout that never exceeds the time left."""
        if isinstance(self.timeout, tuple):
            connect, read = self.timeout
        else:
            connect = read = self.timeout
        read = min(read, self.stall_timeout)
        if self.deadline is None:
            return (connect, read)
        return DeadlineTimeout(connect, read, self.deadline)

    def _check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise DownloadTimeout(
                f"download of {self.shown} did not finish within its deadline "
                f"(had {self.have} bytes); no file was written. Try again with a larger "
                "timeout, or later",
                url=self.url,
            )

    def _check_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise _Cancelled(f"download of {self.shown} cancelled", url=self.url)

    def _sleep(self, seconds: float) -> None:
        if self.deadline is not None:
            seconds = max(0.0, min(seconds, self.deadline - time.monotonic()))
        if self.cancel is not None:
            self.cancel.wait(seconds)
        else:
            time.sleep(seconds)


@dataclass(frozen=True)
class _Limits:
    stall_timeout: float
    deadline: Optional[float]


def _deadline_of(total_timeout: Optional[float]) -> Optional[float]:
    if total_timeout is None:
        return None
    return time.monotonic() + check_seconds(total_timeout, "the download's total timeout")


class _BackgroundSHA1:
    """SHA-1 computed on a worker thread fed through a small bounded queue.

    hashlib releases the GIL while hashing large buffers, so the hash of one chunk overlaps
    the socket read and the file write of the next. Inline, hashing made a 1 GiB loopback
    download 0.84x curl's speed (bench/RESULTS.md); the queue holds at most 8 chunks.
    """

    def __init__(self) -> None:
        self._hash = _new_sha1()
        self._chunks: queue.Queue[Optional[bytes]] = queue.Queue(maxsize=8)
        self._digest: Optional[str] = None
        self._thread = threading.Thread(target=self._work, name="uws_lite-sha1", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            chunk = self._chunks.get()
            if chunk is None:
                return
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._chunks.put(chunk)

    def hexdigest(self) -> str:
        """The digest of everything given so far (stops the worker)."""
        if self._digest is None:
            self.close()
            self._digest = self._hash.hexdigest()
        return self._digest

    def close(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()


def _new_sha1() -> hashlib._Hash:
    # OPUS publishes SHA-1: an integrity check against corruption, not a security one.
    return hashlib.sha1(usedforsecurity=False)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeURL(f"{redact_url(url)!r} is not a URL; it will not be fetched") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise UnsafeURL(
            f"{redact_url(url)!r} is not an http(s) URL; only http and https results are fetched",
            url=url,
        )


def _origin(url: str) -> Optional[Tuple[str, str, int]]:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        return scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:  # bad port
        return None


def _create_part(dest: Path) -> Tuple[int, Path]:
    """A new, empty temporary file next to ``dest``: an open descriptor and its path.

    ``tempfile.mkstemp`` opens with O_CREAT|O_EXCL (and O_NOFOLLOW where the platform has
    it) under a random name, mode 0600: a file, link or symlink planted in the directory
    is never opened or written through, and a name cannot be guessed in advance.
    """
    prefix = f".{dest.name}."
    if len(prefix.encode("utf-8", "surrogateescape")) > _PART_NAME_MAX - 16:
        digest = hashlib.sha256(dest.name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        prefix = f".{digest}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=dest.parent)
    return fd, Path(name)


def _umask() -> int:
    """The process's umask (read once, at import: setting it to read it is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# What a plain open() would give the file: the temporary file is created 0600 (mkstemp) so
# that nobody else can read or write it while it is incomplete; the result gets the usual
# permissions when it is published.
PUBLISHED_MODE = 0o666 & ~_umask()


def _publish(part: Path, dest: Path, overwrite: bool) -> None:
    with contextlib.suppress(OSError):  # a file system without modes (FAT) keeps its own
        os.chmod(part, PUBLISHED_MODE)
    if overwrite:
        os.replace(part, dest)
    else:
        # A hard link fails if dest appeared during the download, where a rename would
        # silently replace it.
        try:
            os.link(part, dest)
        except FileExistsError:
            raise InvalidRequest(
                f"{dest} appeared during the download and was left alone; "
                "remove it or pass overwrite=True"
            ) from None
        except OSError:  # no hard links on this file system (FAT, some network mounts)
            if dest.exists():
                raise InvalidRequest(f"{dest} appeared during the download") from None
            os.replace(part, dest)
        else:
            os.unlink(part)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:  # the original error matters more than this one
        logger.warning("could not remove the partial file %s: %s", path, exc.strerror)


def _int_header(response: requests.Response, name: str) -> Optional[int]:
    value = response.headers.get(name, "").strip()
    # isdigit() alone accepts "²", which int() refuses; 4300+ digits are refused by int().
    if not (value.isascii() and value.isdigit()) or len(value) > 30:
        return None
    return int(value)


def _describe(exc: BaseException) -> str:
    # Only fixed phrases: exception texts from requests/urllib3 carry the URL's path and
    # query, which may hold a token (pre-signed URLs).
    if isinstance(exc, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError)):
        return "the server stopped sending (read timeout)"
    if isinstance(exc, requests.ConnectTimeout):
        return "the server could not be reached (connect timeout)"
    if isinstance(
        exc,
        (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError, HTTPException),
    ):
        return f"the connection broke during the transfer ({type(exc).__name__})"
    return f"the connection failed ({type(exc).__name__})"


def _status_message(response: requests.Response, shown: str) -> str:
    status = response.status_code
    hint = {
        401: "the credentials are missing or wrong",
        403: "this account may not read it",
        404: "the result is gone (job destroyed or deleted?): list the job's results again",
        410: "the result is gone: list the job's results again",
    }.get(status, "try again later; if it persists, ask the service's administrators")
    return f"the server answered HTTP {status} {response.reason or ''} for {shown}; {hint}"
