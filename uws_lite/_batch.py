"""The download engine behind :meth:`uws_lite.Client.download_many` and
:meth:`~uws_lite.Client.download`: every item checked before any request, then the
downloads, ``max_workers`` at a time, each ending in its own :class:`DownloadOutcome`."""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import List, Optional, Sequence

from ._transfer import Transfer, TransferSettings
from .download import (
    DownloadItem,
    DownloadOutcome,
    DownloadReport,
    DownloadStatus,
    ItemProgress,
    Progress,
)
from .errors import InvalidRequest, UWSError
from .numbers import check_count
from .transport import Transport

__all__ = ["download_all"]


def download_all(
    transport: Transport,
    items: Sequence[DownloadItem],
    settings: TransferSettings,
    *,
    max_workers: int = 4,
    progress: Optional[ItemProgress] = None,
) -> DownloadReport:
    """Download ``items`` through ``transport``; one outcome per item, in order.

    Raises, before any request: InvalidRequest (two items with one destination, a bad
    number, a directory as destination) and UnsafeURL (an href that is not http(s)). Then
    each item is PRESENT (already there, verified), SAVED, or FAILED with its error (a
    destination holding another file fails without a request); a failure stops no other.
    Ctrl-C, or an exception that is no UWSError (from a progress callback), stops the
    running downloads (their ``.part`` files removed) and is re-raised.
    """
    check_count(max_workers, "max_workers")
    transfers = [
        Transfer(transport, item, settings, progress=_for_item(progress, item)) for item in items
    ]
    _check_distinct([t.dest for t in transfers])
    for transfer in transfers:
        transfer.check()
    outcomes = [t.already_there() for t in transfers]
    todo = [n for n, outcome in enumerate(outcomes) if outcome is None]
    if len(todo) == 1:
        # One file: in the caller's thread (its Ctrl-C and its callbacks stay there).
        outcomes[todo[0]] = _run(transfers[todo[0]])
    elif todo:
        ran = _run_parallel([transfers[n] for n in todo], max_workers)
        for n, outcome in zip(todo, ran):
            outcomes[n] = outcome
    return DownloadReport(tuple(o for o in outcomes if o is not None))


def _for_item(progress: Optional[ItemProgress], item: DownloadItem) -> Optional[Progress]:
    if progress is None:
        return None
    report = progress

    def item_progress(done: int, total: Optional[int]) -> None:
        report(item, done, total)

    return item_progress


def _run(transfer: Transfer) -> DownloadOutcome:
    """Download one file; a UWSError is its outcome, anything else goes up."""
    try:
        transfer.run()
    except UWSError as exc:
        return DownloadOutcome(transfer.item, DownloadStatus.FAILED, exc)
    return DownloadOutcome(transfer.item, DownloadStatus.SAVED)


def _run_parallel(todo: List[Transfer], max_workers: int) -> List[DownloadOutcome]:
    cancel = threading.Event()  # set: every running download stops at its next chunk
    for transfer in todo:
        transfer.cancel = cancel
    with ThreadPoolExecutor(min(max_workers, len(todo)), "uws-download") as pool:
        futures: List[Future[DownloadOutcome]] = []
        try:  # submitting is inside: Ctrl-C while the workers start must cancel them too
            for transfer in todo:
                futures.append(pool.submit(_run, transfer))
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            stopped = next((f for f in finished if f.exception() is not None), None)
            if stopped is not None:
                _cancel_all(cancel, futures)
        except BaseException:  # Ctrl-C while waiting: stop the workers cleanly too
            _cancel_all(cancel, futures)
            raise
    if stopped is not None:  # the pool has ended: every .part file is removed
        raise stopped.exception()  # type: ignore[misc]
    return [f.result() for f in futures]


def _cancel_all(cancel: threading.Event, futures: List[Future[DownloadOutcome]]) -> None:
    cancel.set()
    for future in futures:
        future.cancel()


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
