"""What :meth:`uws_lite.Client.download_many` and :meth:`~uws_lite.Client.download` do with
their arguments before the download engine (:mod:`uws_lite._batch`) runs: results or hrefs
made into checked :class:`~uws_lite.download.DownloadItem` values (no http(s) href, no
download at all), the total timeout made into a deadline, one file's progress callback
adapted to the engine's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Optional, Tuple, Union

from ._batch import download_all
from ._transfer import TransferSettings
from .download import DEFAULT_STALL_TIMEOUT, DownloadItem, DownloadReport, ItemProgress, Progress
from .errors import UnsafeURL, redact_url
from .models import Result
from .numbers import check_seconds
from .transport import Transport
from .urls import is_http_url

__all__ = ["ResultAndDest", "download_results", "item_progress"]

ResultAndDest = Tuple[Union[Result, str], Union[str, Path]]


def download_results(
    transport: Transport,
    results_and_dests: Iterable[ResultAndDest],
    *,
    max_workers: int = 4,
    progress: Optional[ItemProgress] = None,
    overwrite: bool = False,
    timeout: Optional[float] = None,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
) -> DownloadReport:
    """Every item checked (UnsafeURL, InvalidRequest before any request), then downloaded
    through ``transport`` (see :meth:`uws_lite.Client.download_many`)."""
    items = [_download_item(result, dest) for result, dest in results_and_dests]
    deadline = None
    if timeout is not None:
        deadline = time.monotonic() + check_seconds(timeout, "the download's total timeout")
    settings = TransferSettings(overwrite=overwrite, stall_timeout=stall_timeout, deadline=deadline)
    return download_all(transport, items, settings, max_workers=max_workers, progress=progress)


def item_progress(progress: Optional[Progress]) -> Optional[ItemProgress]:
    """One file's ``progress(done, total)`` as the engine calls it (with the item)."""
    if progress is None:
        return None
    one = progress

    def report(item: DownloadItem, done: int, total: Optional[int]) -> None:
        one(done, total)

    return report


def _download_item(result: Union[Result, str], dest: Union[str, Path]) -> DownloadItem:
    if isinstance(result, Result):
        href, size, sha1 = result.href, result.size, result.sha1
    else:
        href, size, sha1 = result, None, None
    if not href or not is_http_url(href):
        raise UnsafeURL(
            f"Result href {redact_url(href)!r} is not an http(s) URL: it will not be "
            "fetched (nothing was downloaded). Leave it out, or use the job's results "
            "list (Client.get_results).",
            url=href,
        )
    return DownloadItem(href, Path(dest), expected_size=size, sha1=sha1)
