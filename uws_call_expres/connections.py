"""A sweep's or a grid's connections to the server, shared by all its workers (issue 12).

Every worker of a sweep or a grid goes through :class:`SharedConnections`: ONE
:class:`uws_lite.Client` per job list (one session), and ONE :class:`uws_lite.JobWatcher`
on it that follows every job the workers wait for.

- **Bounded connections.** The client's session keeps at most :data:`MAX_CONNECTIONS`
  connections to a host, and a request waits for a free one, so a sweep opens at most that
  many (per host) whatever ``max_parallel`` is. Creations, the watcher's list and reads, and
  the downloads (each job's, several at a time) share them; they are reused (keep-alive).
  No request holds a connection while it waits for another, so waiting always ends; but
  the time a request waits for a free connection is not bounded by its deadline (requests
  gives urllib3 no pool timeout): a tick of the watcher may wait behind the downloads.
- **Polite waiting.** Jobs are waited for through the watcher: one job-list request per
  tick for all of them (every :data:`WATCH_INTERVAL` seconds once the jobs are a few seconds
  old, sooner while one is young: :func:`uws_lite.watch.tick_spacing`), and one read per
  job when it ends, even on a server that ignores ``WAIT`` (:mod:`uws_lite.watch`). A
  sweep that waits for one job at a time (one worker) has no watcher: ``Client.wait``
  long-polls, which sees the end at once.
- **Lifecycle.** :meth:`SharedConnections.stop_watching` (Ctrl-C) ends every wait at once
  (:class:`~uws_lite.errors.WatcherClosed`; the jobs keep running on the server) and the
  watcher threads; :meth:`SharedConnections.close` also closes the clients and sessions.
"""

from __future__ import annotations

import threading
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from uws_lite import Client
from uws_lite.deadline import DeadlineAdapter
from uws_lite.watch import JobWatcher

from .access import Access, open_client

__all__ = ["MAX_CONNECTIONS", "WATCH_INTERVAL", "SharedConnections"]

# Connections per host: the watcher's list and reads (up to 4 at once), downloads (4 per
# job), creations; requests' own default pool size, but never more opened.
MAX_CONNECTIONS = 10
# Seconds between two job-list requests of the watcher once its jobs are a few seconds old
# (JobWatcher's default).
WATCH_INTERVAL = 1.5

_Key = Tuple[str, Optional[str], Optional[str], Optional[float]]


class SharedConnections:
    """One client per job list (its connections bounded: :data:`MAX_CONNECTIONS` per host),
    and its watcher when ``watch``."""

    def __init__(self, *, watch: bool) -> None:
        self.watch = watch
        self._lock = threading.Lock()
        self._open: Dict[_Key, Tuple[Client, requests.Session, Optional[JobWatcher]]] = {}
        self._watchers: List[JobWatcher] = []
        self._stopped = self._closed = False

    def client(self, access: Access) -> Client:
        """The client of ``access``'s job list and credentials (opened on first use)."""
        return self._for(access)[0]

    def watcher(self, access: Access) -> Optional[JobWatcher]:
        """The watcher on :meth:`client`, or None when waits long-poll (one worker)."""
        return self._for(access)[2]

    def stop_watching(self) -> None:
        """Close every watcher: the waits still running raise WatcherClosed, new waits too."""
        with self._lock:
            self._stopped = True
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher.close()

    def close(self) -> None:
        """Close the watchers, then the clients and their sessions. Idempotent."""
        self.stop_watching()
        with self._lock:
            self._closed = True
            opened, self._open = list(self._open.values()), {}
        for client, session, _ in opened:
            client.close()
            session.close()

    def _for(self, access: Access) -> Tuple[Client, requests.Session, Optional[JobWatcher]]:
        key = (access.list_url, access.login, access.token, access.request_timeout)
        with self._lock:
            if self._closed:
                raise RuntimeError("these shared connections are closed")  # a bug
            found = self._open.get(key)
            if found is None:
                session = requests.Session()
                client = open_client(access, session=session)
                _bound(session, client.url, MAX_CONNECTIONS)
                watcher = JobWatcher(client, interval=WATCH_INTERVAL) if self.watch else None
                if watcher is not None:
                    self._watchers.append(watcher)
                    if self._stopped:
                        watcher.close()  # its waits end at once, as the others' did
                found = self._open[key] = (client, session, watcher)
            return found


def _bound(session: requests.Session, url: str, connections: int) -> None:
    """Make every request of ``session`` wait for one of at most ``connections`` connections
    per host, with the retry policy uws_lite mounted for the service (the Client mounts a
    retrying adapter for a caller's session's service origin, see :class:`uws_lite.Client`)."""
    retrying = session.get_adapter(url)
    retries = retrying.max_retries if isinstance(retrying, HTTPAdapter) else 0
    adapter = DeadlineAdapter(max_retries=retries, pool_maxsize=connections, pool_block=True)
    parts = urlsplit(url)
    for prefix in ("https://", "http://", f"{parts.scheme}://{parts.netloc}/"):
        session.mount(prefix, adapter)
