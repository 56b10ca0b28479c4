"""Loaded by every Python process of the test DaCHS server (the fixture in tests/conftest.py
puts this folder on its PYTHONPATH; DaCHS's job workers inherit the environment).

It raises DaCHS's UWS job-lock timeout. DaCHS 2.7 has no setting for it: gavo/protocols/uws.py
hard-codes ``_DEFAULT_LOCK_TIMEOUT = 0.1`` (seconds), the PostgreSQL ``statement_timeout``
under which ``UWS.changeableJob`` (every job update: a TAP worker storing COMPLETED, a phase
change), ``UWS.changeToPhase`` and ``UWS.getNewJobId`` run. On a loaded 2-core machine an
update waiting 0.1 s for the job row's lock is cancelled and the job stays EXECUTING ("Job hung
in EXECUTING"; test_cli_dachs.py::test_tap_session failed so once). The value is bound as a
default argument when the module is defined, so this hook patches the module right after it is
executed: the constant (read at call time by getNewJobId) and every ``timeout`` default equal
to it in the module's classes.

``UWS_DACHS_LOCK_TIMEOUT`` (seconds, default 10) sets the new value. Each process that
patches appends one line saying what it patched to the file ``UWS_DACHS_HOOK_LOG`` names
(the fixture sets it; a failing DaCHS test shows it).
"""

from __future__ import annotations

import importlib.machinery
import inspect
import os
import sys
from types import ModuleType
from typing import Any, Optional, Sequence

_TARGET = "gavo.protocols.uws"
_TIMEOUT = float(os.environ.get("UWS_DACHS_LOCK_TIMEOUT") or 10)


def _say(message: str) -> None:
    # Into a file of its own: `dachs serve debug` truncates its log file once started and
    # replaces sys.stderr, and a worker's standard error is read by DaCHS.
    note = os.environ.get("UWS_DACHS_HOOK_LOG")
    if note:
        with open(note, "a", encoding="utf-8") as stream:
            stream.write(f"pid {os.getpid()} ({' '.join(sys.argv[1:3])}): {message}\n")


def _patch_defaults(function: Any, old: float) -> bool:
    function = inspect.unwrap(function)  # @contextlib.contextmanager keeps it in __wrapped__
    defaults = getattr(function, "__defaults__", None)
    code = getattr(function, "__code__", None)
    if not defaults or code is None:
        return False
    names = code.co_varnames[: code.co_argcount][-len(defaults) :]
    new = tuple(
        _TIMEOUT if name == "timeout" and value == old else value
        for name, value in zip(names, defaults)
    )
    if new == defaults:
        return False
    function.__defaults__ = new
    return True


def _patch(module: ModuleType) -> None:
    old = getattr(module, "_DEFAULT_LOCK_TIMEOUT", None)
    if not isinstance(old, (int, float)):
        _say(f"{_TARGET} has no _DEFAULT_LOCK_TIMEOUT any more: lock timeout NOT raised")
        return
    module._DEFAULT_LOCK_TIMEOUT = _TIMEOUT  # type: ignore[attr-defined]
    patched = [
        f"{cls.__name__}.{name}"
        for cls in vars(module).values()
        if isinstance(cls, type) and cls.__module__ == module.__name__
        for name, attribute in vars(cls).items()
        if callable(attribute) and _patch_defaults(attribute, float(old))
    ]
    _say(f"DaCHS UWS lock timeout raised from {old} s to {_TIMEOUT:g} s ({', '.join(patched)})")


class _PatchingFinder:
    """A meta-path finder for gavo.protocols.uws only: the normal spec, with its loader's
    exec_module followed by :func:`_patch`."""

    @classmethod
    def find_spec(
        cls, name: str, path: Optional[Sequence[str]] = None, target: Optional[ModuleType] = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if name != _TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


sys.meta_path.insert(0, _PatchingFinder)  # type: ignore[arg-type]
