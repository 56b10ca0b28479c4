"""The bundled ExPRES example config (``uws_call_expres/data/example.json``).

A real config from the ExPRES repository (see ``data/README.md``): what
``python -m uws_call_expres --example-config FILE`` writes and what ``--demo`` runs.
"""

from __future__ import annotations

import contextlib
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Union

from .errors import OutputError
from .flags import Flag
from .words import command_line

if TYPE_CHECKING:
    from importlib.abc import Traversable

__all__ = [
    "EXAMPLE_CONFIG_COMMAND",
    "example_config",
    "example_config_path",
    "write_example_config",
]

EXAMPLE_CONFIG_COMMAND = command_line(Flag.EXAMPLE_CONFIG, "example.json")
_NEVER_OVERWRITES = f"{Flag.EXAMPLE_CONFIG} never overwrites a file"


def _resource() -> Traversable:
    # joinpath() with one argument at a time: Python 3.9's takes only one.
    return resources.files("uws_call_expres").joinpath("data").joinpath("example.json")


def example_config() -> bytes:
    """The bytes of the bundled example config (JSON)."""
    return _resource().read_bytes()


@contextlib.contextmanager
def example_config_path() -> Iterator[Path]:
    """A file path holding the bundled example config, valid inside the ``with`` block
    (the packaged file itself, or a temporary copy when the package is zipped)."""
    with resources.as_file(_resource()) as path:
        yield Path(path)


def write_example_config(path: Union[str, os.PathLike[str]]) -> Path:
    """Write the bundled example config to ``path`` and return it.

    Never overwrites: raises :class:`OutputError` when ``path`` exists (or its folder does
    not), before writing anything. The file is created exclusively, so a file appearing
    meanwhile is not replaced either.
    """
    target = Path(os.fspath(path)).expanduser()
    if target.exists() or target.is_symlink():
        raise OutputError(
            f"{os.fspath(path)!r} already exists: {_NEVER_OVERWRITES}. Give another name "
            f"(e.g. {Flag.EXAMPLE_CONFIG} my-example.json) or remove it first."
        )
    if not target.parent.is_dir():
        raise OutputError(
            f"cannot write {os.fspath(path)!r}: the folder {str(target.parent)!r} does not exist."
        )
    data = example_config()
    try:
        with target.open("xb") as stream:
            stream.write(data)
    except FileExistsError:
        raise OutputError(
            f"{os.fspath(path)!r} already exists: {_NEVER_OVERWRITES}. "
            "Give another name or remove it first."
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot write {os.fspath(path)!r}: {exc.strerror}.") from None
    return target
