"""What :meth:`uws_lite.Client.download_many` and :meth:`~uws_lite.Client.download` make of
their arguments for the download engine (:func:`uws_lite._batch.download_all`): results or hrefs
made into checked :class:`~uws_lite.download.DownloadItem` values (no http(s) href, no
download at all), the total timeout made into a deadline, one file's progress callback
adapted to the engine's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

from ._transfer import TransferSettings
from .download import DownloadItem, ItemProgress, Progress
from .errors import UnsafeURL, redact_url
from .models import Result
from .numbers import check_seconds
from .urls import is_http_url

__all__ = ["ResultAndDest", "download_items", "item_progress", "transfer_settings"]

ResultAndDest = Tuple[Union[Result, str], Union[str, Path]]


def download_items(results_and_dests: Iterable[ResultAndDest]) -> List[DownloadItem]:
    """Each (result or href, destination) as a download item; UnsafeURL for an href that
    is not http(s), before anything is downloaded."""
    return [_download_item(result, dest) for result, dest in results_and_dests]


def transfer_settings(
    overwrite: bool, stall_timeout: float, timeout: Optional[float]
) -> TransferSettings:
    """The settings of one call; its total ``timeout`` (seconds) becomes a deadline."""
    deadline = None
    if timeout is not None:
        deadline = time.monotonic() + check_seconds(timeout, "the download's total timeout")
    return TransferSettings(overwrite=overwrite, stall_timeout=stall_timeout, deadline=deadline)


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
