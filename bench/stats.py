"""Samples of one measurement: median and min–max, and their rendering in the table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable, Iterable, Tuple


@dataclass(frozen=True)
class Samples:
    """Repeated measurements of one quantity (seconds, bytes, counts ...)."""

    values: Tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> Samples:
        return cls(tuple(float(v) for v in values))

    def __bool__(self) -> bool:
        return bool(self.values)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")

    def fmt(self, unit: Callable[[float], str]) -> str:
        """``median [min–max] (n=…)`` with each number rendered by ``unit``."""
        if not self.values:
            return "n/a"
        if self.n == 1:
            return f"{unit(self.median)} (n=1)"
        return f"{unit(self.median)} [{unit(self.low)}–{unit(self.high)}] (n={self.n})"


def seconds(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if abs(value) < 0.01:
        return f"{value * 1000:.2f} ms"
    if abs(value) < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def mib_per_s(value: float) -> str:
    return f"{value:.0f} MiB/s"


def megabytes(value: float) -> str:
    """Bytes as MB (10^6), the unit of the issue's RSS goal."""
    return f"{value / 1e6:.0f} MB"


def count(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def ratio(value: float) -> str:
    if value != value:
        return "n/a"
    # Three significant digits: a borderline ratio (0.102 vs a 0.1 goal) must be visible.
    return f"{value:.3g}×"


def times(value: float) -> str:
    """A multiple of the file size (bytes transferred / file size)."""
    return f"{value:.2f}× file"
