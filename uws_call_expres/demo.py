"""``python -m uws_call_expres --demo``: the bundled example, run on a local server.

No network and no account: :func:`demo_server` starts uws_lite's embedded OPUS-compatible
server (:class:`uws_lite.testing.OpusServer`) in this process on a free loopback port, with a
short simulated run, and the command line then makes an ordinary guest run of the bundled
example against it (so every output option applies), and stops the server at the end, also
on errors and Ctrl-C. uws_lite.testing needs only the core install (no pytest, no responses).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Union

from .errors import OutputError
from .flags import Flag

if TYPE_CHECKING:
    from uws_lite.testing import OpusServer

__all__ = ["DEMO_DIR", "DEMO_DURATION", "DEMO_RUN_ID", "demo_server", "new_demo_dir"]

DEMO_DIR = "expres-demo"
DEMO_RUN_ID = "expres-demo"
DEMO_DURATION = 3.0  # seconds EXECUTING: quick, but long enough to see the phases
_MAX_DEMO_DIRS = 1000


def new_demo_dir(parent: Union[str, os.PathLike[str]] = ".") -> Path:
    """Create and return a new, empty folder ``expres-demo`` in ``parent`` (or
    ``expres-demo-2``, ``-3``, ... when taken): a demo never mixes its files with others."""
    base = Path(os.fspath(parent))
    for number in range(1, _MAX_DEMO_DIRS + 1):
        path = base / (DEMO_DIR if number == 1 else f"{DEMO_DIR}-{number}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(
                f"cannot create the demo folder {str(path)!r}: {exc.strerror}; "
                f"choose another one with {Flag.OUTPUT_SHORT} DIR."
            ) from None
        return path
    raise OutputError(
        f"{base / DEMO_DIR}-* are all taken: choose a folder with {Flag.OUTPUT_SHORT} DIR."
    )


@contextlib.contextmanager
def demo_server(duration: float = DEMO_DURATION) -> Iterator[OpusServer]:
    """A started local OPUS-compatible server on a free loopback port (guests welcome),
    whose runs last ``duration`` seconds; stopped when the block ends, however it ends."""
    from uws_lite.testing import OpusServer, RunPlan

    server = OpusServer("127.0.0.1", 0, run_plan=RunPlan(duration=duration))
    server.start()
    try:
        yield server
    finally:
        server.stop()
