"""Tests' direct line to the private download engine (uws_lite._batch / _transfer), for the
knobs Client does not expose (max_resumes, chunk_size, a given session and origin)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

import requests

from uws_lite._batch import download_all
from uws_lite._transfer import TransferSettings
from uws_lite.download import DownloadItem, DownloadReport, ItemProgress, Progress
from uws_lite.transport import Transport

Timeout = Union[float, Tuple[float, float]]


def transport(
    session: requests.Session, origin: str, *, auth: Any = None, timeout: Timeout = (10.0, 90.0)
) -> Transport:
    """A transport for the service at ``origin`` on ``session``, without retries."""
    return Transport(origin, auth=auth, session=session, timeout=timeout, retries=0)


def settings(
    *,
    overwrite: bool = False,
    max_resumes: int = 5,
    chunk_size: int = 1 << 20,
    stall_timeout: float = 20.0,
    total_timeout: Optional[float] = None,
) -> TransferSettings:
    deadline = None if total_timeout is None else time.monotonic() + total_timeout
    return TransferSettings(
        overwrite=overwrite,
        stall_timeout=stall_timeout,
        deadline=deadline,
        max_resumes=max_resumes,
        chunk_size=chunk_size,
    )


def fetch_one(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    trusted_origin: str,
    auth: Any = None,
    timeout: Timeout = (10.0, 90.0),
    expected_size: Optional[int] = None,
    sha1: Optional[str] = None,
    progress: Optional[Progress] = None,
    **options: Any,
) -> Path:
    """One file through the engine, as Client.download does: its path, or its error."""
    item_progress: Optional[ItemProgress] = None
    if progress is not None:
        one = progress

        def item_progress(item: DownloadItem, done: int, total: Optional[int]) -> None:
            one(done, total)

    report = download_all(
        transport(session, trusted_origin, auth=auth, timeout=timeout),
        [DownloadItem(url, Path(dest), expected_size, sha1)],
        settings(**options),
        progress=item_progress,
    )
    report.raise_for_failures()
    return report[0].path


def fetch_many(
    session: requests.Session,
    items: Sequence[DownloadItem],
    *,
    trusted_origin: str,
    auth: Any = None,
    max_workers: int = 4,
    progress: Optional[ItemProgress] = None,
    **options: Any,
) -> DownloadReport:
    """Several files through the engine, as Client.download_many does."""
    return download_all(
        transport(session, trusted_origin, auth=auth),
        items,
        settings(**options),
        max_workers=max_workers,
        progress=progress,
    )
