"""A loopback TCP proxy that limits each connection's download rate (server -> client).

On loopback one download stream already uses a whole core (server + client on 2 cores), so
parallel downloads cannot be faster than one. A real service is reached over a WAN, where a
single TCP connection is limited by latency and window sizes, not by CPU: that is the
situation in which bounded parallel downloads pay off. This proxy models it: every
connection gets at most ``rate`` bytes/s from the server, independently of the others.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import List, Optional

_CHUNK = 64 * 1024


class ThrottlingProxy:
    """Listens on 127.0.0.1:<port>; forwards to ``127.0.0.1:<target_port>`` once set."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.target_port: Optional[int] = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._sockets: List[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="throttle", daemon=True)

    def start(self, target_port: int) -> ThrottlingProxy:
        self.target_port = target_port
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            assert self.target_port is not None
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets.extend((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, self.rate), daemon=True
            ).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, rate: Optional[float]) -> None:
        # Token bucket without burst credit: an idle keep-alive connection does not save
        # up bandwidth for its next download.
        free_at = time.monotonic()
        try:
            while not self._stop.is_set():
                data = src.recv(_CHUNK)
                if not data:
                    break
                dst.sendall(data)
                if rate is not None:
                    now = time.monotonic()
                    free_at = max(free_at, now) + len(data) / rate
                    if free_at > now:
                        time.sleep(free_at - now)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
