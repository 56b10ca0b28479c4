"""What every part of :func:`uws_call_expres.checks.check_config` shares: the
:class:`Problem` it reports, the helpers that read a config document defensively (a value of
the wrong type was already reported by the schema), and the "did you mean" hints.

The parts (:mod:`~uws_call_expres.checks_schema`, :mod:`~uws_call_expres.checks_rules`,
:mod:`~uws_call_expres.checks_units`, :mod:`~uws_call_expres.checks_size`) import this module
and nothing of each other; :mod:`uws_call_expres.checks` runs them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

__all__ = [
    "ERROR",
    "WARNING",
    "Problem",
    "as_dict",
    "as_int",
    "as_number",
    "body_names",
    "central_body",
    "closest",
    "dicts_in",
    "did_you_mean",
    "format_path",
    "new_problem",
]

ERROR = "error"
WARNING = "warning"
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$+-]*$")


@dataclass(frozen=True)
class Problem:
    """One finding of :func:`check_config`.

    ``path`` locates the value (``OBSERVER.TYPE``, ``SOURCE[0].ACCEL``; ``""`` for the whole
    file), ``severity`` is ``"error"`` or ``"warning"``, ``hint`` a suggestion or None.
    ``str(problem)`` is a linter line: ``PATH: SEVERITY: MESSAGE (HINT)``.
    """

    path: str
    severity: str
    message: str
    hint: Optional[str] = None

    @property
    def is_error(self) -> bool:
        """True for an error (ExPRES is expected to fail), False for a warning."""
        return self.severity == ERROR

    def __str__(self) -> str:
        text = f"{self.path or '(root)'}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


def new_problem(path: str, severity: str, message: str, hint: Optional[str] = None) -> Problem:
    """A :class:`Problem` (the rules' shorthand)."""
    return Problem(path, severity, message, hint)


def as_dict(value: Any) -> Dict[str, Any]:
    """``value`` if it is a dict, else an empty one (wrong types are the schema's report)."""
    return value if isinstance(value, dict) else {}


def dicts_in(document: Dict[str, Any], key: str) -> List[Dict[str, Any]]:
    """The entries of the list ``document[key]``, each as a dict (``{}`` if it is not)."""
    value = document.get(key)
    return [as_dict(item) for item in value] if isinstance(value, list) else []


def as_int(value: Any) -> Optional[int]:
    """``value`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def as_number(value: Any) -> Optional[float]:
    """``value`` if it is a number (not a bool), else None."""
    return None if isinstance(value, bool) or not isinstance(value, (int, float)) else value


def body_names(document: Dict[str, Any]) -> List[str]:
    """The ``NAME`` of every BODY entry that has a string name."""
    return [b["NAME"] for b in dicts_in(document, "BODY") if isinstance(b.get("NAME"), str)]


def central_body(document: Dict[str, Any]) -> Dict[str, Any]:
    """The central body (``PARENT ""``); ExPRES takes the last one's radius."""
    central = [b for b in dicts_in(document, "BODY") if b.get("PARENT") == ""]
    return central[-1] if central else {}


def did_you_mean(value: str, options: Iterable[str]) -> Optional[str]:
    """``"did you mean 'X'?"`` for the closest of ``options``, else None."""
    near = closest(value, options)
    return None if near is None else f"did you mean {near!r}?"


def closest(value: str, options: Iterable[str]) -> Optional[str]:
    """The option equal to ``value`` but for case, else the closest (difflib), else None."""
    choices = [o for o in options if isinstance(o, str) and o != value]
    for option in choices:
        if option.casefold() == value.casefold():
            return option
    import difflib  # only when there is a problem to hint at

    by_upper = {o.upper(): o for o in choices}
    close = difflib.get_close_matches(value.upper(), list(by_upper), n=1, cutoff=0.75)
    return by_upper[close[0]] if close else None


def format_path(parts: Iterable[Any]) -> str:
    """``["SOURCE", 0, "ACCEL"]`` as ``SOURCE[0].ACCEL`` (``""`` for the root)."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return text
