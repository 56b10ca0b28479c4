"""Building frozen dataclass models without their ``__init__`` (reading documents fast).

A frozen dataclass's generated ``__init__`` calls ``object.__setattr__`` once per field,
which was most of the cost of reading a 1000-result job or a 10 000-job list
(:mod:`uws_lite.documents`). The constructors made here give the object its ``__dict__``
whole instead. They are used only for a class whose ``__init__`` does nothing else: exactly
the fields the caller passes, all set by ``__init__``, no ``__slots__``, no
``__post_init__``; for any other class the normal constructor is used (always correct,
only slower). The objects are ordinary instances: equal, hashable, frozen and printable
exactly like those built by the constructor.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from itertools import repeat
from typing import Any, Callable, Dict, List, Tuple, Type, TypeVar

__all__ = ["fast_new", "fast_new_all"]

_T = TypeVar("_T")


def _plain(cls: type, names: Tuple[str, ...]) -> bool:
    """Whether ``__init__`` of the dataclass ``cls`` only sets the fields ``names``."""
    fields = dataclasses.fields(cls)
    init_sets_all = all(f.init for f in fields) and {f.name for f in fields} == set(names)
    return init_sets_all and not hasattr(cls, "__slots__") and not hasattr(cls, "__post_init__")


def fast_new(cls: Type[_T], *names: str) -> Callable[..., _T]:
    """A constructor for the frozen dataclass ``cls`` taking exactly ``names`` by keyword,
    or ``cls`` itself when that would not be the same as calling it."""
    if not _plain(cls, names):
        return cls
    new, set_attribute = object.__new__, object.__setattr__

    def make(**values: object) -> _T:
        obj = new(cls)
        set_attribute(obj, "__dict__", values)  # a fresh dict: the call made it
        return obj

    return make


def fast_new_all(cls: Type[_T], *names: str) -> Callable[[List[Dict[str, Any]]], List[_T]]:
    """:func:`fast_new` for many objects at once: each dict (holding exactly ``names``)
    becomes one new object's ``__dict__``, with no Python call per object; a list of
    objects built by ``cls`` itself when that would not be the same."""
    if not _plain(cls, names):
        return lambda dicts: [cls(**values) for values in dicts]

    def make_all(dicts: List[Dict[str, Any]]) -> List[_T]:
        objects: List[_T] = list(map(object.__new__, repeat(cls, len(dicts))))
        deque(map(object.__setattr__, objects, repeat("__dict__"), dicts), maxlen=0)
        return objects

    return make_all
